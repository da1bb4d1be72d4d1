"""Thumbs up / down on an assistant reply.

Assistant questions are private to their owner and stay out of the model's hit history, until the owner
rates a reply: rating shares that one question and reply with the model's trainers (a hit with channel
``assistant``), so a thumbs-down reaches their review inbox like any other answer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.assistant.models import AssistantMessage
from erpai.assistant.service import get_conversation
from erpai.compilations.models import ModelHit
from erpai.errors import InvalidInput, NotFound
from erpai.feedback.schemas import FeedbackIn, FeedbackRead
from erpai.feedback.service import give_feedback
from erpai.users.models import User

CHANNEL = "assistant"


def rate_reply(
    session: Session, *, conversation_id: int, message_id: int, data: FeedbackIn, actor: User
) -> FeedbackRead:
    """Rates one of the caller's assistant replies (again: the rating is replaced); one commit."""
    conversation = get_conversation(session, conversation_id=conversation_id, user_id=actor.id)
    reply = session.get(AssistantMessage, message_id)
    if reply is None or reply.conversation_id != conversation.id:
        raise NotFound(f"message {message_id} does not exist in this conversation", field="message_id")
    if reply.role != "assistant":
        raise InvalidInput("only the assistant's replies can be rated", field="message_id")
    if reply.hit_id is None:
        hit = ModelHit(
            model_id=conversation.model_id,
            user_id=actor.id,
            channel=CHANNEL,
            question=_question_before(session, reply),
            answer=reply.content,
            answered=True,
            score=1.0,  # no retrieval score for a generated reply: the rating says if it needs review
        )
        session.add(hit)
        session.flush()
        reply.hit_id = hit.id
    return give_feedback(session, hit_id=reply.hit_id, data=data, actor=actor)


def _question_before(session: Session, reply: AssistantMessage) -> str:
    stmt = (
        select(AssistantMessage.content)
        .where(
            AssistantMessage.conversation_id == reply.conversation_id,
            AssistantMessage.id < reply.id,
            AssistantMessage.role == "user",
        )
        .order_by(AssistantMessage.id.desc())
        .limit(1)
    )
    return session.scalar(stmt) or ""
