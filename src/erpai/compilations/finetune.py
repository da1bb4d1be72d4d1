"""Fine-tune builds: training data from the compile's snapshot, checked locally, then the provider's job
created and polled to its end. The retrieval build is made as well (grounding keeps working); activation
happens only when the job succeeds, so a failed or cancelled job never moves the active build.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import descendant_ids
from erpai.answering.schemas import DEFAULT_FALLBACK_ANSWER
from erpai.compilations.models import Compilation, CompilationAsset, CompilationStatus
from erpai.compilations.snapshot import BuildInputs
from erpai.config import get_settings
from erpai.errors import DomainError, InvalidInput
from erpai.providers import ProviderClient, ProviderError, get_provider, require_capability
from erpai.providers import finetune_data as ftd
from erpai.providers.base import FineTuneJob
from erpai.providers.models import Provider
from erpai.providers.registry import row_config
from erpai.providers.resilience import Redactor
from erpai.training.models import ParticipantRole, PreferencePair, TrainingConversation
from erpai.training.models import TrainingConversationMessage as Message

log = logging.getLogger("erpai.compile")
ACTIVATION_PENDING = "decided when the fine-tune job ends (see below)"
SUFFIX_MAX = 18  # OpenAI's limit for the suffix of a fine-tuned model name
TRANSIENT = frozenset({"rate_limited", "unavailable", "timeout"})
_scrub = Redactor(None)  # provider texts copied into the log: nothing shaped like a key


class CompileCancelled(DomainError):
    """The compilation was cancelled (or otherwise ended) while its job ran: stop without writing."""


def ensure_capable(session: Session, *, model: AIModel) -> None:
    """At compile start: a fine-tune build needs a provider with the ``fine_tune`` capability."""
    row = session.get(Provider, model.provider_id) if model.provider_id is not None else None
    if row is None:
        raise InvalidInput(f"model '{model.name}' has no provider", field="provider_id")
    require_capability(get_provider(row), "fine_tune")


def suffix_for(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:SUFFIX_MAX].rstrip("-") or "erpai"


@dataclass
class FineTunePlan:
    client: ProviderClient
    sft: list[ftd.Example]
    dpo: list[ftd.Example]
    suffix: str
    filename: str
    lines: list[str]


# -- data ---------------------------------------------------------------------------------------------------


def _conversations(session: Session, model_ids: list[int]) -> dict[int, list[ftd.Turn]]:
    roles: dict[str, ftd.Role] = {
        ParticipantRole.USER.value: "user",
        ParticipantRole.ASSISTANT.value: "assistant",
    }
    stmt = (
        select(
            Message.training_conversation_id,
            Message.participant_role,
            Message.participant_name,
            Message.contents,
        )
        .join(TrainingConversation, TrainingConversation.id == Message.training_conversation_id)
        .where(TrainingConversation.model_id.in_(model_ids))
        .order_by(Message.training_conversation_id, Message.message_no)
    )
    turns: dict[int, list[ftd.Turn]] = {}
    for conversation_id, role, name, text in session.execute(stmt):
        if role in roles:  # the system message chain stands at the top of every example instead
            turns.setdefault(conversation_id, []).append(ftd.Turn(roles[role], text, name))
    return turns


def _pairs(session: Session, model_ids: list[int]) -> dict[int, list[PreferencePair]]:
    stmt = (
        select(PreferencePair)
        .join(TrainingConversation, TrainingConversation.id == PreferencePair.training_conversation_id)
        .where(TrainingConversation.model_id.in_(model_ids))
        .order_by(PreferencePair.id)
    )
    pairs: dict[int, list[PreferencePair]] = {}
    for pair in session.scalars(stmt):
        pairs.setdefault(pair.training_conversation_id, []).append(pair)
    return pairs


def _conversation_example(example: ftd.Example, rejected: set[str]) -> ftd.Example | None:
    """A corrected AI answer is kept as context but not learnt (weight 0); trailing user turns go."""
    messages = [dict(m) for m in example["messages"]]
    for message in messages:
        if message["role"] == "assistant" and message["content"] in rejected:
            message["weight"] = 0
    while messages and messages[-1]["role"] != "assistant":
        messages.pop()
    if not any(m["role"] == "assistant" and m.get("weight", 1) for m in messages):
        return None
    return {"messages": messages}


def training_data(
    session: Session, *, model: AIModel, inputs: BuildInputs
) -> tuple[list[ftd.Example], list[ftd.Example]]:
    """(supervised examples, DPO examples): one per Q&A, per correction and per training conversation."""
    model_ids = descendant_ids(session, model_id=model.id)
    system = "\n\n".join(inputs.system_messages)
    pairs = _pairs(session, model_ids)
    corrections = [(p.prompt, p.corrected_answer) for group in pairs.values() for p in group]
    qas = [(e.text, e.answer) for e in inputs.training if e.source_type == "qa"]
    refusal = model.fallback_answer or DEFAULT_FALLBACK_ANSWER
    sft = ftd.training_examples(system_message=system, qas=qas + corrections, refusal=refusal)
    for conversation_id, turns in _conversations(session, model_ids).items():
        rejected = {p.rejected_answer.strip() for p in pairs.get(conversation_id, [])}
        for example in ftd.training_examples(system_message=system, qas=(), conversations=[turns]):
            kept = _conversation_example(example, rejected)
            if kept is not None:
                sft.append(kept)
    preference = [
        ftd.PreferencePair(p.prompt, p.rejected_answer, p.corrected_answer) for g in pairs.values() for p in g
    ]
    return sft, ftd.preference_examples(system_message=system, pairs=preference)


def _check_failure(report: ftd.DataReport) -> str:
    problems = [
        f"fewer than {ftd.MIN_EXAMPLES} examples ({report.examples})" if name == "too_few_examples" else name
        for name in report.errors
    ]
    return (
        "the fine-tune training data failed the local check: "
        + ", ".join(problems)
        + ("; nothing was uploaded (see the build log)")
    )


def prepare(
    session: Session,
    *,
    compilation: Compilation,
    model: AIModel,
    provider: Provider | None,
    inputs: BuildInputs,
) -> FineTunePlan:
    """Builds and checks the data before anything is uploaded; a failed check fails the compile."""
    if provider is None:
        raise InvalidInput(f"model '{model.name}' has no provider", field="provider_id")
    client = get_provider(provider)
    require_capability(client, "fine_tune")
    config = row_config(provider)
    price = float(getattr(config, "training_price_per_million_tokens", 0.0))
    sft, dpo = training_data(session, model=model, inputs=inputs)
    report = ftd.check_examples(sft, kind="sft", price_per_million_tokens=price)
    lines = ["Fine-tune:", *(f"  {line}" for line in report.lines())]
    if not getattr(config, "fine_tune_preferences", False):
        dpo = []
    elif dpo:
        dpo_report = ftd.check_examples(dpo, kind="dpo", price_per_million_tokens=price)
        lines += [f"  {line}" for line in dpo_report.lines()]
        if not dpo_report.ok:
            lines.append("  preference (DPO) stage skipped: its data did not pass the check")
            dpo = []
    if not report.ok:
        compilation.build_log = "\n".join(lines) + "\n"
        session.commit()  # the report stays in the log of the failed compile
        raise InvalidInput(_check_failure(report), field="qas")
    suffix = suffix_for(model.name)
    return FineTunePlan(client, sft, dpo, suffix, f"erpai-{suffix}-{compilation.id}.jsonl", lines)


# -- the job ------------------------------------------------------------------------------------------------


class _LogWriter:
    """Appends to the build log and stores assets, one commit each; stops once the compile is cancelled."""

    def __init__(self, session: Session, compilation: Compilation) -> None:
        self.session = session
        self.compilation = compilation

    def write(self, *lines: str, assets: dict[str, str] | None = None) -> None:
        status = self.session.scalar(select(Compilation.status).where(Compilation.id == self.compilation.id))
        if status != CompilationStatus.RUNNING.value:
            self.session.rollback()
            raise CompileCancelled(f"compilation {self.compilation.id} was ended while its fine-tune job ran")
        for key, value in (assets or {}).items():
            self.session.add(CompilationAsset(compilation_id=self.compilation.id, asset_key=key, value=value))
        if lines:
            self.compilation.build_log = (self.compilation.build_log or "") + "".join(f"{x}\n" for x in lines)
        self.session.commit()


def run(session: Session, *, compilation: Compilation, plan: FineTunePlan, retrieval_log: str) -> None:
    """Uploads, creates the job, polls it; sets ``compiled_model_name`` or raises a clear DomainError."""
    compilation.build_log = retrieval_log
    writer = _LogWriter(session, compilation)
    writer.write(*plan.lines)
    try:
        name = _tune(writer, plan, plan.sft, stage="", base=None, method={"type": "supervised"})
        if plan.dpo:
            name = _tune(writer, plan, plan.dpo, stage="dpo_", base=name, method={"type": "dpo"})
    finally:
        _close(plan.client)
    compilation.compiled_model_name = name
    writer.write(f"  fine-tuned model: {name}", assets={"fine_tuned_model": name})


def _tune(
    writer: _LogWriter,
    plan: FineTunePlan,
    examples: list[ftd.Example],
    *,
    stage: str,
    base: str | None,
    method: dict[str, Any],
) -> str:
    client, label = plan.client, method["type"]
    file_id = client.upload_training_file(ftd.to_jsonl(examples), stage + plan.filename)
    writer.write(
        f"  {label}: uploaded {len(examples)} examples as {file_id}",
        assets={f"fine_tune_{stage}file_id": file_id},
    )
    job = client.create_fine_tune(file_id, model=base, suffix=plan.suffix, method=method)
    writer.write(
        f"  {label}: job {job.id} created on {job.model} (suffix {plan.suffix})",
        assets={f"fine_tune_{stage}job_id": job.id},
    )
    try:
        job = _poll(writer, client, job)
    except (CompileCancelled, InvalidInput):
        _cancel_quietly(client, job.id)
        raise
    if job.status != "succeeded" or not job.fine_tuned_model:
        reason = _scrub(job.error or "no reason given")
        raise InvalidInput(f"the fine-tune job {job.id} ended {job.status}: {reason}", field="fine_tune")
    return job.fine_tuned_model


def _poll(writer: _LogWriter, client: ProviderClient, job: FineTuneJob) -> FineTuneJob:
    settings = get_settings()
    deadline = time.monotonic() + settings.fine_tune_timeout_seconds
    seen: set[str] = set()
    while True:
        job, lines = _observe(client, job, seen)
        writer.write(*lines)
        if ftd.is_terminal(job.status):
            return job
        if time.monotonic() > deadline:
            raise InvalidInput(
                f"the fine-tune job {job.id} did not finish within {settings.fine_tune_timeout_seconds:g} s "
                "(ERPAI_FINE_TUNE_TIMEOUT_SECONDS); it was cancelled",
                field="fine_tune",
            )
        time.sleep(settings.fine_tune_poll_seconds)


def _observe(client: ProviderClient, job: FineTuneJob, seen: set[str]) -> tuple[FineTuneJob, list[str]]:
    """The job's state and its new events; a passing provider hiccup is logged and polled again."""
    try:
        current = client.retrieve_fine_tune(job.id)
        events = [e for e in client.list_fine_tune_events(job.id) if e not in seen]
    except ProviderError as exc:
        if exc.code not in TRANSIENT:
            raise
        return job, [f"  polling failed for now, trying again: {exc.message}"]
    seen.update(events)
    lines = [f"  event: {_scrub(e)}" for e in events]
    if current.status != job.status:
        lines.append(f"  status: {current.status}")
    return current, lines


def _cancel_quietly(client: ProviderClient, job_id: str) -> None:
    try:
        client.cancel_fine_tune(job_id)
    except ProviderError as exc:
        log.info("could not cancel fine-tune job %s: %s", job_id, exc.message)


def cancel_job(provider: Provider | None, job_id: str) -> str:
    """Cancels the provider's job for an admin; returns the line for the build log."""
    if provider is None:
        return f"provider job {job_id}: no provider to cancel it on"
    client = get_provider(provider)
    try:
        job = client.cancel_fine_tune(job_id)
    except ProviderError as exc:
        return f"provider job {job_id} could not be cancelled: {exc.message}"
    finally:
        _close(client)
    return f"provider job {job_id} cancelled (status {job.status})"


def _close(client: ProviderClient) -> None:
    close = getattr(client, "close", None)
    if callable(close):
        close()
