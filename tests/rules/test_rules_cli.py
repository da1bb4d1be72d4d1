"""``erpai rule`` and ``erpai record`` on a migrated SQLite file, against the local OpenAI-wire fake."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from erpai.ai_models.schemas import ModelCreate
from erpai.ai_models.service import create_model
from erpai.cli.main import app
from erpai.db import session_factory
from erpai.providers.schemas import ProviderCreate
from erpai.providers.service import create_provider
from tests.fakes.openai_server import FakeOpenAI

runner = CliRunner()
SHORT_NAME = {
    "name": "Short name",
    "entity": "products",
    "event": "attribute_changed",
    "attribute": "Name",
    "actions": [{"type": "AISET", "attribute": "ShortName", "prompt": "Abbreviate: {Name}"}],
}


def _flat(text: str) -> str:
    """Rich wraps long error lines at the terminal width."""
    return " ".join(text.split())


def _default_model(url: str) -> None:
    with session_factory()() as session:
        provider = create_provider(
            session,
            data=ProviderCreate(name="Fake", base_model_name="gpt-4o-mini", config={"base_url": url}),
            actor_id=None,
        )
        create_model(
            session, data=ModelCreate(name="Rules", is_default=True, provider_id=provider.id), actor_id=None
        )


def test_rule_and_record_commands(cli_db: str, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    refused = runner.invoke(app, ["rule", "add", json.dumps(SHORT_NAME)])
    assert refused.exit_code == 1 and "no model is the default" in _flat(refused.output)
    _default_model(fake_openai.url)
    bad = runner.invoke(
        app,
        [
            "rule",
            "add",
            json.dumps(
                {**SHORT_NAME, "actions": [{"type": "AISET", "attribute": "ShortName", "prompt": "{Nmae}"}]}
            ),
        ],
    )
    assert bad.exit_code == 1 and "unknown field '{Nmae}'" in _flat(bad.output)
    assert runner.invoke(app, ["rule", "add", json.dumps(SHORT_NAME)]).exit_code == 0
    fake_openai.script("CHR")
    added = runner.invoke(app, ["record", "add", "products", '{"name": "Chair"}'])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["record"]["short_name"] == "CHR"
    runs = runner.invoke(app, ["rule", "runs", "--json", "--outcome", "set"])
    assert [r["answer"] for r in json.loads(runs.output)] == ["CHR"]
    fake_openai.script("nope")
    tried = runner.invoke(app, ["rule", "try", "1", '{"Name": "Desk"}'])
    assert json.loads(tried.output)["record"]["short_name"] == "nope"
    file = tmp_path / "parties.csv"
    file.write_text("name,email\nACME,a@acme.io\n,b@x.io\n", encoding="utf-8")
    rejected = runner.invoke(app, ["record", "import", "parties", str(file)])
    assert rejected.exit_code == 1 and "line 3 (name): name is required" in _flat(rejected.output)
    file.write_text("name,email\nACME,a@acme.io\n", encoding="utf-8")
    assert "imported 1 parties" in runner.invoke(app, ["record", "import", "parties", str(file)]).output
    listed = runner.invoke(app, ["record", "list", "parties", "--where", "name=acme"])
    assert json.loads(listed.output)["total"] == 1
