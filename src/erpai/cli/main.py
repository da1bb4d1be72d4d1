"""The ``erpai`` command line."""

from __future__ import annotations

import typer

from erpai.cli.acting import set_global_login
from erpai.cli.ai_models import model_app
from erpai.cli.backup import backup_command, restore_command
from erpai.cli.builds import ask_command, build_app, compile_command, worker_command
from erpai.cli.chat import chat_app
from erpai.cli.demo import demo_command
from erpai.cli.evaluate import eval_command
from erpai.cli.output import handle_errors
from erpai.cli.providers import provider_app
from erpai.cli.qas import qa_app
from erpai.cli.secrets import secrets_app
from erpai.cli.training import conversation_app
from erpai.cli.users import token_app, user_app

app = typer.Typer(help="erpai: self-hosted AI models for your business.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(provider_app, name="provider")
app.add_typer(token_app, name="token")
app.add_typer(qa_app, name="qa")
app.add_typer(conversation_app, name="conversation")
app.add_typer(model_app, name="model")
app.add_typer(build_app, name="build")
app.add_typer(chat_app, name="chat")
app.add_typer(secrets_app, name="secrets")
app.command("compile")(handle_errors(compile_command))
app.command("ask")(handle_errors(ask_command))
app.command("eval")(handle_errors(eval_command))
app.command("worker")(worker_command)
app.command("demo")(handle_errors(demo_command))
app.command("backup")(backup_command)
app.command("restore")(restore_command)


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


@app.command("serve")
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
