"""The review inbox of a model: refused, low-confidence and thumbed-down answers, for its trainers.

Similar questions are grouped by their normalised text (case, accents' composition, punctuation and
spacing ignored; the key a build's memory looks questions up by): it needs no build, so it also groups
questions asked before any build or after one was rolled back, it is exact and explainable ("asked 7
times"), and it is cheap on 10,000 hits.
Embedding similarity would also merge paraphrases, but depends on which build is active and can merge
two different questions that a trainer must answer differently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.compilations.models import ModelHit
from erpai.db import utcnow
from erpai.errors import InvalidInput
from erpai.feedback.schemas import InboxItem, InboxKind, InboxPage, InboxResolve, InboxResolved
from erpai.feedback.service import get_hit
from erpai.learning.memory import normalise
from erpai.permissions.service import require_train_model
from erpai.qas.models import ModelQA, QAType
from erpai.users.models import User

SCAN_MAX = 10_000  # the latest candidate hits read per inbox listing
HIT_IDS_SHOWN = 50
REASONS_SHOWN = 10
LOW_CONFIDENCE = 0.5  # default: an answered hit below this confidence is reviewed
QA_ENTITY = "model_qa"


def _kinds(hit: ModelHit, below: float) -> list[InboxKind]:
    kinds: list[InboxKind] = []
    if not hit.answered:
        kinds.append("refused")
    elif hit.score < below:
        kinds.append("low_confidence")
    if hit.feedback == "down":
        kinds.append("thumbs_down")
    return kinds


@dataclass
class _Group:
    key: str
    hits: list[ModelHit] = field(default_factory=list)  # newest first
    kinds: set[str] = field(default_factory=set)

    def item(self, order: list[InboxKind]) -> InboxItem:
        latest = self.hits[0]
        reasons = [h.feedback_reason for h in self.hits if h.feedback_reason]
        return InboxItem(
            key=self.key,
            question=latest.question,
            count=len(self.hits),
            kinds=[k for k in order if k in self.kinds],
            hit_ids=[h.id for h in self.hits[:HIT_IDS_SHOWN]],
            latest_answer=latest.answer,
            latest_score=latest.score,
            latest_from_memory=latest.from_memory,
            feedback_reasons=reasons[:REASONS_SHOWN],
            last_time_utc=latest.time_utc,
        )


def _candidates(session: Session, *, model_id: int, below: float) -> list[ModelHit]:
    stmt = (
        select(ModelHit)
        .where(
            ModelHit.model_id == model_id,
            ModelHit.reviewed_time_utc.is_(None),
            ModelHit.channel != "eval",
            or_(ModelHit.answered.is_(False), ModelHit.score < below, ModelHit.feedback == "down"),
        )
        .order_by(ModelHit.id.desc())
        .limit(SCAN_MAX)
    )
    return list(session.scalars(stmt))


def _groups(hits: list[ModelHit], below: float) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for hit in hits:
        kinds = _kinds(hit, below)
        if not kinds:
            continue
        group = groups.setdefault(normalise(hit.question), _Group(normalise(hit.question)))
        group.hits.append(hit)
        group.kinds.update(kinds)
    return sorted(groups.values(), key=lambda g: (-len(g.hits), -g.hits[0].id))


def list_inbox(
    session: Session,
    *,
    model_id: int,
    actor: User,
    limit: int = 50,
    offset: int = 0,
    below: float = LOW_CONFIDENCE,
) -> InboxPage:
    """Most frequent first (then most recent); 403 unless the actor trains the model."""
    require_train_model(session, user=actor, model_id=model_id)
    groups = _groups(_candidates(session, model_id=model_id, below=below), below)
    order: list[InboxKind] = ["refused", "low_confidence", "thumbs_down"]
    items = [g.item(order) for g in groups[offset : offset + limit]]
    return InboxPage(items=items, total=len(groups), limit=limit, offset=offset)


def resolve_inbox_item(
    session: Session, *, model_id: int, data: InboxResolve, actor: User, below: float = LOW_CONFIDENCE
) -> InboxResolved:
    """Turns a group into a training Q&A plus a regression validation Q&A (or dismisses it), and takes
    all its unreviewed hits out of the inbox, in one transaction."""
    require_train_model(session, user=actor, model_id=model_id)
    hit = get_hit(session, hit_id=data.hit_id)
    if hit.model_id != model_id:
        raise InvalidInput(f"hit_id: hit {hit.id} is not a hit of model {model_id}", field="hit_id")
    if data.action == "answer" and not data.answer:
        raise InvalidInput(
            "answer: give the answer to learn (or use action out_of_scope or dismiss)", field="answer"
        )
    key = normalise(hit.question)
    same = [h for h in _candidates(session, model_id=model_id, below=below) if normalise(h.question) == key]
    group = same if hit in same else [hit, *same]
    training_id = regression_id = None
    if data.action != "dismiss":
        question = data.question or hit.question
        answer = data.answer if data.action == "answer" else ""
        training_id = _add_qa(
            session,
            model_id=model_id,
            question=question,
            answer=answer,
            qa_type=QAType.TRAINING,
            actor=actor,
            hit_id=hit.id,
        )
        regression_id = add_regression_case(
            session,
            model_id=model_id,
            question=question,
            answer=answer,
            actor=actor,
            notes=f"From review inbox, hit {hit.id}",
        )
    now = utcnow()
    for h in group:
        h.reviewed_time_utc = now
    session.commit()
    return InboxResolved(resolved_hits=len(group), training_qa_id=training_id, regression_qa_id=regression_id)


def add_regression_case(
    session: Session, *, model_id: int, question: str, answer: str, actor: User, notes: str
) -> int:
    """A validation Q&A marked ``is_regression``: later builds must keep answering it this way."""
    return _add_qa(
        session,
        model_id=model_id,
        question=question,
        answer=answer,
        qa_type=QAType.VALIDATION,
        actor=actor,
        notes=notes,
        is_regression=True,
    )


def _add_qa(
    session: Session,
    *,
    model_id: int,
    question: str,
    answer: str,
    qa_type: QAType,
    actor: User,
    hit_id: int | None = None,
    notes: str | None = None,
    is_regression: bool = False,
) -> int:
    qa = ModelQA(
        model_id=model_id,
        question=question,
        answer=answer,
        qa_type=qa_type.value,
        section="General",
        added_by_user_id=actor.id,
        is_regression=is_regression,
        notes=notes if notes is not None else f"From review inbox, hit {hit_id}",
    )
    session.add(qa)
    session.flush()
    record_change(session, user_id=actor.id, entity=QA_ENTITY, entity_id=qa.id, action="create")
    return qa.id
