from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict

from erpai.common import Id, Text, UTCDateTime
from erpai.limits import FEEDBACK_REASON_MAX
from erpai.qas.schemas import Answer, Question

Rating = Literal["up", "down"]
Reason = Annotated[str, Text(max_length=FEEDBACK_REASON_MAX)]
InboxKind = Literal["refused", "low_confidence", "thumbs_down"]
# answer: a training Q&A with the given answer; out_of_scope: one that marks the question as not to be
# answered; both also add a regression validation Q&A. dismiss: only takes the group out of the inbox.
ResolveAction = Literal["answer", "out_of_scope", "dismiss"]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Rating
    reason: Reason | None = None


class FeedbackRead(BaseModel):
    hit_id: int
    feedback: Rating
    feedback_reason: str | None
    feedback_user_id: int | None
    feedback_time_utc: UTCDateTime


class InboxItem(BaseModel):
    """Similar questions (same normalised text) that were refused, low-confidence or thumbed down."""

    key: str
    question: str  # the latest wording
    count: int
    kinds: list[InboxKind]
    hit_ids: list[int]
    latest_answer: str | None
    latest_score: float
    latest_from_memory: bool = False  # the latest answer was the build's memory of a correction
    feedback_reasons: list[str]
    last_time_utc: UTCDateTime


class InboxPage(BaseModel):
    items: list[InboxItem]
    total: int
    limit: int
    offset: int


class InboxResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hit_id: Id  # any hit of the group; all its unreviewed hits are resolved together
    action: ResolveAction = "answer"
    answer: Answer = ""
    question: Question | None = None  # default: the hit's question


class InboxResolved(BaseModel):
    resolved_hits: int
    training_qa_id: int | None
    regression_qa_id: int | None
