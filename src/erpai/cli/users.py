from __future__ import annotations

import typer

from erpai.cli.acting import AsOption, acting_user_id, acting_user_or_none
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors, print_json
from erpai.common import PageParams
from erpai.users import service
from erpai.users.schemas import TokenRead, UserCreate, UserRead, UserUpdate

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
    as_login: str = AsOption,
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
        actor_id = acting_user_id(session, as_login)
        emit(UserRead.model_validate(service.create_user(session, data=data, actor_id=actor_id)), as_json, [])


@user_app.command("update")
@handle_errors
def update_user(
    user: str = typer.Argument(..., help="User id or login."),
    admin: bool = typer.Option(None, "--admin/--no-admin", help="Grant or withdraw admin rights."),
    active: bool = typer.Option(None, "--active/--inactive", help="Let the user log in, or not."),
    name: str = typer.Option(None, help="New display name."),
    email: str = typer.Option(None, help="New e-mail address."),
    working_language: str = typer.Option(
        None, "--working-language", help="Language of AI-written to-do titles for the user, e.g. de."
    ),
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Change a user (also the working language: `erpai user update jane --working-language de`).
    Works without any active admin (recovery: `erpai user update LOGIN --admin --active`);
    demoting or deactivating the last active admin is refused."""
    values = {
        "is_admin": admin,
        "is_active": active,
        "name": name,
        "email": email,
        "working_language": working_language,
    }
    data = UserUpdate(**{key: value for key, value in values.items() if value is not None})
    with cli_session() as session:
        target = service.find_user(session, ref=user)
        actor_id = acting_user_id(session, as_login)
        updated = service.update_user(session, user_id=target.id, data=data, actor_id=actor_id)
        emit(UserRead.model_validate(updated), as_json, [])


@user_app.command("list")
@handle_errors
def list_users(as_json: bool = JsonOption) -> None:
    """List users."""
    with cli_session() as session:
        rows, _ = service.list_users(session, params=PageParams(limit=10_000, offset=0))
        emit(
            [UserRead.model_validate(r) for r in rows],
            as_json,
            ["id", "login", "name", "user_type", "is_admin", "is_active"],
        )


@token_app.command("create")
@handle_errors
def create_token(
    user: str = typer.Argument(..., help="User id or login."),
    name: str = typer.Option("default", help="A label for the token."),
    expires_in_days: int = typer.Option(
        None, min=0, max=3650, help="Days it stays valid; 0: never (default: setting auth.token_expiry_days)."
    ),
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Create an API token for a user; the token is printed once."""
    with cli_session() as session:
        owner = service.find_user(session, ref=user)
        token, plain = service.create_token(
            session,
            user_id=owner.id,
            name=name,
            expires_in_days=expires_in_days,
            actor=acting_user_or_none(session, as_login),
        )
        if as_json:
            print_json({**TokenRead.model_validate(token).model_dump(mode="json"), "token": plain})
        else:
            typer.echo(plain)
