"""``erpai model grant / revoke / grants``: per-model train and use rights (admins)."""

from __future__ import annotations

import typer

from erpai.ai_models.service import find_model
from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors
from erpai.errors import InvalidInput
from erpai.permissions import service
from erpai.users.service import find_user

ModelArgument = typer.Argument(..., help="Model id or name.")
UserArgument = typer.Argument(..., help="User login or id.")
TrainOption = typer.Option(False, "--train", help="The train right (edit Q&As, conversations; read logs).")
UseOption = typer.Option(False, "--use", help="The use right (ask it, pick it as assistant).")
COLUMNS = ["id", "user_login", "right", "granted_by_user_id", "creation_time_utc"]


def _right(train: bool, use: bool) -> str:
    if train == use:
        raise InvalidInput("pass exactly one of --train or --use", field="right")
    return "train" if train else "use"


@handle_errors
def grant_right(
    model: str = ModelArgument,
    user: str = UserArgument,
    train: bool = TrainOption,
    use: bool = UseOption,
    as_login: str = AsOption,
) -> None:
    """Give a user the train or use right on a model (a model with no grants is usable by everyone)."""
    right = _right(train, use)
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target, person = find_model(session, ref=model), find_user(session, ref=user)
        service.grant(session, model_id=target.id, user_id=person.id, right=right, actor=actor)
        typer.echo(f"granted {right} on model '{target.name}' to {person.login}")


@handle_errors
def revoke_right(
    model: str = ModelArgument,
    user: str = UserArgument,
    train: bool = TrainOption,
    use: bool = UseOption,
    as_login: str = AsOption,
) -> None:
    """Take a train or use right on a model back from a user."""
    right = _right(train, use)
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target, person = find_model(session, ref=model), find_user(session, ref=user)
        row = service.find_grant(session, model_id=target.id, user_id=person.id, right=right)
        service.revoke(session, model_id=target.id, grant_id=row.id, actor=actor)
        typer.echo(f"revoked {right} on model '{target.name}' from {person.login}")


@handle_errors
def list_grants(model: str = ModelArgument, as_login: str = AsOption, as_json: bool = JsonOption) -> None:
    """Who trains or uses a model."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = find_model(session, ref=model)
        emit(service.list_grants(session, model_id=target.id, actor=actor), as_json, COLUMNS)


def register_grant_commands(app: typer.Typer) -> None:
    app.command("grant")(grant_right)
    app.command("revoke")(revoke_right)
    app.command("grants")(list_grants)
