"""The readable build log and the activation decision (AutoUpdateToLatestBuild + quality gate)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.models import Compilation
from erpai.compilations.pipeline import BuildResult, Evaluation

MAX_MISSES_LOGGED = 100
MAX_FORGOTTEN_LOGGED = 10


def activation_decision(
    session: Session,
    *,
    model: AIModel,
    compilation: Compilation,
    active_score: float | None = None,
    forgotten: Sequence[str] = (),
) -> tuple[bool, str]:
    """``active_score``: the active build re-scored on the current validation set (else its stored score).
    ``forgotten``: regression cases (earlier corrections) the new build answers otherwise."""
    if not model.auto_update_to_latest_build:
        return False, (
            "not activated: AutoUpdateToLatestBuild is off; "
            f"activate it with 'erpai build activate {compilation.id}'"
        )
    if model.quality_gate_enabled and forgotten:
        shown = "; ".join(repr(q[:80]) for q in forgotten[:MAX_FORGOTTEN_LOGGED])
        return False, (
            f"not activated: quality gate: the build forgets {len(forgotten)} corrected answer(s) "
            f"(regression Q&As): {shown}; activate it anyway with 'erpai build activate {compilation.id}'"
        )
    active = (
        session.get(Compilation, model.conversational_compilation_id)
        if model.conversational_compilation_id
        else None
    )
    new = compilation.validation_score
    old = active_score if active_score is not None else (active.validation_score if active else None)
    if (
        model.quality_gate_enabled
        and new is not None
        and old is not None
        and new < old - model.quality_gate_margin
    ):
        return False, (
            f"not activated: quality gate: validation score {new:.4f} is worse than the active build "
            f"#{active.id if active else '?'}'s {old:.4f} on the same validation Q&As "
            f"by more than the margin {model.quality_gate_margin:.4f}; "
            f"activate it anyway with 'erpai build activate {compilation.id}'"
        )
    return True, "activated: this build now answers for the model"


def _ratio(value: float | None, part: int, total: int) -> str:
    return "n/a (none given)" if value is None else f"{value:.4f} ({part}/{total})"


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "n/a"


def _metric_lines(m: dict[str, object]) -> list[str]:
    """OOS precision / F1, AUROC, ECE and the threshold sweep (validation with in-scope and OOS rows)."""
    sweep = m["sweep"]
    assert isinstance(sweep, list)
    lines = [
        f"  OOS precision / F1:     {_fmt(m['oos_precision'])} / {_fmt(m['oos_f1'])}",
        f"  AUROC of the OOS score: {_fmt(m['auroc'])}",
        f"  calibration error (ECE): {_fmt(m['ece'])}",
        "  threshold sweep (confidence threshold: in-scope accuracy / OOS recall / OOS precision):",
    ]
    lines += [f"    {row['threshold']:.1f}: {_fmt(row['in_scope_accuracy'])} / {_fmt(row['oos_recall'])} / "
              f"{_fmt(row['oos_precision'])}" for row in sweep]
    return lines


def _evaluation_lines(evaluation: Evaluation) -> list[str]:
    e = evaluation
    lines = [
        "Validation:",
        f"  in-scope accuracy:      {_ratio(e.in_scope_accuracy, e.in_scope_correct, e.in_scope_total)}",
        f"  out-of-scope rejection: {_ratio(e.oos_rejection, e.oos_rejected, e.oos_total)}",
        f"  score:                  {'n/a' if evaluation.score is None else f'{evaluation.score:.4f}'}",
    ]
    if e.in_scope_total and e.oos_total:
        lines += _metric_lines(e.metrics())
    if evaluation.misses:
        shown = evaluation.misses[:MAX_MISSES_LOGGED]
        lines.append(f"Misses ({len(shown)} of {len(evaluation.misses)} shown):")
        for miss in shown:
            expected = "(should not be answered)" if miss.expected is None else repr(miss.expected)
            got = "(rejected)" if miss.got is None else repr(miss.got)
            lines.append(f"  - {miss.question!r}: expected {expected}, got {got}, score {miss.score:.3f}")
    return lines


def format_build_log(compilation: Compilation, model: AIModel, result: BuildResult, activation: str) -> str:
    counts, timings = result.counts, result.timings
    lines = [
        f"erpai retrieval build, compilation #{compilation.id} of model '{model.name}'",
        f"Started {compilation.start_time_utc:%Y-%m-%d %H:%M:%S} UTC",
        f"Inputs: {counts['training_examples']} training examples ({counts['from_qas']} from Q&As, "
        f"{counts['from_conversations']} from training conversations) "
        f"for {counts['answers']} distinct answers; {counts['out_of_scope_examples']} out-of-scope examples; "
        f"{counts['validation_questions']} validation questions",
        f"System messages in the chain: {len(result.artifact.system_messages)}",
        f"Embedder: {result.artifact.embedder} "
        f"({result.newly_embedded} texts newly embedded, the rest from cache)",
        "Calibration: " + ", ".join(f"{k}={v:.4g}" for k, v in result.calibration.items()),
        "Timings: " + ", ".join(f"{k.removesuffix('_seconds')} {v:.2f} s" for k, v in timings.items()),
        *_evaluation_lines(result.evaluation),
        f"Activation: {activation}",
    ]
    return "\n".join(lines) + "\n"
