"""Every operation of the REST API that a person would do has a CLI command.

Add a row to COMMANDS when you add an endpoint (or, with a reason, to NO_COMMAND). The test fails when an
operation is in neither table, when a row names a command that does not exist, and when a row names an
operation that no longer exists. Routes outside OpenAPI (settings, grants and web pages, if hidden with
include_in_schema=False) are not walked: give them commands all the same.
"""

from __future__ import annotations

from typing import Any

import typer

from erpai.api import create_app
from erpai.cli.main import app

TC = "/api/v1/training-conversations/{conversation_id}"
ASSISTANT = "/api/v1/assistant/conversations"
# Renaming and deleting an assistant conversation are done in the assistant panel (host application / web UI).
PANEL = "assistant panel housekeeping (host application / web UI)"

COMMANDS: dict[str, str] = {
    "GET /api/v1/rules": "rule list",
    "POST /api/v1/rules": "rule add",
    "POST /api/v1/rules/evaluate": "rule evaluate",
    "GET /api/v1/rules/runs": "rule runs",
    "GET /api/v1/rules/{rule_id}": "rule show",
    "PATCH /api/v1/rules/{rule_id}": "rule update",
    "DELETE /api/v1/rules/{rule_id}": "rule delete",
    "POST /api/v1/rules/{rule_id}/try": "rule try",
    "GET /api/v1/records/{kind}": "record list",
    "POST /api/v1/records/{kind}": "record add",
    "GET /api/v1/records/{kind}/{record_id}": "record show",
    "PATCH /api/v1/records/{kind}/{record_id}": "record update",
    "DELETE /api/v1/records/{kind}/{record_id}": "record delete",
    "POST /api/v1/records/{kind}/import": "record import",
    "POST /api/v1/records/{kind}/{record_id}/translate": "record translate",
    "GET /api/v1/users/me": "user show",
    "GET /api/v1/users": "user list",
    "POST /api/v1/users": "user create",
    "GET /api/v1/users/{user_id}": "user show",
    "POST /api/v1/users/{user_id}/tokens": "token create",
    "GET /api/v1/users/{user_id}/tokens": "token list",
    "DELETE /api/v1/users/{user_id}/tokens/{token_id}": "token revoke",
    "GET /api/v1/providers": "provider list",
    "POST /api/v1/providers": "provider add",
    "GET /api/v1/providers/{provider_id}": "provider show",
    "PATCH /api/v1/providers/{provider_id}": "provider update",
    "DELETE /api/v1/providers/{provider_id}": "provider remove",
    "POST /api/v1/providers/{provider_id}/test": "provider test",
    "GET /api/v1/qas": "qa list",
    "POST /api/v1/qas": "qa add",
    "GET /api/v1/qas/{qa_id}": "qa show",
    "PATCH /api/v1/qas/{qa_id}": "qa update",
    "DELETE /api/v1/qas/{qa_id}": "qa delete",
    "POST /api/v1/models/{model_id}/qas/import": "qa import",
    "GET /api/v1/models/{model_id}/qas/export": "qa export",
    "GET /api/v1/training-conversations": "conversation list",
    "POST /api/v1/training-conversations": "conversation add",
    "POST /api/v1/models/{model_id}/training-conversations/import": "conversation import",
    "GET /api/v1/training-conversations/{conversation_id}": "conversation show",
    "PATCH /api/v1/training-conversations/{conversation_id}": "conversation update",
    "DELETE /api/v1/training-conversations/{conversation_id}": "conversation delete",
    "GET /api/v1/training-conversations/{conversation_id}/messages": "conversation show",
    "POST /api/v1/training-conversations/{conversation_id}/messages": "conversation message add",
    f"PATCH {TC}/messages/{{message_id}}": "conversation message update",
    f"DELETE {TC}/messages/{{message_id}}": "conversation message delete",
    "GET /api/v1/models": "model list",
    "POST /api/v1/models": "model add",
    "GET /api/v1/models/{model_id}": "model show",
    "PATCH /api/v1/models/{model_id}": "model update",
    "DELETE /api/v1/models/{model_id}": "model delete",
    "GET /api/v1/models/{model_id}/hierarchy": "model hierarchy",
    "GET /api/v1/notifications": "notification list",
    "POST /api/v1/notifications/read-all": "notification read",
    "POST /api/v1/notifications/{notification_id}/read": "notification read",
    "GET /api/v1/audit": "audit",
    "POST /api/v1/models/{model_id}/compile": "compile",
    "GET /api/v1/compilations": "build list",
    "GET /api/v1/compilations/{compilation_id}": "build show",
    "GET /api/v1/compilations/{compilation_id}/assets": "build assets",
    "POST /api/v1/compilations/{compilation_id}/activate": "build activate",
    "POST /api/v1/compilations/{compilation_id}/cancel": "build cancel",
    "GET /api/v1/models/{model_id}/hits": "hits",
    "POST /api/v1/hits/{hit_id}/feedback": "feedback",
    "GET /api/v1/models/{model_id}/inbox": "inbox",
    "POST /api/v1/models/{model_id}/inbox/resolve": "inbox",
    "POST /api/v1/models/{model_id}/ask": "ask",
    "POST /api/v1/chat/groups": "chat group add",
    "GET /api/v1/chat/groups": "chat group list",
    "GET /api/v1/chat/groups/{group_id}": "chat group show",
    "GET /api/v1/chat/groups/{group_id}/members": "chat member list",
    "POST /api/v1/chat/groups/{group_id}/members": "chat member add",
    "PATCH /api/v1/chat/groups/{group_id}/members/{user_id}": "chat member role",
    "DELETE /api/v1/chat/groups/{group_id}/members/{user_id}": "chat member remove",
    "GET /api/v1/chat/groups/{group_id}/comments": "chat log",
    "POST /api/v1/chat/groups/{group_id}/comments": "chat post",
    "POST /api/v1/chat/groups/{group_id}/train": "chat train",
    "GET /api/v1/models/{model_id}/export/training": "export training",
    "GET /api/v1/models/{model_id}/training-conversations/export": "export conversations",
    "GET /api/v1/hits/export": "export hits",
    "GET /api/v1/compilations/{compilation_id}/log": "export build-log",
    "GET /api/v1/compilations/{compilation_id}/metrics": "export metrics",
    "GET /api/v1/models/{model_id}/export": "model export",
    "POST /api/v1/models/import": "model import",
    "PATCH /api/v1/users/{user_id}": "user update",
    "GET /api/v1/models/{model_id}/grants": "model grants",
    "POST /api/v1/models/{model_id}/grants": "model grant",
    "DELETE /api/v1/models/{model_id}/grants/{grant_id}": "model revoke",
    "GET /api/v1/settings": "setting list",
    "GET /api/v1/settings/{key}": "setting get",
    "PUT /api/v1/settings/{key}": "setting set",
    "DELETE /api/v1/settings/{key}": "setting reset",
    f"GET {ASSISTANT}": "assistant list",
    f"POST {ASSISTANT}": "assistant new",
    f"GET {ASSISTANT}/{{conversation_id}}": "assistant show",
    f"GET {ASSISTANT}/{{conversation_id}}/messages": "assistant show",
    f"POST {ASSISTANT}/{{conversation_id}}/messages": "assistant ask",
    f"POST {ASSISTANT}/{{conversation_id}}/context": "assistant context",
    f"POST {ASSISTANT}/{{conversation_id}}/messages/{{message_id}}/feedback": "assistant rate",
    "GET /api/v1/assistant/instructions": "assistant instructions",
    "PUT /api/v1/assistant/instructions/{form_kind}": "assistant instructions",
    "DELETE /api/v1/assistant/instructions/{form_kind}": "assistant instructions",
    "GET /api/v1/assistant/preferences": "assistant debug",
    "PATCH /api/v1/assistant/preferences": "assistant debug",
    "POST /api/v1/ingest/invoices": "ingest",
    "POST /api/v1/ingest/invoices/{proposal_id}/confirm": "ingest",
    "POST /api/v1/leads/extract": "lead extract",
    "POST /api/v1/leads": "lead extract",  # --save
    "POST /api/v1/todos/from-comment": "todo from-comment",
    "POST /api/v1/todos/from-notification": "todo from-notification",
    "PATCH /api/v1/users/me": "user update",  # --working-language
}

NO_COMMAND: dict[str, str] = {
    "GET /api/v1/rules/fields": "the rule editor's field picker (web UI); `rule add` reports unknown fields",
    "GET /api/v1/health": "a liveness probe for load balancers, not a person's operation",
    f"PATCH {ASSISTANT}/{{conversation_id}}": PANEL,
    f"DELETE {ASSISTANT}/{{conversation_id}}": PANEL,
    "GET /api/v1/chat/groups/{group_id}/events": "an event stream for UIs ('chat post --wait' waits)",
    "GET /api/v1/ingest/invoices/{proposal_id}": "`erpai ingest FILE` prints the proposal it stores "
    "(and `--confirm` imports it at once)",
    "GET /api/v1/ingest/files/{file_id}": "downloads an attached original for a browser or an ERP; the "
    "CLI user has the file they ingested",
}


def _operations() -> set[str]:
    spec = create_app(startup_tasks=False).openapi()
    return {f"{method.upper()} {path}" for path, methods in spec["paths"].items() for method in methods}


def _has_command(words: str) -> bool:
    """A leaf command at this path of words (Typer's groups hold their commands in ``commands``)."""
    command: Any = typer.main.get_command(app)
    for word in words.split():
        children = getattr(command, "commands", None)
        if not isinstance(children, dict) or word not in children:
            return False
        command = children[word]
    return not isinstance(getattr(command, "commands", None), dict)


def test_every_api_operation_has_a_cli_command_or_a_reason() -> None:
    operations = _operations()
    uncovered = sorted(operations - COMMANDS.keys() - NO_COMMAND.keys())
    assert uncovered == [], (
        f"API operations without a CLI command (add them to COMMANDS or NO_COMMAND): {uncovered}"
    )
    stale = sorted((COMMANDS.keys() | NO_COMMAND.keys()) - operations)
    assert stale == [], f"rows for operations the API no longer has: {stale}"
    assert not COMMANDS.keys() & NO_COMMAND.keys()


def test_every_mapped_command_exists() -> None:
    missing = sorted({words for words in COMMANDS.values() if not _has_command(words)})
    assert missing == [], f"CLI commands named in COMMANDS that do not exist: {missing}"
    assert not _has_command("model nope") and not _has_command("model")  # the lookup can fail
