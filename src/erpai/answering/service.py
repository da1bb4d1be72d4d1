"""Answering a question with a model's active build and recording it in the hit history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import get_model
from erpai.answering.schemas import AnswerResult, ContextMessage, Source
from erpai.compilations.artifact import BuildArtifact, build_cache
from erpai.compilations.models import CompilationArtifact, ModelHit
from erpai.errors import InvalidInput
from erpai.learning.embedders import get_embedder

MAX_QUESTION_CHARS = 8000


def load_active_build(session: Session, *, model: AIModel) -> tuple[int, BuildArtifact] | None:
    """The model's active build; read from the row each time, so a newly activated build is used at once."""
    compilation_id = model.conversational_compilation_id
    if compilation_id is None:
        return None
    digest = session.scalar(
        select(CompilationArtifact.sha256).where(CompilationArtifact.compilation_id == compilation_id)
    )
    if digest is None:
        return None
    artifact = build_cache.get(digest)
    if artifact is None:
        row = session.get(CompilationArtifact, compilation_id)
        assert row is not None
        artifact = BuildArtifact.from_bytes(row.content)
        build_cache.put(digest, artifact)
    return compilation_id, artifact


def retrieve(artifact: BuildArtifact, question: str) -> tuple[AnswerResult, list[Source]]:
    vector = get_embedder(artifact.embedder).embed([question])
    prediction = artifact.head.predict(vector)[0]
    row = artifact.rows[prediction.neighbour]
    source = Source(
        source_type=row.source_type,
        source_id=row.source_id,
        score=prediction.confidence,
        question=row.question,
    )
    answer = artifact.answers[prediction.label] if prediction.accepted else None
    result = AnswerResult(
        answer=answer,
        confidence=prediction.confidence,
        answered=prediction.accepted,
        source_type=row.source_type if prediction.accepted else None,
        source_id=row.source_id if prediction.accepted else None,
        sources=[source],
    )
    return result, [source]


def _validated(question: str) -> str:
    text = question.strip()
    if not text:
        raise InvalidInput("question must not be empty", field="question")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"question is longer than {MAX_QUESTION_CHARS} characters", field="question")
    return text


def answer_question(
    session: Session,
    *,
    model_id: int,
    question: str,
    context: list[ContextMessage] | None = None,
    channel: str = "api",
    user_id: int | None = None,
) -> AnswerResult:
    """Answers with the model's active build and records a hit-history row.

    A model with no successful build yet returns answered=False and answer=None.
    """
    text = _validated(question)
    model = get_model(session, model_id=model_id)
    build = load_active_build(session, model=model)
    if build is None:
        result = AnswerResult(answer=None, confidence=0.0, answered=False)
    else:
        result, _ = retrieve(build[1], text)
        result.compilation_id = build[0]
    hit = ModelHit(
        model_id=model.id,
        compilation_id=result.compilation_id,
        user_id=user_id,
        channel=channel,
        question=text,
        answer=result.answer,
        answered=result.answered,
        score=result.confidence,
        source_type=result.source_type,
        source_id=result.source_id,
    )
    session.add(hit)
    session.commit()
    result.hit_id = hit.id
    return result
