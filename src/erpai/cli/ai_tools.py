"""``erpai todo from-comment|from-notification`` and ``erpai record translate`` (AI tools for records)."""

from __future__ import annotations

import typer

from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors
from erpai.cli.rules import record_app
from erpai.records.translation import TranslateRequest, translate_field
from erpai.todos import service as todos
from erpai.todos.schemas import TodoCreated, TodoFromComment, TodoFromNotification

todo_app = typer.Typer(help="To-dos from a chat comment or a notification (AI title).", no_args_is_help=True)
TitleOption = typer.Option(None, "--title", help="Your own title (default: the AI writes one).")
RecordOption = typer.Option(
    None, "--record", metavar="KIND:ID", help='The record it is about, e.g. "leads:12".'
)


def _print(created: TodoCreated, as_json: bool) -> None:
    if as_json:
        emit(created, True, [])
        return
    todo = created.todo
    typer.echo(f"to-do {todo['id']}: {todo['title']} ({created.title_source}, {created.language})")
    if created.system_comment_id is not None:
        typer.echo(
            f"posted in chat group {todo['linked_chat_group_id']}; notified {len(created.notified_user_ids)}"
        )
    for warning in created.warnings:
        typer.echo(f"warning: {warning}")


@todo_app.command("from-comment")
@handle_errors
def from_comment(
    comment_id: int = typer.Argument(..., min=1, help="The chat comment's id."),
    title: str = TitleOption,
    record: str = RecordOption,
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Create a to-do from a chat comment (owner and assignee: you; the group gets a system line)."""
    data = TodoFromComment(comment_id=comment_id, title=title, linked_record=record)
    with cli_session() as session:
        _print(
            todos.create_todo_from_comment(session, data=data, actor=acting_user(session, as_login)), as_json
        )


@todo_app.command("from-notification")
@handle_errors
def from_notification(
    notification_id: int = typer.Argument(..., min=1, help="One of your notifications."),
    title: str = TitleOption,
    record: str = RecordOption,
    group: int = typer.Option(None, "--group", min=1, help="A chat group of yours to link and tell."),
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Create a to-do from a notification, with its subject as the context."""
    data = TodoFromNotification(
        notification_id=notification_id, title=title, linked_record=record, group_id=group
    )
    with cli_session() as session:
        actor = acting_user(session, as_login)
        _print(todos.create_todo_from_notification(session, data=data, actor=actor), as_json)


@record_app.command("translate")
@handle_errors
def translate_record_field(
    kind: str = typer.Argument(..., help="The record kind, e.g. products."),
    record_id: int = typer.Argument(..., min=1),
    field: str = typer.Argument(..., help="A multilanguage field, e.g. name."),
    source: str = typer.Option(None, "--from", help="Source language (default: the first with a value)."),
    target: str = typer.Option(None, "--to", help="Only this language (default: every empty active one)."),
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Translate a multilanguage field with AI: into every active language without a value, or --to one."""
    data = TranslateRequest(field=field, source_language=source, target_language=target)
    with cli_session() as session:
        actor = acting_user(session, as_login)
        result = translate_field(session, kind=kind, record_id=record_id, data=data, actor=actor)
    if as_json:
        emit(result, True, [])
        return
    if not result.translated:
        typer.echo(f"nothing to translate: every active language of {field} has a value")
    for language, text in result.translated.items():
        typer.echo(f"{field}.{language}: {text}")
