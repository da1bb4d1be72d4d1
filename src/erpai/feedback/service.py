"""Thumbs up / down on an answer, stored on its hit; by the person who asked or the model's trainers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.chat.comments import may_rate_reply
from erpai.compilations.models import ModelHit
from erpai.db import utcnow
from erpai.errors import NotFound
from erpai.feedback.schemas import FeedbackIn, FeedbackRead
from erpai.permissions.service import require_train_model
from erpai.users.models import User

ENTITY = "model_hit"


def get_hit(session: Session, *, hit_id: int) -> ModelHit:
    hit = session.get(ModelHit, hit_id)
    if hit is None:
        raise NotFound(f"hit {hit_id} does not exist", field="hit_id")
    return hit


def give_feedback(session: Session, *, hit_id: int, data: FeedbackIn, actor: User) -> FeedbackRead:
    """Sets (or replaces) the rating of one answer. 403 unless the actor asked it, trains the model, or
    is a member of a chat group where an arbiter posted it."""
    hit = get_hit(session, hit_id=hit_id)
    if hit.user_id != actor.id and not may_rate_reply(session, hit_id=hit.id, user_id=actor.id):
        require_train_model(session, user=actor, model_id=hit.model_id, field="hit_id")  # trainers; else 403
    reason = (data.reason or "").strip() or None
    hit.feedback, hit.feedback_reason = data.rating, reason
    hit.feedback_user_id, hit.feedback_time_utc = actor.id, utcnow()
    if data.rating == "down":
        hit.reviewed_time_utc = None  # a new thumbs-down puts the question back into the review inbox
    record_change(
        session,
        user_id=actor.id,
        entity=ENTITY,
        entity_id=hit.id,
        action="feedback",
        changes={"feedback": data.rating},
    )
    session.commit()
    return feedback_read(hit)


def feedback_read(hit: ModelHit) -> FeedbackRead:
    assert hit.feedback is not None and hit.feedback_time_utc is not None
    return FeedbackRead(
        hit_id=hit.id,
        feedback=hit.feedback,
        feedback_reason=hit.feedback_reason,
        feedback_user_id=hit.feedback_user_id,
        feedback_time_utc=hit.feedback_time_utc,
    )
