from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.snapshot import take_snapshot
from erpai.errors import InvalidInput
from erpai.qas.io import ImportRejected
from erpai.training.models import PreferencePair, TrainingConversation
from erpai.training.schemas import MessageIn
from erpai.training.service import create_conversation, import_conversations, snapshot_training_pairs
from erpai.users.models import User
from tests.qas.conftest import add_model


def _messages(*turns: tuple[str, str]) -> list[MessageIn]:
    return [MessageIn(role=role, content=text) for role, text in turns]  # type: ignore[arg-type]


def test_chat_origin_is_kept_with_its_object(
    db: Session, member: tuple[User, dict[str, str]], admin: tuple[User, dict[str, str]], model: AIModel
) -> None:
    conversation = create_conversation(
        db,
        model_id=model.id,
        messages=_messages(("user", "Q"), ("assistant", "A")),
        origin="CHT",
        origin_object_type="chat_group",
        origin_object_id=42,
        notes="from chat",
        actor=member[0],
    )
    assert (conversation.origin, conversation.origin_object_type, conversation.origin_object_id) == (
        "CHT",
        "chat_group",
        42,
    )
    assert [m.message_no for m in conversation.messages] == [1, 2]
    with pytest.raises(InvalidInput) as error:
        create_conversation(db, model_id=model.id, messages=[], origin="XYZ", actor=admin[0])
    assert error.value.field == "origin"


def test_snapshot_pairs_join_user_turns_and_skip_system(
    db: Session, admin: tuple[User, dict[str, str]], model: AIModel
) -> None:
    child = add_model(db, "Child")
    unrelated = add_model(db, "Unrelated")
    first = create_conversation(
        db,
        model_id=model.id,
        messages=_messages(
            ("system", "Be formal."),
            ("assistant", "Hello, how can I help?"),  # a reply without a question: left out
            ("user", "I need leave."),
            ("user", "Two days."),
            ("system", "(note)"),
            ("assistant", "Book it in the HR portal."),
            ("user", "Thanks!"),  # a question without a reply: left out
        ),
        actor=admin[0],
    )
    second = create_conversation(
        db,
        model_id=child.id,
        messages=_messages(
            ("user", "Q1"),
            ("assistant", "A1"),
            ("assistant", "A1 cont."),
            ("user", "Q2"),
            ("assistant", "A2"),
        ),
        actor=admin[0],
    )
    create_conversation(
        db, model_id=unrelated.id, messages=_messages(("user", "X"), ("assistant", "Y")), actor=admin[0]
    )

    turns = snapshot_training_pairs(db, model_ids=[model.id, child.id])
    assert [(t.conversation_id, t.question, t.reply) for t in turns] == [
        (first.id, "I need leave.\nTwo days.", "Book it in the HR portal."),
        (second.id, "Q1", "A1\nA1 cont."),
        (second.id, "Q2", "A2"),
    ]
    assert snapshot_training_pairs(db, model_ids=[]) == []


def test_a_stored_correction_of_a_several_message_turn_teaches_its_own_question(
    db: Session, admin: tuple[User, dict[str, str]], model: AIModel
) -> None:
    """A conversation and pair as Train AI stores them (also before this was fixed): the pair names the last
    question message and the last answer message; the build learns the correction for that question, while an
    uncorrected turn keeps its messages joined."""
    conversation = create_conversation(
        db,
        model_id=model.id,
        messages=_messages(
            ("user", "Hi"),
            ("user", "What are your opening hours?"),
            ("assistant", "We never close."),
            ("assistant", "Even on holidays."),
            ("user", "No, 9:00 to 17:00."),
            ("user", "And parking?"),
            ("assistant", "Behind the building."),
        ),
        actor=admin[0],
    )
    db.add(PreferencePair(training_conversation_id=conversation.id, prompt="What are your opening hours?",
                          rejected_answer="Even on holidays.", corrected_answer="9:00 to 17:00."))
    db.commit()
    assert [(e.text, e.answer) for e in take_snapshot(db, model=model).training] == [
        ("What are your opening hours?", "9:00 to 17:00."),
        ("No, 9:00 to 17:00.\nAnd parking?", "Behind the building."),
    ]


def test_import_reports_every_bad_line_and_writes_nothing(
    db: Session, admin: tuple[User, dict[str, str]], model: AIModel
) -> None:
    content = "\n".join(
        [
            '{"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}',
            "{broken",
            '{"messages": [{"role": "bot", "content": "Q"}, {"role": "user", "content": " "}]}',
            '{"messages": [{"role": "user", "content": "Q"}], "colour": "red"}',
            '{"notes": "no messages"}',
        ]
    )
    with pytest.raises(ImportRejected) as rejected:
        import_conversations(db, model_id=model.id, content=content, actor=admin[0])
    found = [(e.line, e.field) for e in rejected.value.errors]
    assert found == [
        (2, None),
        (3, "messages.0.role"),
        (3, "messages.1.content"),
        (4, "colour"),
        (5, "messages"),
    ]
    count = (
        select(func.count())
        .select_from(TrainingConversation)
        .where(TrainingConversation.model_id == model.id)
    )
    assert db.scalar(count) == 0
    assert (
        import_conversations(db, model_id=model.id, content=content.split("\n")[0] + "\n\n", actor=admin[0])
        == 1
    )
    assert db.scalar(count) == 1


def test_a_chat_system_line_inside_a_turn_is_skipped(
    db: Session, admin: tuple[User, dict[str, str]], model: AIModel
) -> None:
    """Train AI stores a chat's "Bob joined" line as the System User's user message: it neither starts a turn
    between the AI's two replies nor joins the question, so the stored correction still applies."""
    messages = [
        MessageIn(role="user", name="Jane", content="What are your opening hours?"),
        MessageIn(role="assistant", name="AI", content="We never close."),
        MessageIn(role="user", name="System User", content="Bob joined the group"),
        MessageIn(role="assistant", name="AI", content="Even on holidays."),
        MessageIn(role="user", name="Jane", content="No, 9:00 to 17:00."),
    ]
    conversation = create_conversation(db, model_id=model.id, messages=messages, actor=admin[0])
    assert [(t.question, t.reply) for t in snapshot_training_pairs(db, model_ids=[model.id])] == [
        ("What are your opening hours?", "We never close.\nEven on holidays.")
    ]
    db.add(PreferencePair(training_conversation_id=conversation.id, prompt="What are your opening hours?",
                          rejected_answer="Even on holidays.", corrected_answer="9:00 to 17:00."))
    db.commit()
    assert [(e.text, e.answer) for e in take_snapshot(db, model=model).training] == [
        ("What are your opening hours?", "9:00 to 17:00.")
    ]
