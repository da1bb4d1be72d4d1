"""``erpai assistant``: your personal AI assistant from the shell (private: you act as ``--as LOGIN``)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.service import find_model
from erpai.assistant import preferences, replies, service
from erpai.assistant.models import AssistantConversation
from erpai.assistant.ratings import rate_reply
from erpai.assistant.schemas import (
    ConversationCreate,
    ConversationRead,
    InstructionsRead,
    MessageRead,
    PreferencesRead,
)
from erpai.cli.acting import AsOption, acting_user
from erpai.cli.feedback import RatingChoice
from erpai.cli.output import JsonOption, cli_session, console, emit, fail, handle_errors, print_json
from erpai.common import PageParams
from erpai.feedback.schemas import FeedbackIn
from erpai.users.models import User

assistant_app = typer.Typer(help="Your personal AI assistant (private to you).", no_args_is_help=True)
ModelOpt = typer.Option(None, "--model", "-m", help="Model id or name (default: assigned, else default).")
ConversationOpt = typer.Option(
    None, "--conversation", "-c", help="Conversation id (default: the active one)."
)
CONVERSATION_COLUMNS = ["id", "model_id", "title", "is_active", "creation_time_utc"]
ALL = PageParams(limit=500, offset=0)


def _model_id(session: Session, model: str | None) -> int | None:
    return find_model(session, ref=model).id if model else None


def _active(session: Session, actor: User, model: str | None) -> int:
    """The caller's active conversation (with the model, if named; else the newest active one);
    a new one with the resolved model when there is none."""
    mine = select(AssistantConversation.id).where(
        AssistantConversation.user_id == actor.id, AssistantConversation.is_active.is_(True)
    )
    if model is None:
        newest = session.scalar(mine.order_by(AssistantConversation.id.desc()).limit(1))
        if newest is not None:
            return newest
    target = service.resolve_model(session, user_id=actor.id, model_id=_model_id(session, model))
    found = session.scalar(mine.where(AssistantConversation.model_id == target.id))
    if found is not None:
        return found
    return service.create_conversation(session, actor=actor, data=ConversationCreate(model_id=target.id)).id


@assistant_app.command("new")
@handle_errors
def new_conversation(
    model: str | None = ModelOpt,
    title: str | None = typer.Option(None, help="Default: the first message."),
    as_login: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Start a new conversation (the current one with that model becomes inactive)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        data = ConversationCreate(model_id=_model_id(session, model), title=title)
        emit(
            ConversationRead.model_validate(service.create_conversation(session, actor=actor, data=data)),
            as_json,
            [],
        )


@assistant_app.command("ask")
@handle_errors
def ask_assistant(
    text: str = typer.Argument(..., help="Your message."),
    conversation: int | None = ConversationOpt,
    model: str | None = ModelOpt,
    stream: bool = typer.Option(False, "--stream", help="Print the reply as it is written."),
    as_login: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Ask your assistant (in the given or the active conversation)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        conversation_id = conversation if conversation is not None else _active(session, actor, model)
        if stream and not as_json:
            for name, data in replies.stream_message(
                session, actor=actor, conversation_id=conversation_id, text=text
            ):
                if name == "delta":
                    sys.stdout.write(str(data["text"]))
                    sys.stdout.flush()
                if name == "error":
                    raise fail(str(data["detail"]))
            sys.stdout.write("\n")
            return
        reply = replies.post_message(session, actor=actor, conversation_id=conversation_id, text=text)
    if as_json:
        print_json(reply)
        return
    console.print(reply.message.content, highlight=False, markup=False)
    for note in reply.notes:
        console.print(f"note: {note}", style="dim", highlight=False, markup=False)


@assistant_app.command("list")
@handle_errors
def list_conversations(
    model: str | None = ModelOpt,
    active: bool | None = typer.Option(None, "--active/--inactive", help="Only active (or inactive) ones."),
    as_login: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Your conversations, newest first."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        rows, _ = service.list_conversations(
            session, user_id=actor.id, params=ALL, model_id=_model_id(session, model), is_active=active
        )
        emit([ConversationRead.model_validate(r) for r in rows], as_json, CONVERSATION_COLUMNS)


@assistant_app.command("show")
@handle_errors
def show_conversation(
    conversation_id: int = typer.Argument(..., help="Conversation id."),
    as_login: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """One of your conversations with its messages (anyone else's reads as missing)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        found = service.get_conversation(session, conversation_id=conversation_id, user_id=actor.id)
        head = ConversationRead.model_validate(found)
        rows, _ = service.list_messages(session, conversation_id=found.id, user_id=actor.id, params=ALL)
        messages = [MessageRead.from_row(r) for r in rows]
    if as_json:
        print_json(
            {**head.model_dump(mode="json"), "messages": [m.model_dump(mode="json") for m in messages]}
        )
        return
    console.print(f"#{head.id} {head.title} ({'active' if head.is_active else 'inactive'})", markup=False)
    for message in messages:
        console.print(f"[{message.role}] {message.content}", highlight=False, markup=False)


@assistant_app.command("rate")
@handle_errors
def rate_assistant_reply(
    conversation_id: int = typer.Argument(..., help="Conversation id."),
    message_id: int = typer.Argument(..., help="The reply's message id (see 'erpai assistant show --json')."),
    rating: RatingChoice = typer.Argument(..., help="up or down."),
    reason: str | None = typer.Option(None, "--reason", help="Why (optional)."),
    as_login: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Thumbs up / down on one of your assistant's replies (shares it with the model's trainers)."""
    data = FeedbackIn(rating=rating.value, reason=reason)
    with cli_session() as session:
        actor = acting_user(session, as_login)
        rated = rate_reply(
            session, conversation_id=conversation_id, message_id=message_id, data=data, actor=actor
        )
        emit(rated, as_json, [])


@assistant_app.command("context")
@handle_errors
def upload_context(
    file: Path = typer.Argument(
        ..., help="A JSON file: one record, or {title, description, objects}; - for stdin."
    ),
    conversation: int | None = ConversationOpt,
    model: str | None = ModelOpt,
    as_login: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Send page data: the record or page you are looking at, as context for the conversation."""
    raw = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    with cli_session() as session:
        actor = acting_user(session, as_login)
        conversation_id = conversation if conversation is not None else _active(session, actor, model)
        result = service.upload_page_data(session, conversation_id=conversation_id, user_id=actor.id, raw=raw)
    if as_json:
        print_json(result)
        return
    console.print(result.message.content, highlight=False, markup=False)


@assistant_app.command("instructions")
@handle_errors
def instructions(
    form_kind: str | None = typer.Argument(None, help="record or navigator (default: show both)."),
    set_text: str | None = typer.Option(None, "--set", help="Your own instructions for that form kind."),
    clear: bool = typer.Option(False, "--clear", help="Back to the system default."),
    as_login: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Show, set or clear your additional instructions (per form kind; default: the system settings)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        if (set_text is not None or clear) and form_kind is None:
            raise fail("name the form kind to change: record or navigator")
        if set_text is not None or clear:
            kind = form_kind or ""
            text = None if clear else set_text
            value = preferences.set_instructions(session, user_id=actor.id, form_kind=kind, instructions=text)
            found = {kind: value}
        elif form_kind is not None:
            found = {
                form_kind: preferences.effective_instructions(session, user_id=actor.id, form_kind=form_kind)
            }
        else:
            found = preferences.list_instructions(session, user_id=actor.id)
    rows = [InstructionsRead(form_kind=k, instructions=v[0], is_default=v[1]) for k, v in found.items()]
    emit(rows, as_json, ["form_kind", "instructions", "is_default"])


@assistant_app.command("debug")
@handle_errors
def debug_switches(
    debug: bool | None = typer.Option(None, "--on/--off", help="Show the exact prompt and raw response."),
    diagnostics: bool | None = typer.Option(
        None, "--diagnostics/--no-diagnostics", help="Show tokens, latency and the build."
    ),
    as_login: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Show or switch your debug mode and diagnostics (off by default; only you see them)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        if debug is None and diagnostics is None:
            row = preferences.preference_of(session, user_id=actor.id)
        else:
            row = preferences.set_switches(session, user_id=actor.id, debug=debug, diagnostics=diagnostics)
        emit(PreferencesRead.model_validate(row), as_json, [])
