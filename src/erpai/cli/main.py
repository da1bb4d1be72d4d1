"""The ``erpai`` command line."""

from __future__ import annotations

import typer

from erpai.cli.accounts import list_tokens, revoke_token, show_user
from erpai.cli.acting import set_global_login
from erpai.cli.ai_models import model_app
from erpai.cli.ai_tools import todo_app
from erpai.cli.assistant import assistant_app
from erpai.cli.backup import backup_command, restore_command
from erpai.cli.builds import ask_command, build_app, compile_command, worker_command
from erpai.cli.chat import chat_app
from erpai.cli.demo import demo_command
from erpai.cli.evaluate import eval_command
from erpai.cli.exports import export_app, model_export_command, model_import_command
from erpai.cli.feedback import feedback_command, inbox_command
from erpai.cli.grants import register_grant_commands
from erpai.cli.inbox import audit_command, hits_command, notification_app
from erpai.cli.ingest import ingest_command, lead_app
from erpai.cli.mcp import mcp_command
from erpai.cli.output import handle_errors
from erpai.cli.providers import provider_app
from erpai.cli.qas import qa_app
from erpai.cli.rules import record_app, rule_app
from erpai.cli.secrets import secrets_app
from erpai.cli.settings import setting_app
from erpai.cli.training import conversation_app
from erpai.cli.users import token_app, user_app

app = typer.Typer(help="erpai: self-hosted AI models for your business.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
TRAIN, USE, DATA, ADMIN, SERVE = "Models and training", "Use models", "Data", "Administration", "Servers"
app.add_typer(model_app, name="model", rich_help_panel=TRAIN)
register_grant_commands(model_app)
app.add_typer(qa_app, name="qa", rich_help_panel=TRAIN)
app.add_typer(conversation_app, name="conversation", rich_help_panel=TRAIN)
app.command("compile", rich_help_panel=TRAIN)(handle_errors(compile_command))
app.add_typer(build_app, name="build", rich_help_panel=TRAIN)
app.command("eval", rich_help_panel=TRAIN)(handle_errors(eval_command))
app.command("ask", rich_help_panel=USE)(handle_errors(ask_command))
app.add_typer(chat_app, name="chat", rich_help_panel=USE)
app.command("hits", rich_help_panel=USE)(hits_command)
app.command("feedback", rich_help_panel=USE)(feedback_command)
app.command("inbox", rich_help_panel=TRAIN)(inbox_command)
app.add_typer(notification_app, name="notification", rich_help_panel=USE)
app.add_typer(assistant_app, name="assistant", rich_help_panel=USE)
app.add_typer(export_app, name="export", rich_help_panel=DATA)
app.add_typer(record_app, name="record", rich_help_panel=DATA)
app.add_typer(rule_app, name="rule", rich_help_panel=USE)
model_app.command("export")(model_export_command)
model_app.command("import")(model_import_command)
app.add_typer(user_app, name="user", rich_help_panel=ADMIN)
user_app.command("show")(show_user)
app.add_typer(token_app, name="token", rich_help_panel=ADMIN)
token_app.command("list")(list_tokens)
token_app.command("revoke")(revoke_token)
app.add_typer(provider_app, name="provider", rich_help_panel=ADMIN)
app.add_typer(setting_app, name="setting", rich_help_panel=ADMIN)
app.command("audit", rich_help_panel=ADMIN)(audit_command)
app.add_typer(secrets_app, name="secrets", rich_help_panel=ADMIN)
app.command("backup", rich_help_panel=ADMIN)(backup_command)
app.command("restore", rich_help_panel=ADMIN)(restore_command)
app.add_typer(db_app, name="db", rich_help_panel=ADMIN)
app.command("demo", rich_help_panel=ADMIN)(handle_errors(demo_command))
app.command("ingest", rich_help_panel=USE)(ingest_command)
app.add_typer(lead_app, name="lead", rich_help_panel=USE)
app.add_typer(todo_app, name="todo", rich_help_panel=USE)
app.command("worker", rich_help_panel=SERVE)(worker_command)
app.command("mcp", rich_help_panel=SERVE)(mcp_command)


@app.callback()
def main(
    as_login: str = typer.Option(
        None, "--as", metavar="LOGIN", envvar="ERPAI_USER", help="Act as this user (default: first admin)."
    ),
) -> None:
    """erpai: self-hosted AI models for your business."""
    set_global_login(as_login)


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from erpai.config import get_settings
    from erpai.migrate import upgrade

    upgrade()
    typer.echo(f"database is up to date ({_safe_url(get_settings().resolved_database_url)})")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("serve", rich_help_panel=SERVE)
def serve(
    host: str = typer.Option(None, help="Bind address (default ERPAI_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default ERPAI_PORT or 8000)."),
) -> None:
    """Serve the REST API (and docs at /docs)."""
    import uvicorn

    from erpai.config import get_settings

    settings = get_settings()
    uvicorn.run("erpai.api:create_app", factory=True, host=host or settings.host, port=port or settings.port)


if __name__ == "__main__":
    app()
