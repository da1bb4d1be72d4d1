"""``erpai user show`` and ``erpai token list|revoke`` (remote with ERPAI_URL); registered by main."""

from __future__ import annotations

import typer

from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors
from erpai.cli.remote import remote_client
from erpai.client import Client
from erpai.errors import NotFound
from erpai.users import service
from erpai.users.schemas import TokenRead, UserRead

TOKEN_COLUMNS = ["id", "name", "token_prefix", "creation_time_utc", "last_used_time_utc", "revoked_time_utc"]
UserOption = typer.Argument(None, help="User id or login (default: you, the acting user).")


@handle_errors
def show_user(user: str = UserOption, as_login: str = AsOption, as_json: bool = JsonOption) -> None:
    """Show a user (default: yourself)."""
    client = remote_client()
    if client is not None:
        with client:
            me = client.me()
            found = me if user is None or user in (me.login, str(me.id)) else _remote_user(client, user)
        emit(found, as_json, [])
        return
    with cli_session() as session:
        row = service.find_user(session, ref=user) if user else acting_user(session, as_login)
        emit(UserRead.model_validate(row), as_json, [])


def _remote_user(client: Client, ref: str) -> UserRead:
    for row in client.list_users():
        if ref in (row.login, str(row.id)):
            return row
    raise NotFound(f"user '{ref}' does not exist", field="user")


@handle_errors
def list_tokens(user: str = UserOption, as_login: str = AsOption, as_json: bool = JsonOption) -> None:
    """A user's API tokens (default: yours); only their first characters are shown."""
    client = remote_client()
    if client is not None:
        with client:
            owner = client.me() if user is None else _remote_user(client, user)
            emit(client.list_tokens(owner.id), as_json, TOKEN_COLUMNS)
        return
    with cli_session() as session:
        row = service.find_user(session, ref=user) if user else acting_user(session, as_login)
        tokens = [TokenRead.model_validate(t) for t in service.list_tokens(session, user_id=row.id)]
    emit(tokens, as_json, TOKEN_COLUMNS)


@handle_errors
def revoke_token(
    token_id: int = typer.Argument(..., help="Token id (see 'erpai token list')."),
    user: str = typer.Option(None, "--user", help="The token's owner (default: you)."),
    as_login: str = AsOption,
) -> None:
    """Revoke an API token: it stops working at once."""
    client = remote_client()
    if client is not None:
        with client:
            owner = client.me() if user is None else _remote_user(client, user)
            client.revoke_token(owner.id, token_id)
    else:
        with cli_session() as session:
            row = service.find_user(session, ref=user) if user else acting_user(session, as_login)
            service.revoke_token(session, user_id=row.id, token_id=token_id)
    typer.echo(f"token {token_id} revoked")
