"""``erpai setting``: read and change the system settings (company configuration kept in the database)."""

from __future__ import annotations

import typer

from erpai.cli.acting import AsOption, acting_user_or_none
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors
from erpai.settings import service

setting_app = typer.Typer(help="System settings (admins).", no_args_is_help=True)
LIST_COLUMNS = ["key", "value", "default", "type", "description"]


@setting_app.command("list")
@handle_errors
def list_settings(as_json: bool = JsonOption, as_login: str = AsOption) -> None:
    """Every known setting with its value and default."""
    with cli_session() as session:
        emit(
            service.list_settings(session, actor=acting_user_or_none(session, as_login)),
            as_json,
            LIST_COLUMNS,
        )


@setting_app.command("get")
@handle_errors
def get_setting(
    key: str = typer.Argument(..., help="Setting key, e.g. auth.token_expiry_days."),
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Show one setting."""
    with cli_session() as session:
        emit(
            service.read_setting(session, key=key, actor=acting_user_or_none(session, as_login)), as_json, []
        )


@setting_app.command("set")
@handle_errors
def set_setting(
    key: str = typer.Argument(..., help="Setting key."),
    value: str = typer.Argument(..., help="The new value, read as the setting's type."),
    as_login: str = AsOption,
) -> None:
    """Change a setting (checked against its type and bounds; audited)."""
    with cli_session() as session:
        parsed = service.parse_setting_text(key=key, text=value)
        saved = service.set_setting(
            session, key=key, value=parsed, actor=acting_user_or_none(session, as_login)
        )
        typer.echo(f"{saved.key} = {saved.value}")


@setting_app.command("reset")
@handle_errors
def reset_setting(key: str = typer.Argument(..., help="Setting key."), as_login: str = AsOption) -> None:
    """Back to the default."""
    with cli_session() as session:
        saved = service.reset_setting(session, key=key, actor=acting_user_or_none(session, as_login))
        typer.echo(f"{saved.key} = {saved.value} (default)")
