"""Compilations: start, inspect, activate / roll back, recover interrupted ones, hit history."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import get_model
from erpai.audit.service import record_change
from erpai.common import PageParams, fetch_page
from erpai.compilations.models import BuildKind, Compilation, CompilationAsset, CompilationStatus, ModelHit
from erpai.compilations.schemas import CompilationRead
from erpai.config import get_settings
from erpai.db import utcnow
from erpai.errors import Conflict, InvalidInput, NotFound
from erpai.jobs.queue import enqueue
from erpai.jobs.workers import worker_is_gone
from erpai.permissions.service import can_train_model, require_admin_user, require_train_model
from erpai.users.models import User

ACTIVE_STATES = (CompilationStatus.NEW.value, CompilationStatus.RUNNING.value)
COMPILE_JOB = "compilations.run"


def get_compilation(session: Session, *, compilation_id: int) -> Compilation:
    compilation = session.get(Compilation, compilation_id)
    if compilation is None:
        raise NotFound(f"compilation {compilation_id} does not exist", field="compilation_id")
    return compilation


def list_compilations(
    session: Session,
    *,
    params: PageParams,
    actor: User,
    model_id: int | None = None,
    successful: bool | None = None,
) -> tuple[list[CompilationRead], int]:
    """Status fields for everyone; the build log only for the model's trainers (see ``show_compilation``)."""
    stmt = select(Compilation).order_by(Compilation.id.desc())
    if model_id is not None:
        stmt = stmt.where(Compilation.model_id == model_id)
    if successful is not None:
        stmt = stmt.where(Compilation.is_successful.is_(successful))
    rows, total = fetch_page(session, stmt, params)
    return [show_compilation(session, compilation=r, actor=actor) for r in rows], total


def read_compilation(session: Session, *, compilation_id: int, actor: User) -> CompilationRead:
    compilation = get_compilation(session, compilation_id=compilation_id)
    return show_compilation(session, compilation=compilation, actor=actor)


def show_compilation(session: Session, *, compilation: Compilation, actor: User) -> CompilationRead:
    """The compilation as ``actor`` may see it: without ``build_log`` unless they train the model."""
    read = CompilationRead.model_validate(compilation)
    if can_train_model(session, user=actor, model_id=compilation.model_id):
        return read
    return read.model_copy(update={"build_log": None})


def list_assets(session: Session, *, compilation_id: int, actor: User) -> list[CompilationAsset]:
    """A build's assets, for the model's trainers (403 for others)."""
    compilation = get_compilation(session, compilation_id=compilation_id)
    require_train_model(session, user=actor, model_id=compilation.model_id, field="compilation_id")
    return list(compilation.assets)


def queue_compilation(
    session: Session, *, model_id: int, user_id: int, kind: str = "retrieval"
) -> Compilation:
    """Starts a compilation and enqueues its job after the commit: what the API, the CLI and the web UI
    call. A crash between the two leaves a New compilation that recovery enqueues again."""
    compilation = start_compilation(session, model_id=model_id, user_id=user_id, kind=kind)
    enqueue(COMPILE_JOB, compilation_id=compilation.id)
    return compilation


def start_compilation(
    session: Session, *, model_id: int, user_id: int, kind: str = "retrieval"
) -> Compilation:
    """Creates the New compilation, committed, without a job: :func:`queue_compilation` enqueues one;
    ``erpai eval``, the demo and the CLI's in-process path run it here. Admins only."""
    require_admin_user(session, user_id=user_id)
    model = get_model(session, model_id=model_id)
    if kind not in {k.value for k in BuildKind}:
        raise InvalidInput(f"unknown build kind '{kind}': use retrieval or fine_tune", field="kind")
    kind = _build_kind(model, kind)
    if model.provider_id is None:
        raise InvalidInput(
            f"model '{model.name}' has no provider, so it cannot be compiled (it can serve as a child of "
            "another model); set provider_id first",
            field="provider_id",
        )
    if kind == BuildKind.FINE_TUNE.value:
        from erpai.compilations.finetune import ensure_capable

        ensure_capable(session, model=model)
    _ensure_not_running(session, model)
    _ensure_has_training_data(session, model)
    compilation = Compilation(
        model_id=model.id, user_id=user_id, kind=kind, status=CompilationStatus.NEW.value
    )
    session.add(compilation)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"model '{model.name}' is already being compiled", field="model_id") from None
    record_change(session, user_id=user_id, entity="compilation", entity_id=compilation.id, action="create")
    session.commit()
    return compilation


def _build_kind(model: AIModel, kind: str) -> str:
    """An assistant model cannot be fine-tuned; its retrieval compile makes an assistant build."""
    if not model.build_assistant:
        if kind == BuildKind.ASSISTANT.value:
            raise InvalidInput(
                f"model '{model.name}' is not an assistant model: use retrieval or fine_tune", field="kind"
            )
        return kind
    if kind == BuildKind.FINE_TUNE.value:
        raise InvalidInput(
            f"model '{model.name}' is an AI assistant model (build_assistant = true): AI assistant models "
            "cannot be fine-tuned; fine-tuning is supported only for arbiter models (build_assistant false)",
            field="kind",
        )
    return BuildKind.ASSISTANT.value


def _ensure_not_running(session: Session, model: AIModel) -> None:
    running = session.scalar(
        select(Compilation.id).where(Compilation.model_id == model.id, Compilation.status.in_(ACTIVE_STATES))
    )
    if running is not None:
        raise Conflict(
            f"model '{model.name}' is already being compiled (compilation {running}); wait for it to finish",
            field="model_id",
        )


def _ensure_has_training_data(session: Session, model: AIModel) -> None:
    from erpai.compilations.snapshot import take_snapshot

    if not take_snapshot(session, model=model).in_scope:
        raise InvalidInput(
            f"model '{model.name}' has nothing to learn from: add active training Q&As with answers "
            "or training conversations (to it or its children) before compiling",
            field="qas",
        )


def activate_compilation(session: Session, *, compilation_id: int, actor_id: int | None) -> Compilation:
    """Points the model's conversational build at a successful compilation (activate or roll back).

    Admins only; ``actor_id=None`` is erpai itself.
    """
    if actor_id is not None:
        require_admin_user(session, user_id=actor_id)
    compilation = get_compilation(session, compilation_id=compilation_id)
    if not compilation.is_successful or compilation.status != CompilationStatus.COMPLETED.value:
        raise Conflict(
            f"compilation {compilation_id} did not complete successfully, so it cannot answer",
            field="compilation_id",
        )
    model = get_model(session, model_id=compilation.model_id)
    previous = model.conversational_compilation_id
    model.conversational_compilation_id = compilation.id
    record_change(
        session,
        user_id=actor_id,
        entity="model",
        entity_id=model.id,
        action="activate",
        changes={"conversational_compilation_id": [previous, compilation.id]},
    )
    session.commit()
    return compilation


def cancel_compilation(session: Session, *, compilation_id: int, actor_id: int) -> Compilation:
    """Ends a queued or running compile as failed ("cancelled by <login>") and cancels its provider job.

    The last good build stays active; the worker notices and stops without writing.
    """
    require_admin_user(session, user_id=actor_id)
    from erpai.compilations.finetune import cancel_job
    from erpai.providers.models import Provider

    actor = session.get(User, actor_id)
    reason = f"cancelled by {actor.login if actor else f'user {actor_id}'}"

    def end() -> Compilation:
        compilation = get_compilation(session, compilation_id=compilation_id)
        if compilation.status not in ACTIVE_STATES:
            raise Conflict(
                f"compilation {compilation_id} is not running, so it cannot be cancelled", field="status"
            )
        fail_compilation(compilation, reason)
        record_change(
            session, user_id=actor_id, entity="compilation", entity_id=compilation.id, action="cancel"
        )
        session.commit()
        return compilation

    compilation = _retrying_stale(session, end)
    assets = {a.asset_key: a.value for a in compilation.assets}
    job_id = assets.get("fine_tune_dpo_job_id") or assets.get("fine_tune_job_id")
    if job_id:
        model = session.get(AIModel, compilation.model_id)
        provider = session.get(Provider, model.provider_id) if model and model.provider_id else None
        outcome = cancel_job(provider, job_id)

        def log_outcome() -> Compilation:
            ended = get_compilation(session, compilation_id=compilation_id)
            ended.build_log = f"{ended.build_log or ''}{outcome}\n"
            session.commit()
            return ended

        compilation = _retrying_stale(session, log_outcome)
    return compilation


def _retrying_stale(session: Session, step: Callable[[], Compilation], attempts: int = 8) -> Compilation:
    """Runs ``step`` again on fresh data while the running worker's own writes win the race."""
    for attempt in range(attempts):
        try:
            return step()
        except StaleDataError:
            session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def recover_interrupted_compilations(session: Session, *, lost_queue: bool = False) -> list[int]:
    """Marks compiles whose worker died as failed; the previous build stays active.

    A Running compile is dead when its heartbeat is stale, or when its worker ran on this host and
    that process is gone. ``lost_queue``: queued (New) compiles are lost too (the in-process queue
    dies with its process).
    """
    stale_before = utcnow() - timedelta(seconds=get_settings().compile_stale_seconds)
    failed: list[int] = []
    for compilation in session.scalars(select(Compilation).where(Compilation.status.in_(ACTIVE_STATES))):
        if _is_dead(compilation, stale_before, lost_queue):
            fail_compilation(
                compilation,
                "the worker running this compile stopped (killed or crashed); "
                "the previous build stays active",
            )
            failed.append(compilation.id)
    session.commit()
    return failed


def _is_dead(compilation: Compilation, stale_before: datetime, lost_queue: bool) -> bool:
    if compilation.status == CompilationStatus.NEW.value:
        return lost_queue
    return worker_is_gone(compilation.heartbeat_time_utc, compilation.worker_id, stale_before)


def fail_compilation(compilation: Compilation, message: str) -> None:
    compilation.status = CompilationStatus.COMPLETED.value
    compilation.is_successful = False
    compilation.error_message = message
    compilation.completion_time_utc = utcnow()
    compilation.build_log = ((compilation.build_log or "") + f"\nFAILED: {message}\n").lstrip()
    _notify_completion(compilation)


def _notify_completion(compilation: Compilation) -> None:
    from erpai.notifications.service import notify

    session = Session.object_session(compilation)
    assert session is not None
    model = session.get(AIModel, compilation.model_id)
    name = model.name if model else f"#{compilation.model_id}"
    started = compilation.start_time_utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    if compilation.is_successful:
        title, text = (
            "Compilation completed",
            f"Compilation of model '{name}', with start time '{started}', completed successfully.",
        )
    else:
        title = "Compilation failed"
        text = (
            f"Compilation of model '{name}', with start time '{started}', failed: {compilation.error_message}"
        )
    notify(
        session,
        user_id=compilation.user_id,
        notification_class="NT_COMPILATION_COMPLETION",
        title=title,
        message=text,
        data_object_type="compilation",
        data_object_id=compilation.id,
    )


def list_hits(
    session: Session,
    *,
    model_id: int,
    params: PageParams,
    actor: User,
    answered: bool | None = None,
    max_score: float | None = None,
    feedback: str | None = None,
) -> tuple[list[ModelHit], int]:
    """The model's answered and unanswered questions, for its trainers (403 for others).
    ``max_score``: only hits whose confidence is below it (the low-confidence ones)."""
    require_train_model(session, user=actor, model_id=model_id)
    stmt = select(ModelHit).where(ModelHit.model_id == model_id).order_by(ModelHit.id.desc())
    if answered is not None:
        stmt = stmt.where(ModelHit.answered.is_(answered))
    if max_score is not None:
        stmt = stmt.where(ModelHit.score < max_score)
    if feedback is not None:
        stmt = stmt.where(ModelHit.feedback == feedback)
    return fetch_page(session, stmt, params)
