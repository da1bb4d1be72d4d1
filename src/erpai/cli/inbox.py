"""``erpai notification list|read``, ``erpai hits MODEL`` and ``erpai audit`` (remote with ERPAI_URL
where the API allows it)."""

from __future__ import annotations

import typer

from erpai.ai_models.service import find_model
from erpai.audit.schemas import AuditEntryRead
from erpai.audit.service import list_entries
from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors
from erpai.cli.remote import remote_client
from erpai.common import PageParams
from erpai.compilations.schemas import HitRead
from erpai.compilations.service import list_hits
from erpai.errors import Forbidden, InvalidInput
from erpai.notifications import service as notifications
from erpai.notifications.schemas import NotificationRead

notification_app = typer.Typer(help="Your notifications (finished compiles...).", no_args_is_help=True)
NOTIFICATION_COLUMNS = ["id", "is_read", "title", "creation_time_utc"]
HIT_COLUMNS = ["id", "time_utc", "channel", "answered", "score", "from_memory", "question", "answer"]
AUDIT_COLUMNS = ["id", "time_utc", "user_id", "entity", "entity_id", "action", "changes"]


@notification_app.command("list")
@handle_errors
def list_notifications(
    unread: bool = typer.Option(False, "--unread", help="Only unread ones."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Your notifications, newest first."""
    client = remote_client()
    if client is not None:
        with client:
            emit(client.list_notifications(unread=unread or None), as_json, NOTIFICATION_COLUMNS)
        return
    with cli_session() as session:
        user = acting_user(session, as_login)
        rows, _ = notifications.list_notifications(
            session, user_id=user.id, params=PageParams(limit=1_000_000, offset=0), unread=unread or None
        )
        emit([NotificationRead.model_validate(r) for r in rows], as_json, NOTIFICATION_COLUMNS)


@notification_app.command("read")
@handle_errors
def read_notifications(
    notification_id: int = typer.Argument(None, help="Notification id."),
    all_: bool = typer.Option(False, "--all", help="Mark every unread notification read."),
    as_login: str = AsOption,
) -> None:
    """Mark a notification (or --all) read."""
    if (notification_id is None) == (not all_):
        raise InvalidInput("give a notification id or --all (not both)", field="notification_id")
    client = remote_client()
    if client is not None:
        with client:
            marked = client.mark_all_read() if all_ else _one(client.mark_read(notification_id))
    else:
        with cli_session() as session:
            user = acting_user(session, as_login)
            if all_:
                marked = notifications.mark_all_read(session, user_id=user.id)
            else:
                marked = _one(
                    notifications.mark_read(session, notification_id=notification_id, user_id=user.id)
                )
    typer.echo(f"marked {marked} notification{'s' if marked != 1 else ''} read")


def _one(_: object) -> int:
    return 1


@handle_errors
def hits_command(
    model: str = typer.Argument(..., help="Model id or name."),
    answered: bool = typer.Option(None, "--answered/--unanswered", help="Only answered / unanswered."),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="How many, newest first."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """A model's hit history: the latest questions asked, with score and channel (its trainers)."""
    client = remote_client()
    if client is not None:
        with client:
            target = client.find_model(model)
            emit(client.hits(target.id, answered=answered, limit=limit), as_json, HIT_COLUMNS)
        return
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target_id = find_model(session, ref=model).id
        rows, _ = list_hits(
            session,
            model_id=target_id,
            params=PageParams(limit=limit, offset=0),
            actor=actor,
            answered=answered,
        )
        emit([HitRead.model_validate(r) for r in rows], as_json, HIT_COLUMNS)


@handle_errors
def audit_command(
    entity: str = typer.Option(None, "--entity", help="model, model_qa, user, provider..."),
    entity_id: int = typer.Option(None, "--id", help="Only this record."),
    limit: int = typer.Option(50, "--limit", min=1, help="How many, newest first."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Who changed what (admins)."""
    with cli_session() as session:
        if not acting_user(session, as_login).is_admin:
            raise Forbidden("the audit log needs an admin")
        rows, _ = list_entries(
            session, params=PageParams(limit=limit, offset=0), entity=entity, entity_id=entity_id
        )
        emit([AuditEntryRead.from_row(r) for r in rows], as_json, AUDIT_COLUMNS)
