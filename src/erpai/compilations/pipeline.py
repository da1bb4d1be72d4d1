"""Compiling a snapshot into a retrieval build, and scoring a build on labelled questions."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from erpai.compilations.artifact import BuildArtifact, RowSource
from erpai.compilations.embedding_cache import embed_with_cache
from erpai.compilations.provider_embedder import resolve_embedder
from erpai.compilations.snapshot import CONVERSATION, BuildInputs, Example
from erpai.errors import InvalidInput
from erpai.learning.calibration import knowledge_text, negative_questions, small_parts
from erpai.learning.head import IntentHead
from erpai.learning.memory import Memory
from erpai.learning.metrics import quality_metrics

Progress = Callable[[str, int, int], None]
UNKNOWN_ANSWER = -2  # a validation answer that no training answer matches: counted, not calibrated on


@dataclass
class Miss:
    question: str
    expected: str | None
    got: str | None
    score: float


@dataclass
class Evaluation:
    in_scope_total: int = 0
    in_scope_correct: int = 0
    oos_total: int = 0
    oos_rejected: int = 0
    misses: list[Miss] = field(default_factory=list)
    # per question: calibrated confidence of the best answer, best answer right, in scope
    confidences: list[float] = field(default_factory=list)
    good: list[bool] = field(default_factory=list)
    in_scope: list[bool] = field(default_factory=list)
    threshold: float = 0.5
    # questions of regression cases (corrections) this build answers otherwise: the quality gate holds it back
    forgotten: list[str] = field(default_factory=list)

    def metrics(self) -> dict[str, object]:
        """In-scope accuracy, OOS recall / precision / F1, AUROC, ECE and a threshold sweep."""
        return quality_metrics(np.array(self.confidences), np.array(self.good, dtype=bool),
                               np.array(self.in_scope, dtype=bool), self.threshold)

    @property
    def in_scope_accuracy(self) -> float | None:
        return self.in_scope_correct / self.in_scope_total if self.in_scope_total else None

    @property
    def oos_rejection(self) -> float | None:
        return self.oos_rejected / self.oos_total if self.oos_total else None

    @property
    def score(self) -> float | None:
        """The quality gate's figure: in-scope accuracy, averaged with OOS rejection when OOS rows exist."""
        parts = [v for v in (self.in_scope_accuracy, self.oos_rejection) if v is not None]
        return sum(parts) / len(parts) if parts else None


@dataclass
class BuildResult:
    artifact: BuildArtifact
    evaluation: Evaluation
    calibration: dict[str, float]
    timings: dict[str, float]
    newly_embedded: int
    counts: dict[str, int]


def _labels(examples: Sequence[Example], answer_index: dict[str, int]) -> np.ndarray:
    return np.array(
        [answer_index.get(e.answer, UNKNOWN_ANSWER) if e.answer else -1 for e in examples], dtype=np.int64
    )


def build_retrieval(
    session: Session,
    *,
    inputs: BuildInputs,
    embedder_name: str,
    progress: Progress | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> BuildResult:
    """``checkpoint`` ends the caller's transaction (the job commits): before the encoder runs and once
    the new embeddings are cached, so no database lock is held during the slow parts."""
    in_scope = inputs.in_scope
    if not in_scope:
        raise InvalidInput(
            f"model '{inputs.model_name}' has nothing to learn from: add active training Q&As "
            "or training conversations (to it or its children)",
            field="qas",
        )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    embedder = resolve_embedder(session, embedder_name)
    answers = list(dict.fromkeys(e.answer for e in in_scope))
    answer_index = {a: i for i, a in enumerate(answers)}
    held_out = inputs.validation + inputs.out_of_scope
    negatives = list(negative_questions())
    # Answers' own texts as knowledge rows: for the built-in encoders, where an answer's text lies near its
    # questions (with a provider's unknown embeddings it could pull the prototype away from them).
    knowledge = [i for i, a in enumerate(answers) if knowledge_text(a)] if small_parts(embedder.name) else []
    texts = [e.text for e in in_scope] + [e.text for e in held_out] + negatives
    texts += [answers[i] for i in knowledge]        # answers' own texts: knowledge rows of the raw mode
    report: Callable[[int, int], None] | None = (
        (lambda d, t: progress("embedding", d, t)) if progress else None
    )
    vectors, fresh = embed_with_cache(
        session, embedder=embedder, texts=texts, progress=report, release=checkpoint
    )
    timings["embed_seconds"] = time.perf_counter() - started
    if checkpoint:
        checkpoint()
    n_in, n_held = len(in_scope), len(held_out)
    x_train, x_held = vectors[:n_in], vectors[n_in : n_in + n_held]
    # Negatives for the small-company confidence: the model's own out-of-scope Q&As + the shipped list.
    knowledge_start = len(vectors) - len(knowledge)
    x_negatives = vectors[n_in + len(inputs.validation) : knowledge_start]

    if progress:
        progress("training", 0, 1)
    mark = time.perf_counter()
    head = IntentHead.fit(
        x_train, _labels(in_scope, answer_index), embedder=embedder.name, negatives=x_negatives,
        knowledge=vectors[knowledge_start:],
        knowledge_labels=np.array(knowledge, dtype=np.int64),
    )
    timings["fit_seconds"] = time.perf_counter() - mark
    if progress:
        progress("evaluating", 0, 1)
    mark = time.perf_counter()
    y_held = _labels(held_out, answer_index)
    known = y_held != UNKNOWN_ANSWER
    calibration = head.calibrate(x_held[known], y_held[known])
    timings["calibrate_seconds"] = time.perf_counter() - mark

    artifact = BuildArtifact(
        embedder=embedder.name,
        answers=answers,
        rows=[RowSource(e.source_type, e.source_id, e.text) for e in in_scope],
        system_messages=inputs.system_messages,
        head=head,
        memory=_memory(inputs),
    )
    n_val = len(inputs.validation)
    evaluation = evaluate(artifact, inputs.validation, x_held[:n_val])
    counts = {
        "training_examples": len(in_scope),
        "answers": len(answers),
        "out_of_scope_examples": len(inputs.out_of_scope),
        "validation_questions": n_val,
        "from_qas": sum(1 for e in in_scope if e.source_type == "qa"),
        "from_conversations": sum(1 for e in in_scope if e.source_type == "training_conversation"),
    }
    timings["total_seconds"] = time.perf_counter() - started
    return BuildResult(artifact, evaluation, calibration, timings, fresh, counts)


def _memory(inputs: BuildInputs) -> Memory:
    """The corrections (see :mod:`erpai.learning.memory`): training conversations, and training Q&As whose
    question is a regression case."""
    return Memory.learn(
        ((e.text, bool(e.answer.strip()), e.source_type == CONVERSATION) for e in inputs.training),
        corrected=(e.text for e in inputs.validation if e.is_regression),
    )


def evaluate(artifact: BuildArtifact, examples: Sequence[Example], vectors: np.ndarray) -> Evaluation:
    result = Evaluation(threshold=artifact.head.threshold)
    if not examples:
        return result
    predictions, _ = artifact.predict(vectors, [e.text for e in examples])
    for example, prediction in zip(examples, predictions, strict=True):
        got = artifact.answers[prediction.label] if prediction.accepted else None
        result.confidences.append(prediction.confidence)
        result.good.append(bool(example.answer) and artifact.answers[prediction.label] == example.answer)
        result.in_scope.append(bool(example.answer))
        if example.answer:
            result.in_scope_total += 1
            correct = got == example.answer
            result.in_scope_correct += int(correct)
        else:
            result.oos_total += 1
            correct = got is None
            result.oos_rejected += int(correct)
        if not correct and example.is_regression:
            result.forgotten.append(example.text)
        if not correct:
            result.misses.append(Miss(example.text, example.answer or None, got, prediction.confidence))
    return result


def rescore(session: Session, *, artifact: BuildArtifact, validation: Sequence[Example]) -> float | None:
    """The quality-gate score of an existing build on the *current* validation Q&As (embeddings from the
    cache where possible)."""
    if not validation:
        return None
    vectors, _ = embed_with_cache(
        session, embedder=resolve_embedder(session, artifact.embedder), texts=[e.text for e in validation]
    )
    return evaluate(artifact, validation, vectors).score
