"""Retrieval over a build (best match + top-k grounding matches) and the chat prompt built from them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from erpai.answering.schemas import AnswerResult, ContextMessage, Source
from erpai.compilations.artifact import BuildArtifact
from erpai.learning.embedders import Embedder, get_embedder
from erpai.providers.base import ChatMessage
from erpai.providers.finetune_data import participant_name

TOP_K = 4
# Matches below this confidence are noise, not grounding: leaving them out keeps the provenance honest.
MIN_MATCH_CONFIDENCE = 0.05
GROUNDING_INSTRUCTIONS = (
    "Curated answers from the company's knowledge base follow, best match first. When one of them answers "
    "the question, answer with its wording. Do not invent company facts that are neither here nor in the "
    "conversation; if you do not know, say so."
)


def retrieve(
    artifact: BuildArtifact,
    question: str,
    *,
    top_k: int = TOP_K,
    threshold: float | None = None,
    embedder: Embedder | None = None,
) -> tuple[AnswerResult, list[Source]]:
    """The build's curated result (answer only when confident) and the grounding matches, best first.

    The first match is the build's own prediction; the others are the nearest training rows of other
    answers (one row per answer). A match is kept when accepted or its confidence reaches
    ``MIN_MATCH_CONFIDENCE``; the curated result always names the best row. ``threshold`` (the model's
    operating point) replaces the build's own confidence threshold; a question the build's memory holds is
    answered (or refused) as taught, whatever the threshold. ``embedder``: the build's embedder
    when it is a provider's (``resolve_embedder``); else the built-in one is loaded.
    """
    vector = (embedder or get_embedder(artifact.embedder)).embed([question])
    head = artifact.head
    sims = head.similarities(vector)  # once, for the prediction and the grounding matches
    [prediction], [remembered] = artifact.predict(vector, [question], sims)
    if threshold is not None and not remembered:
        prediction.accepted = prediction.confidence >= threshold
    best = _source(artifact, prediction.neighbour, prediction.confidence)
    relevant = prediction.accepted or best.score >= MIN_MATCH_CONFIDENCE
    matches, labels = ([best] if relevant else []), {prediction.label}
    nearest = head.nearest(vector, top_k * 4, sims)
    confidences = head.confidence(np.array([similarity for _, similarity in nearest]))
    for (row, _), confidence in zip(nearest, confidences.tolist(), strict=True):
        label = int(head.labels[row])
        if len(matches) >= top_k or confidence < MIN_MATCH_CONFIDENCE:
            break
        if label not in labels:
            labels.add(label)
            matches.append(_source(artifact, row, confidence))
    result = AnswerResult(
        answer=best.answer if prediction.accepted else None,
        confidence=prediction.confidence,
        answered=prediction.accepted,
        source_type=best.source_type if prediction.accepted else None,
        source_id=best.source_id if prediction.accepted else None,
        sources=[best],
        from_memory=remembered,
    )
    if remembered and not prediction.accepted:
        result.reason = "taught_out_of_scope"
    return result, matches


def _source(artifact: BuildArtifact, row: int, confidence: float) -> Source:
    source = artifact.rows[row]
    return Source(
        source_type=source.source_type,
        source_id=source.source_id,
        score=confidence,
        question=source.question,
        answer=artifact.answers[int(artifact.head.labels[row])],
    )


def grounding_text(matches: Sequence[Source]) -> str:
    blocks = [GROUNDING_INSTRUCTIONS]
    for number, match in enumerate(matches, start=1):
        kind = "Q&A" if match.source_type == "qa" else "training conversation"
        blocks.append(
            f"[{number}] ({kind} #{match.source_id}, match {match.score:.2f})\n"
            f"Q: {match.question}\nA: {match.answer or ''}"
        )
    return "\n\n".join(blocks)


def chat_messages(
    *,
    system_messages: Sequence[str],
    matches: Sequence[Source],
    context: Sequence[ContextMessage],
    question: str,
) -> list[ChatMessage]:
    """System chain (one message, as in the fine-tune data), grounding, the conversation, the question."""
    messages: list[ChatMessage] = []
    chain = "\n\n".join(m.strip() for m in system_messages if m.strip())
    if chain:
        messages.append({"role": "system", "content": chain})
    if matches:
        messages.append({"role": "system", "content": grounding_text(matches)})
    for turn in context:
        if not turn.content.strip():
            continue
        message: ChatMessage = {"role": turn.role, "content": turn.content}
        name = participant_name(turn.name)
        if name:
            message["name"] = name
        messages.append(message)
    messages.append({"role": "user", "content": question})
    return messages
