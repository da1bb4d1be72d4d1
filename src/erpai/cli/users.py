from __future__ import annotations

import typer

from erpai.cli.output import JsonOption, cli_session, emit, handle_errors, print_json
from erpai.users import service
from erpai.users.schemas import TokenRead, UserCreate, UserRead

user_app = typer.Typer(help="Users (internal people and virtual chat identities).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@user_app.command("create")
@handle_errors
def create_user(
    login: str,
    name: str = typer.Option(None, help="Display name (default: the login)."),
    admin: bool = typer.Option(False, "--admin", help="Grant admin rights."),
    virtual: bool = typer.Option(False, "--virtual", help="A virtual user (a model's chat identity)."),
    email: str = typer.Option(None),
    as_json: bool = JsonOption,
) -> None:
    """Create a user."""
    data = UserCreate(
        login=login,
        name=name or login,
        email=email,
        is_admin=admin,
        user_type="virtual" if virtual else "internal",
    )
    with cli_session() as session:
        emit(UserRead.model_validate(service.create_user(session, data=data, actor_id=None)), as_json, [])


@user_app.command("list")
@handle_errors
def list_users(as_json: bool = JsonOption) -> None:
    """List users."""
    from erpai.common import PageParams

    with cli_session() as session:
        rows, _ = service.list_users(session, params=PageParams(limit=10_000, offset=0))
        emit(
            [UserRead.model_validate(r) for r in rows],
            as_json,
            ["id", "login", "name", "user_type", "is_admin"],
        )


@token_app.command("create")
@handle_errors
def create_token(
    user: str = typer.Argument(..., help="User id or login."),
    name: str = typer.Option("default", help="A label for the token."),
    as_json: bool = JsonOption,
) -> None:
    """Create an API token for a user; the token is printed once."""
    with cli_session() as session:
        owner = service.find_user(session, ref=user)
        token, plain = service.create_token(session, user_id=owner.id, name=name)
        if as_json:
            print_json({**TokenRead.model_validate(token).model_dump(mode="json"), "token": plain})
        else:
            typer.echo(plain)
