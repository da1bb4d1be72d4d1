from __future__ import annotations

from fastapi import APIRouter, Query

from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id
from erpai.feedback import inbox
from erpai.feedback.schemas import FeedbackIn, FeedbackRead, InboxPage, InboxResolve, InboxResolved
from erpai.feedback.service import give_feedback
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, tags=["feedback"])


@router.post("/hits/{hit_id}/feedback", response_model=FeedbackRead)
def post_feedback(hit_id: Id, data: FeedbackIn, session: SessionDep, user: CurrentUser) -> FeedbackRead:
    """Thumbs up / down (with an optional reason) on an answer: by whoever asked it, or a trainer."""
    return give_feedback(session, hit_id=hit_id, data=data, actor=user)


@router.get("/models/{model_id}/inbox", response_model=InboxPage)
def get_inbox(
    model_id: Id,
    session: SessionDep,
    user: CurrentUser,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=inbox.SCAN_MAX),
    below: float = Query(default=inbox.LOW_CONFIDENCE, ge=0.0, le=1.0, description="Low-confidence bound"),
) -> InboxPage:
    """The review inbox: refused, low-confidence and thumbed-down questions, grouped, most frequent first."""
    return inbox.list_inbox(session, model_id=model_id, actor=user, limit=limit, offset=offset, below=below)


@router.post("/models/{model_id}/inbox/resolve", response_model=InboxResolved)
def resolve_inbox(model_id: Id, data: InboxResolve, session: SessionDep, user: CurrentUser) -> InboxResolved:
    """Turns an inbox group into a Q&A (and a regression case), or dismisses it."""
    return inbox.resolve_inbox_item(session, model_id=model_id, data=data, actor=user)
