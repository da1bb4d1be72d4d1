"""The compile job: takes a compilation id and opens its own session; a failure keeps the last good build."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import asdict

from sqlalchemy import update
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations import finetune
from erpai.compilations.artifact import BuildArtifact
from erpai.compilations.buildlog import MAX_MISSES_LOGGED, activation_decision, format_build_log
from erpai.compilations.models import (
    BuildKind,
    Compilation,
    CompilationArtifact,
    CompilationAsset,
    CompilationStatus,
)
from erpai.compilations.pipeline import BuildResult, Progress, build_retrieval, rescore
from erpai.compilations.progress import ProgressRecorder
from erpai.compilations.provider_embedder import embedder_name_for
from erpai.compilations.service import (
    ACTIVE_STATES,
    COMPILE_JOB,
    _notify_completion,
    fail_compilation,
)
from erpai.compilations.snapshot import BuildInputs, take_snapshot
from erpai.config import get_settings
from erpai.db import session_factory, utcnow
from erpai.errors import DomainError
from erpai.jobs.queue import task
from erpai.jobs.workers import worker_identity
from erpai.providers.models import Provider
from erpai.settings.registry import ASSISTANT_INSTRUCTION_SETTINGS
from erpai.settings.service import get_setting

log = logging.getLogger("erpai.compile")


class Heartbeat:
    """Stamps the compilation every few seconds from its own session, so a dead worker is detectable."""

    def __init__(self, compilation_id: int) -> None:
        self.compilation_id = compilation_id
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"compile-heartbeat-{compilation_id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = get_settings().compile_heartbeat_seconds
        while not self._stop.wait(interval):
            try:
                with session_factory()() as session:
                    stamp = update(Compilation).where(Compilation.id == self.compilation_id)
                    session.execute(stamp.values(heartbeat_time_utc=utcnow()))
                    session.commit()
            except Exception:  # a busy database must not kill the heartbeat; the next beat retries
                log.warning("heartbeat of compilation %s failed", self.compilation_id, exc_info=True)


def _claim(session: Session, compilation_id: int) -> bool:
    """New → Running for exactly one worker, even if the job is delivered twice."""
    claimed = session.execute(
        update(Compilation)
        .where(Compilation.id == compilation_id, Compilation.status == CompilationStatus.NEW.value)
        .values(
            status=CompilationStatus.RUNNING.value,
            worker_id=worker_identity(),
            heartbeat_time_utc=utcnow(),
            object_version=Compilation.object_version + 1,
        )
    )
    session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


@task(COMPILE_JOB)
def run_compilation(*, compilation_id: int, progress: Progress | None = None) -> None:
    with session_factory()() as session:
        if not _claim(session, compilation_id):
            log.info("compilation %s was already claimed", compilation_id)
            return
        with Heartbeat(compilation_id), ProgressRecorder(compilation_id, progress) as recorder:
            try:
                _compile(session, compilation_id, recorder)
            except Exception as exc:
                session.rollback()
                message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, DomainError):
                    log.exception("compilation %s failed", compilation_id)
                compilation = session.get(Compilation, compilation_id)
                # Already ended (cancelled by an admin): that outcome stands.
                if compilation is not None and compilation.status in ACTIVE_STATES:
                    fail_compilation(compilation, message)
                    session.commit()


def embedder_for(provider: Provider | None) -> str:
    return embedder_name_for(provider)


def _compile(session: Session, compilation_id: int, progress: Progress | None) -> None:
    compilation = session.get(Compilation, compilation_id)
    assert compilation is not None
    model = session.get(AIModel, compilation.model_id)
    assert model is not None
    provider = session.get(Provider, model.provider_id) if model.provider_id else None
    if progress:
        progress("snapshot", 0, 1)
    inputs = take_snapshot(session, model=model)
    tune = (
        finetune.prepare(session, compilation=compilation, model=model, provider=provider, inputs=inputs)
        if compilation.kind == BuildKind.FINE_TUNE.value
        else None
    )
    # Commits at the checkpoints keep the new embeddings even if a later step fails, and leave the
    # database free for other writers while the encoder and the head run.
    result = build_retrieval(
        session,
        inputs=inputs,
        embedder_name=embedder_for(provider),
        progress=progress,
        checkpoint=session.commit,
    )
    _store(session, compilation, result)
    if compilation.kind == BuildKind.ASSISTANT.value:
        _store_assistant_snapshot(session, compilation, result)
    if tune is not None:
        if progress:
            progress("fine_tune", 0, 1)
        retrieval_log = format_build_log(compilation, model, result, finetune.ACTIVATION_PENDING)
        finetune.run(session, compilation=compilation, plan=tune, retrieval_log=retrieval_log)
    activate, reason = activation_decision(
        session,
        model=model,
        compilation=compilation,
        active_score=_active_score(session, model, inputs),
        forgotten=result.evaluation.forgotten,
    )
    if activate:
        model.conversational_compilation_id = compilation.id
    compilation.build_log = (
        format_build_log(compilation, model, result, reason)
        if tune is None
        else f"{compilation.build_log}Activation: {reason}\n"
    )
    compilation.status = CompilationStatus.COMPLETED.value
    compilation.is_successful = True
    compilation.completion_time_utc = utcnow()
    _notify_completion(compilation)
    session.commit()
    if progress:
        progress("done", 1, 1)


def _store_assistant_snapshot(session: Session, compilation: Compilation, result: BuildResult) -> None:
    """An assistant build also keeps its system message chain and the instructions in force at its start."""
    settings = ASSISTANT_INSTRUCTION_SETTINGS.items()
    instructions = {form: get_setting(session, key=key) for form, key in settings}
    assets = {
        "system_message_chain": json.dumps(result.artifact.system_messages),
        "instructions": json.dumps(instructions),
    }
    for key, value in assets.items():
        session.add(CompilationAsset(compilation_id=compilation.id, asset_key=key, value=value))
    session.flush()


def _active_score(session: Session, model: AIModel, inputs: BuildInputs) -> float | None:
    """The active build re-evaluated on the current validation Q&As, so the gate compares like with like."""
    if model.conversational_compilation_id is None or not model.quality_gate_enabled:
        return None
    row = session.get(CompilationArtifact, model.conversational_compilation_id)
    if row is None:
        return None
    return rescore(session, artifact=BuildArtifact.from_bytes(row.content), validation=inputs.validation)


def _store(session: Session, compilation: Compilation, result: BuildResult) -> None:
    content = result.artifact.to_bytes()
    digest = hashlib.sha256(content).hexdigest()
    session.add(
        CompilationArtifact(
            compilation_id=compilation.id, content=content, sha256=digest, size_bytes=len(content)
        )
    )
    evaluation = result.evaluation
    compilation.validation_score = evaluation.score
    metrics = {
        "in_scope_accuracy": evaluation.in_scope_accuracy,
        "oos_rejection": evaluation.oos_rejection,
        "validation_score": evaluation.score,
        **result.counts,
        **{k: round(v, 3) for k, v in result.timings.items()},
    }
    assets = {
        "build_kind": compilation.kind,
        "embedder": result.artifact.embedder,
        "threshold": f"{result.artifact.head.threshold:.6f}",
        "calibration": json.dumps(result.calibration),
        "metrics": json.dumps(metrics),
        "artifact_sha256": digest,
        "artifact_bytes": str(len(content)),
        "newly_embedded": str(result.newly_embedded),
        "validation_misses": json.dumps([asdict(m) for m in evaluation.misses[:MAX_MISSES_LOGGED]]),
    }
    for key, value in assets.items():
        session.add(CompilationAsset(compilation_id=compilation.id, asset_key=key, value=value))
    session.flush()
