from __future__ import annotations

import re
from pathlib import Path

import typer
from pydantic import ValidationError

from erpai.ai_models.service import find_model
from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, err_console, fail, handle_errors, print_json
from erpai.common import PageParams
from erpai.errors import InvalidInput
from erpai.qas.io import ImportRejected, decode_text
from erpai.training import service
from erpai.training.schemas import (
    ConversationRead,
    ConversationSummary,
    ConversationUpdate,
    MessageIn,
    MessageRead,
    MessageUpdate,
)

conversation_app = typer.Typer(
    help="Training conversations: example dialogues a model learns.", no_args_is_help=True
)

ModelArgument = typer.Argument(..., help="Model id or name.")
# "user:text", "assistant:text", "system:text"; a name in brackets: "user[Jacob]:text".
MESSAGE_PATTERN = re.compile(r"^\s*(user|assistant|system)(?:\[([^\]]*)\])?:(.*)$", re.DOTALL | re.IGNORECASE)
LIST_COLUMNS = ["id", "origin", "message_count", "last_update_time_utc", "notes"]


def parse_message(spec: str, position: int) -> MessageIn:
    match = MESSAGE_PATTERN.match(spec)
    if match is None:
        raise InvalidInput(
            f"--message #{position} must look like 'user:text', 'assistant:text' or 'user[Name]:text'",
            field="message",
        )
    role, name, content = match.groups()
    try:
        return MessageIn.model_validate({"role": role.lower(), "name": name, "content": content})
    except ValidationError as exc:
        raise InvalidInput(f"--message #{position}: {exc.errors()[0]['msg']}", field="message") from None


@conversation_app.command("add")
@handle_errors
def add_conversation(
    model: str = ModelArgument,
    message: list[str] = typer.Option(..., "--message", "-m", help="'role[Name]:text'; repeat in order."),
    notes: str = typer.Option(None, "--notes"),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Add a training conversation to a model."""
    messages = [parse_message(spec, position) for position, spec in enumerate(message, start=1)]
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = find_model(session, ref=model)
        conversation = service.create_conversation(
            session, model_id=target.id, messages=messages, notes=notes, actor=actor
        )
        read = ConversationRead.model_validate(conversation)
    if as_json:
        print_json(read)
    else:
        typer.echo(f"created training conversation {read.id} with {read.message_count} messages")


@conversation_app.command("import")
@handle_errors
def import_conversations(
    model: str = ModelArgument,
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help='JSONL: {"messages": [...], "notes"?} a line.'
    ),
    as_login: str = AsOption,
) -> None:
    """Import conversations from JSONL: every line or none; each bad line is listed."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = find_model(session, ref=model)
        try:
            count = service.import_conversations(
                session, model_id=target.id, content=decode_text(file.read_bytes()), actor=actor
            )
        except ImportRejected as exc:
            for error in exc.errors:
                err_console.print(f"{file.name}: {error}", highlight=False, markup=False)
            raise fail(exc.message) from None
    typer.echo(f"imported {count} training conversations into model '{target.name}'")


@conversation_app.command("list")
@handle_errors
def list_conversations(
    model: str = ModelArgument, as_login: str = AsOption, as_json: bool = JsonOption
) -> None:
    """List the model's training conversations the acting user may read."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = find_model(session, ref=model)
        rows, _ = service.list_conversations(
            session, params=PageParams(limit=1_000_000, offset=0), actor=actor, model_id=target.id
        )
        counts = service.message_counts(session, conversation_ids=[r.id for r in rows])
        items = [
            ConversationSummary.model_validate(r).model_copy(update={"message_count": counts.get(r.id, 0)})
            for r in rows
        ]
    emit(items, as_json, LIST_COLUMNS)


@conversation_app.command("show")
@handle_errors
def show_conversation(
    conversation_id: int = typer.Argument(..., help="Conversation id."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Show a training conversation with its messages."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        read = ConversationRead.model_validate(
            service.read_conversation(session, conversation_id=conversation_id, actor=actor)
        )
    if as_json:
        print_json(read)
        return
    typer.echo(f"conversation {read.id} (model {read.model_id}, origin {read.origin}): {read.notes or ''}")
    for item in read.messages:
        typer.echo(f"{item.message_no}. {_speaker(item)}: {item.content}")


def _speaker(message: MessageRead) -> str:
    return f"{message.role}[{message.name}]" if message.name else message.role


@conversation_app.command("update")
@handle_errors
def update_conversation(
    conversation_id: int = typer.Argument(..., help="Conversation id."),
    notes: str = typer.Option(None, "--notes", help='New notes ("" clears them).'),
    model: str = typer.Option(None, "--model", help="Move it to this model (id or name)."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a conversation's notes or move it to another model (its creator or an admin)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        values: dict[str, object] = {}
        if notes is not None:
            values["notes"] = notes or None
        if model is not None:
            values["model_id"] = find_model(session, ref=model).id
        updated = service.update_conversation(
            session,
            conversation_id=conversation_id,
            data=ConversationUpdate.model_validate(values),
            actor=actor,
        )
        emit(ConversationRead.model_validate(updated), as_json, [])


@conversation_app.command("delete")
@handle_errors
def delete_conversation(
    conversation_id: int = typer.Argument(..., help="Conversation id."), as_login: str = AsOption
) -> None:
    """Delete a training conversation (its creator or an admin)."""
    with cli_session() as session:
        service.delete_conversation(
            session, conversation_id=conversation_id, actor=acting_user(session, as_login)
        )
    typer.echo(f"conversation {conversation_id} deleted")


message_app = typer.Typer(help="Messages of a training conversation.", no_args_is_help=True)
conversation_app.add_typer(message_app, name="message")


@message_app.command("add")
@handle_errors
def add_message(
    conversation_id: int = typer.Argument(..., help="Conversation id."),
    message: str = typer.Argument(..., help="'role[Name]:text', e.g. 'assistant:Yes, we do.'"),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Append a message (it gets the next MessageNo)."""
    data = parse_message(message, 1)
    with cli_session() as session:
        actor = acting_user(session, as_login)
        row = service.add_message(session, conversation_id=conversation_id, data=data, actor=actor)
        emit(MessageRead.model_validate(row), as_json, [])


@message_app.command("update")
@handle_errors
def update_message(
    conversation_id: int = typer.Argument(..., help="Conversation id."),
    message_id: int = typer.Argument(..., help="Message id."),
    message: str = typer.Argument(..., help="The new 'role[Name]:text'."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Replace a message's role, name and text."""
    parsed = parse_message(message, 1)
    data = MessageUpdate(role=parsed.role, name=parsed.name, content=parsed.content)
    with cli_session() as session:
        actor = acting_user(session, as_login)
        row = service.update_message(
            session, conversation_id=conversation_id, message_id=message_id, data=data, actor=actor
        )
        emit(MessageRead.model_validate(row), as_json, [])


@message_app.command("delete")
@handle_errors
def delete_message(
    conversation_id: int = typer.Argument(..., help="Conversation id."),
    message_id: int = typer.Argument(..., help="Message id."),
    as_login: str = AsOption,
) -> None:
    """Delete a message."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        service.delete_message(session, conversation_id=conversation_id, message_id=message_id, actor=actor)
    typer.echo(f"message {message_id} deleted")
