"""``erpai secrets``: rotate the key that encrypts provider API keys, generate a key."""

from __future__ import annotations

import typer

from erpai.cli.output import cli_session, handle_errors
from erpai.providers.rotation import NEW_KEY_VARIABLE, rotate_secret_key
from erpai.security import new_secret_key

secrets_app = typer.Typer(help="The key that encrypts provider API keys.", no_args_is_help=True)


@secrets_app.command("rotate")
@handle_errors
def rotate_command() -> None:
    """Re-encrypt every stored provider key under a new key (all or nothing); never prints a key."""
    with cli_session() as session:
        result = rotate_secret_key(session, actor_id=None)
    typer.echo(f"re-encrypted {result.providers} provider key(s)")
    if result.key_file is not None:
        typer.echo(f"the new key is in {result.key_file}; restart erpai serve and the workers")
    else:
        typer.echo(
            f"now set ERPAI_SECRET_KEY to the value of {NEW_KEY_VARIABLE} everywhere erpai runs, and restart"
        )


@secrets_app.command("generate")
def generate_command() -> None:
    """Print a new random key (for ERPAI_SECRET_KEY / ERPAI_NEW_SECRET_KEY); redirect it to a file."""
    typer.echo(new_secret_key().decode())
