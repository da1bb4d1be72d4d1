"""What goes into a build, read once at the start of a compile (decisions.md "Compilation")."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import descendant_ids
from erpai.limits import MESSAGE_MAX
from erpai.qas.models import ModelQA, QAType
from erpai.training.models import PreferencePair, TrainingConversation
from erpai.training.service import TrainingTurn, correction_question, snapshot_training_pairs

CONVERSATION = "training_conversation"
# (conversation, question message, rejected answer message) -> the Train AI pair that corrects it
Corrections = dict[tuple[int, str, str], PreferencePair]


@dataclass(frozen=True)
class Example:
    text: str
    answer: str  # empty: an out-of-scope example ("should not be answered")
    source_type: str  # "qa" | "training_conversation"
    source_id: int
    is_regression: bool = False  # a validation Q&A made from a correction (the quality gate insists on it)


@dataclass
class BuildInputs:
    model_id: int
    model_name: str
    system_messages: list[str]
    training: list[Example] = field(default_factory=list)
    validation: list[Example] = field(default_factory=list)

    @property
    def in_scope(self) -> list[Example]:
        return [e for e in self.training if e.answer.strip()]

    @property
    def out_of_scope(self) -> list[Example]:
        return [e for e in self.training if not e.answer.strip()]


def system_message_chain(session: Session, *, model: AIModel) -> list[str]:
    """Ancestors' system messages first (company-wide rules), the model's own last."""
    chain: list[str] = []
    seen: set[int] = set()
    current: AIModel | None = model
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if current.system_message and current.system_message.strip():
            chain.insert(0, current.system_message.strip())
        current = session.get(AIModel, current.parent_model_id) if current.parent_model_id else None
    return chain


def _qas(session: Session, model_ids: list[int], qa_type: QAType) -> list[Example]:
    stmt = (
        select(ModelQA.id, ModelQA.question, ModelQA.answer, ModelQA.is_regression)
        .where(ModelQA.model_id.in_(model_ids), ModelQA.qa_type == qa_type.value, ModelQA.is_active.is_(True))
        .order_by(ModelQA.id)
    )
    return [
        Example(q.strip(), (a or "").strip(), "qa", i, bool(r))
        for i, q, a, r in session.execute(stmt)
        if q.strip()
    ]


def _clip(text: str) -> str:
    """A message as a training conversation stores it (Train AI cuts its messages to the limit)."""
    return text[:MESSAGE_MAX].strip()


def _corrections(session: Session, model_ids: list[int]) -> Corrections:
    """The Train AI pairs of those models' conversations, by the messages they name (as stored)."""
    stmt = (
        select(PreferencePair)
        .join(TrainingConversation, TrainingConversation.id == PreferencePair.training_conversation_id)
        .where(TrainingConversation.model_id.in_(model_ids))
        .order_by(PreferencePair.id)
    )
    return {
        (p.training_conversation_id, _clip(p.prompt), _clip(p.rejected_answer)): p
        for p in session.scalars(stmt)
    }


def _correction(corrections: Corrections, turn: TrainingTurn) -> Example | None:
    """What a corrected turn teaches: its pair's question (see ``correction_question``) with the correction.

    A pair names one message of the turn and one of the reply (a person may post several messages before
    the AI answers, and an AI may answer in several), so it is looked up message by message, the last first.
    """
    for question, reply in product(reversed(turn.questions), reversed(turn.replies)):
        pair = corrections.get((turn.conversation_id, _clip(question), _clip(reply)))
        if pair is not None:
            text = correction_question(pair.prompt)
            return Example(text, pair.corrected_answer.strip(), CONVERSATION, turn.conversation_id)
    return None


def conversation_pairs(session: Session, *, model_ids: list[int]) -> list[Example]:
    """Each user turn of the training conversations with the assistant reply that follows it.

    Where a person corrected that reply (a Train AI preference pair), the correction is what is learnt, for
    the question the correction answers: the same text its regression case asks.
    """
    corrections = _corrections(session, model_ids)
    examples = []
    for turn in snapshot_training_pairs(session, model_ids=model_ids):
        corrected = _correction(corrections, turn)
        if corrected is not None:
            examples.append(corrected)
        elif text := turn.question.strip():
            examples.append(Example(text, turn.reply.strip(), CONVERSATION, turn.conversation_id))
    return examples


def take_snapshot(session: Session, *, model: AIModel) -> BuildInputs:
    model_ids = descendant_ids(session, model_id=model.id)
    return BuildInputs(
        model_id=model.id,
        model_name=model.name,
        system_messages=system_message_chain(session, model=model),
        training=_qas(session, model_ids, QAType.TRAINING) + conversation_pairs(session, model_ids=model_ids),
        validation=_qas(session, model_ids, QAType.VALIDATION),
    )
