"""``erpai eval``: train, compile and score a throw-away model in a temporary database.

Files are JSONL, one ``{"question": str, "answer": str | null}`` per line; a null (or empty)
answer marks an out-of-scope question. Used by the benchmarks in ``bench/``.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from erpai.errors import InvalidInput
from erpai.learning.metrics import quality_metrics


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    answer: str | None


def read_jsonl(path: Path) -> list[LabelledQuestion]:
    rows: list[LabelledQuestion] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                question, answer = data["question"], data.get("answer")
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InvalidInput(
                    f"{path}:{number}: expected {{'question': str, 'answer': str|null}} ({exc})"
                ) from None
            if (
                not isinstance(question, str)
                or not question.strip()
                or not (answer is None or isinstance(answer, str))
            ):
                raise InvalidInput(
                    f"{path}:{number}: question must be a non-empty string, answer a string or null"
                )
            rows.append(LabelledQuestion(question, answer or None))
    if not rows:
        raise InvalidInput(f"{path} has no questions")
    return rows


def use_temporary_database(directory: str) -> None:
    from erpai.config import get_settings
    from erpai.db import get_engine
    from erpai.jobs.queue import set_backend

    os.environ["ERPAI_DATABASE_URL"] = f"sqlite:///{directory}/eval.db"
    os.environ["ERPAI_DATA_DIR"] = directory
    get_settings.cache_clear()
    get_engine.cache_clear()
    set_backend(None)


def create_eval_model(
    train: list[LabelledQuestion], validation: list[LabelledQuestion], embedder: str | None
) -> tuple[int, int]:
    from erpai.ai_models.models import AIModel
    from erpai.db import session_factory
    from erpai.migrate import upgrade
    from erpai.providers.models import Provider
    from erpai.qas.models import ModelQA
    from erpai.users.models import User

    upgrade()
    with session_factory()() as session:
        user = User(login="eval", name="eval", is_admin=True)
        provider = Provider(
            name="local",
            kind="local",
            base_model_name="local",
            config_json=json.dumps({"embedder": embedder} if embedder else {}),
        )
        session.add_all([user, provider])
        session.flush()
        model = AIModel(name="eval", provider_id=provider.id, build_assistant=False)
        session.add(model)
        session.flush()
        rows = [
            {
                "model_id": model.id,
                "question": r.question,
                "answer": r.answer or "",
                "qa_type": qa_type,
                "added_by_user_id": user.id,
            }
            for qa_type, data in (("T", train), ("V", validation))
            for r in data
        ]
        session.execute(insert(ModelQA), rows)
        session.commit()
        return model.id, user.id


def compile_model(model_id: int, user_id: int) -> tuple[int, float]:
    from erpai.compilations.jobs import run_compilation
    from erpai.compilations.service import get_compilation, start_compilation
    from erpai.db import session_factory

    with session_factory()() as session:
        compilation_id = start_compilation(session, model_id=model_id, user_id=user_id).id
    started = time.perf_counter()
    run_compilation(compilation_id=compilation_id)
    seconds = time.perf_counter() - started
    with session_factory()() as session:
        compilation = get_compilation(session, compilation_id=compilation_id)
        if not compilation.is_successful:
            raise InvalidInput(f"the compile failed: {compilation.error_message}")
        return compilation_id, seconds


def ask_all(
    model_id: int, test: list[LabelledQuestion]
) -> tuple[list[str | None], list[float], list[float]]:
    from erpai.answering.service import answer_question
    from erpai.db import session_factory

    answers: list[str | None] = []
    latencies: list[float] = []
    confidences: list[float] = []
    with session_factory()() as session:
        for row in test:
            started = time.perf_counter()
            result = answer_question(session, model_id=model_id, question=row.question, channel="eval")
            latencies.append((time.perf_counter() - started) * 1000)
            answers.append(result.answer if result.answered else None)
            confidences.append(result.confidence)
    return answers, latencies, confidences


def score(test: list[LabelledQuestion], got: list[str | None], closed: list[str]) -> dict[str, float]:
    """Figures from the answers given (``got``, None = refused) and the best answers (``closed``)."""
    in_scope = [(t, g, c) for t, g, c in zip(test, got, closed, strict=True) if t.answer is not None]
    oos = [(t, g) for t, g in zip(test, got, strict=True) if t.answer is None]
    rejected = [t for t, g in zip(test, got, strict=True) if g is None]
    oos_hits = sum(1 for _, g in oos if g is None)
    return {
        "in_scope_accuracy": sum(g == t.answer for t, g, _ in in_scope) / max(len(in_scope), 1),
        "oos_recall": oos_hits / max(len(oos), 1),
        "oos_precision": oos_hits / max(len(rejected), 1),
        "closed_accuracy": sum(c == t.answer for t, _, c in in_scope) / max(len(in_scope), 1),
    }


def run_eval(
    train_path: Path, test_path: Path, validation_path: Path | None, *, embedder: str | None = None
) -> dict[str, object]:
    train, test = read_jsonl(train_path), read_jsonl(test_path)
    validation = read_jsonl(validation_path) if validation_path else []
    with tempfile.TemporaryDirectory(prefix="erpai-eval-") as directory:
        use_temporary_database(directory)
        model_id, user_id = create_eval_model(train, validation, embedder)
        compilation_id, compile_seconds = compile_model(model_id, user_id)
        got, latencies, confidences = ask_all(model_id, test)
        closed, threshold = closed_predictions(compilation_id, test)
    figures: dict[str, object] = dict(score(test, got, closed))
    in_scope = np.array([t.answer is not None for t in test])
    good = np.array([c == t.answer for t, c in zip(test, closed, strict=True)]) & in_scope
    extra = quality_metrics(np.array(confidences), good, in_scope, threshold)
    figures.update({k: extra[k] for k in ("oos_f1", "auroc", "ece", "threshold", "sweep")})
    figures.update(
        compile_seconds=compile_seconds,
        ask_p50_ms=float(np.percentile(latencies, 50)),
        ask_p95_ms=float(np.percentile(latencies, 95)),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    return figures


def closed_predictions(compilation_id: int, test: list[LabelledQuestion]) -> tuple[list[str], float]:
    """The best answer for every question with rejection switched off (batched: no latency measured),
    and the build's confidence threshold."""
    from erpai.compilations.artifact import BuildArtifact
    from erpai.compilations.models import CompilationArtifact
    from erpai.compilations.provider_embedder import resolve_embedder
    from erpai.db import session_factory

    with session_factory()() as session:
        row = session.get(CompilationArtifact, compilation_id)
        assert row is not None
        artifact = BuildArtifact.from_bytes(row.content)
        embedder = resolve_embedder(session, artifact.embedder)
    vectors = embedder.embed([t.question for t in test])
    predictions, _ = artifact.predict(vectors, [t.question for t in test])
    best = [artifact.answers[p.label] for p in predictions]
    return best, artifact.head.threshold
