"""``erpai eval``: the product's own evaluation command (also used by bench/)."""

from __future__ import annotations

from pathlib import Path

import typer

from erpai.cli.output import JsonOption, console, print_json

LABELS = {
    "in_scope_accuracy": "in-scope accuracy (a rejection counts as wrong)",
    "oos_recall": "out-of-scope recall",
    "oos_precision": "out-of-scope precision",
    "oos_f1": "out-of-scope F1",
    "auroc": "AUROC of the out-of-scope score",
    "ece": "expected calibration error (ECE)",
    "threshold": "confidence threshold",
    "closed_accuracy": "accuracy with rejection switched off",
    "compile_seconds": "compile seconds",
    "ask_p50_ms": "ask latency p50 (ms)",
    "ask_p95_ms": "ask latency p95 (ms)",
    "peak_rss_mb": "peak memory (MB RSS)",
}


def eval_command(
    train: Path = typer.Option(..., "--train", exists=True, dir_okay=False, help="Training JSONL."),
    test: Path = typer.Option(..., "--test", exists=True, dir_okay=False, help="Test JSONL."),
    validation: Path = typer.Option(
        None, "--validation", exists=True, dir_okay=False, help="Validation JSONL."
    ),
    embedder: str = typer.Option(None, help="Embedder name (default: the product default)."),
    as_json: bool = JsonOption,
) -> None:
    """Train a throw-away model on TRAIN (+VAL for calibration), compile it and score it on TEST."""
    from erpai.evaluation import run_eval

    figures = run_eval(train, test, validation, embedder=embedder)
    if as_json:
        print_json(figures)
        return
    for key, label in LABELS.items():
        value = figures[key]
        shown = f"{value:.4f}" if isinstance(value, float) else "n/a"
        console.print(f"{label:48s} {shown}", highlight=False)
    console.print("threshold sweep: confidence threshold -> in-scope accuracy / OOS recall / OOS precision",
                  highlight=False)
    for row in figures["sweep"]:  # type: ignore[attr-defined]
        cells = " / ".join(f"{row[k]:.4f}" if row[k] is not None else "n/a"
                           for k in ("in_scope_accuracy", "oos_recall", "oos_precision"))
        console.print(f"  {row['threshold']:.1f}: {cells}", highlight=False)
