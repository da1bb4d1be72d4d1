"""`erpai todo from-comment|from-notification`, `erpai user update --working-language` and `erpai record
translate` on a temporary SQLite file (no chat provider unless a test adds one)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.db import session_factory
from erpai.notifications.service import notify
from erpai.users.service import find_user

runner = CliRunner()
TITLE = "Обади се на ACME"  # noqa: RUF001 (Bulgarian on purpose)


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_todo_from_a_comment_posts_the_system_line(cli_db: str) -> None:
    _ok("user", "create", "boss", "--admin")
    _ok("user", "create", "bob")
    updated = json.loads(_ok("user", "update", "boss", "--working-language", "bg", "--json"))
    assert updated["working_language"] == "bg"
    _ok("chat", "group", "add", "Sales", "--member", "bob")
    posted = json.loads(_ok("chat", "post", "Sales", "Please call ACME back", "--json"))[0]
    created = json.loads(_ok("todo", "from-comment", str(posted["id"]), "--title", TITLE, "--json"))
    assert created["todo"]["title"] == TITLE and created["language"] == "bg"
    assert len(created["notified_user_ids"]) == 1
    shown = _ok("todo", "from-comment", str(posted["id"]), "--title", "Again")
    assert "to-do" in shown and "notified 1" in shown
    no_ai = runner.invoke(app, ["todo", "from-comment", str(posted["id"])])
    assert no_ai.exit_code != 0 and "'chat' capability" in no_ai.output


def test_todo_from_someone_elses_notification_is_not_found(cli_db: str) -> None:
    _ok("user", "create", "boss", "--admin")
    _ok("user", "create", "bob")
    with session_factory()() as session:
        bob = find_user(session, ref="bob")
        note = notify(session, user_id=bob.id, notification_class="NT_TEST", title="Hi", message="Hello")
        session.commit()
        note_id = note.id
    refused = runner.invoke(app, ["todo", "from-notification", str(note_id), "--title", "x"])
    assert refused.exit_code != 0 and f"notification {note_id} does not exist" in refused.output
    own = _ok("todo", "from-notification", str(note_id), "--title", "Answer", "--as", "bob", "--json")
    assert json.loads(own)["todo"]["linked_chat_group_id"] is None


def test_record_translate_without_a_provider_names_the_capability(cli_db: str) -> None:
    _ok("user", "create", "boss", "--admin")
    _ok("setting", "set", "records.active_languages", "en,de")
    created = json.loads(_ok("record", "add", "products", '{"name": {"en": "Chair", "de": "Stuhl"}}'))
    record_id = str(created["record"]["id"])
    done = _ok("record", "translate", "products", record_id, "name")
    assert "nothing to translate" in done
    refused = runner.invoke(app, ["record", "translate", "products", record_id, "name", "--to", "de"])
    assert refused.exit_code != 0 and "'chat' capability" in refused.output
    wrong = runner.invoke(app, ["record", "translate", "products", record_id, "unit"])
    assert wrong.exit_code != 0 and "not a multilanguage field" in wrong.output
