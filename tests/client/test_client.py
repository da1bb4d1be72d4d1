"""``erpai.client.Client`` and the CLI's remote mode (ERPAI_URL) against a live erpai server."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.client import Client
from erpai.client import client as client_module
from erpai.compilations.models import ModelHit
from erpai.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from erpai.notifications.service import notify
from tests.conftest import make_user
from tests.ecosystem_helpers import VACATION, compiled_model

runner = CliRunner()


def test_client_reads_asks_and_maps_errors(
    live_url: str, live_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, admin = compiled_model(live_session, name="HR Helper")
    live_session.add_all([AIModel(name=f"Extra {n}") for n in range(3)])
    notify(live_session, user_id=admin.id, notification_class="NT_TEST", title="hello", message="hi")
    live_session.commit()
    monkeypatch.setattr(client_module, "PAGE", 2)  # lists are read page by page

    with Client(live_url, "tok-boss") as erpai:
        assert erpai.me().login == "boss"
        assert [m.name for m in erpai.list_models()] == ["HR Helper", "Extra 0", "Extra 1", "Extra 2"]
        assert erpai.find_model("HR Helper").id == model.id == erpai.find_model(str(model.id)).id
        answer = erpai.ask(model.id, "how many vacation days a year?")
        assert answer.answer == VACATION and answer.hit_id is not None
        assert len(erpai.list_qas(model.id)) == 11
        added = erpai.add_qa(model.id, "Is there a gym?", "Yes.")
        assert added.added_by_user_id == admin.id
        (build,) = erpai.list_builds(model.id)
        assert erpai.get_build(build.id).is_successful
        assert [h.question for h in erpai.hits(model.id)] == ["how many vacation days a year?"]
        exported = b"".join(erpai.export_hits(model_id=model.id, channel="api"))
        assert [r["answer"] for r in csv.DictReader(io.StringIO(exported.decode()))] == [VACATION]
        notes = erpai.list_notifications(unread=True)  # ours and the compile's
        assert notes[0].title == "hello" and len(notes) == 2
        assert erpai.mark_read(notes[0].id).is_read and erpai.mark_all_read() == 1
        (token,) = erpai.list_tokens(admin.id)
        with pytest.raises(NotFound) as missing:
            erpai.get_model(999)
        assert missing.value.field == "model_id" and missing.value.status_code == 404
        with pytest.raises(NotFound):
            erpai.find_model("No such model")
        with pytest.raises(InvalidInput) as bad:
            erpai.add_qa(model.id, "   ", "x")
        assert bad.value.field == "question"
        erpai.revoke_token(admin.id, token.id)
        with pytest.raises(Unauthorized):
            erpai.me()

    _, member = make_user(live_session, "jane")
    with Client(live_url, member["Authorization"].split()[1]) as erpai, pytest.raises(Forbidden):
        erpai.hits(model.id)


def test_cli_remote_mode_drives_the_server(
    live_url: str, live_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = compiled_model(live_session, name="HR Helper")
    monkeypatch.setenv("ERPAI_URL", live_url)
    monkeypatch.delenv("ERPAI_TOKEN", raising=False)
    no_token = runner.invoke(app, ["model", "list"])
    assert no_token.exit_code == 1 and "ERPAI_TOKEN" in no_token.output
    monkeypatch.setenv("ERPAI_TOKEN", "tok-boss")

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    assert [m["name"] for m in json.loads(run("model", "list", "--json"))] == ["HR Helper"]
    assert json.loads(run("model", "show", "HR Helper", "--json"))["id"] == model.id
    assert (
        json.loads(run("ask", "HR Helper", "how many vacation days a year?", "--json"))["answer"] == VACATION
    )
    assert run("ask", "HR Helper", "how many vacation days a year?").strip() == VACATION
    live_session.rollback()
    channels = live_session.scalars(select(ModelHit.channel)).all()
    assert channels == ["api", "api"]  # answered by the server, not by a local database
    assert len(json.loads(run("hits", "HR Helper", "--json"))) == 2
    assert len(json.loads(run("qa", "list", "HR Helper", "--json", "--type", "validation"))) == 3
    assert json.loads(run("build", "list", "HR Helper", "--json"))[0]["is_successful"] is True
    assert json.loads(run("user", "show", "--json"))["login"] == "boss"
    assert len(json.loads(run("token", "list", "--json"))) == 1
    assert [n["title"] for n in json.loads(run("notification", "list", "--json"))] == [
        "Compilation completed"
    ]
    missing = runner.invoke(app, ["model", "show", "Nope"])
    assert missing.exit_code == 2 and "does not exist" in missing.output
