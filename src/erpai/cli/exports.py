"""``erpai export …`` and ``erpai model export|import``: data out of (and models into) erpai."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer

from erpai.ai_models.service import find_model
from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, err_console, fail, handle_errors, print_json
from erpai.db import session_factory
from erpai.exports import bundle, service
from erpai.exports.schemas import HitFilters
from erpai.qas.io import ImportRejected

export_app = typer.Typer(
    help="Export fine-tune data, conversations, hit history, build logs and metrics.", no_args_is_help=True
)
OutOption = typer.Option(None, "--out", "-o", help="Write to this file (default: standard output).")


class TrainingFormatChoice(StrEnum):
    openai = "openai"


class FeedbackChoice(StrEnum):
    up = "up"
    down = "down"


class HitFormatChoice(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _write(chunks: Iterable[str | bytes], out: Path | None) -> None:
    if out is None:
        for chunk in chunks:
            typer.echo(chunk.decode() if isinstance(chunk, bytes) else chunk, nl=False)
        return
    with out.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
    err_console.print(f"wrote {out}", highlight=False)


@export_app.command("training")
@handle_errors
def export_training(
    model: str = typer.Argument(..., help="Model id or name."),
    fmt: TrainingFormatChoice = typer.Option(TrainingFormatChoice.openai, "--format", help="openai"),
    dpo: bool = typer.Option(False, "--dpo", help="The DPO preference pairs instead of the training file."),
    out: Path = OutOption,
    as_login: str = AsOption,
) -> None:
    """The exact fine-tune JSONL a fine-tune build of the model would upload now."""
    with cli_session() as session:
        target = find_model(session, ref=model)
        data = service.training_file(
            session, user=acting_user(session, as_login), model_id=target.id, kind="dpo" if dpo else "sft"
        )
    _write([data], out)


@export_app.command("conversations")
@handle_errors
def export_conversations(
    model: str = typer.Argument(..., help="Model id or name."),
    out: Path = OutOption,
    as_login: str = AsOption,
) -> None:
    """The model's training conversations as JSONL (read back by 'erpai conversation import')."""
    with cli_session() as session:
        target = find_model(session, ref=model)
        lines = list(
            service.conversation_lines(session, user=acting_user(session, as_login), model_id=target.id)
        )
    _write(lines, out)


@export_app.command("hits")
@handle_errors
def export_hits(
    model: str = typer.Option(None, "--model", help="Only this model (id or name)."),
    channel: str = typer.Option(None, "--channel", help="api, cli, chat, openai, mcp..."),
    answered: bool = typer.Option(None, "--answered/--unanswered", help="Only answered / unanswered."),
    feedback: FeedbackChoice = typer.Option(None, "--feedback", help="Only thumbs up / down."),
    since: datetime = typer.Option(None, "--since", help="From this UTC time on (2026-01-31 or ISO)."),
    until: datetime = typer.Option(None, "--until", help="Before this UTC time."),
    fmt: HitFormatChoice = typer.Option(HitFormatChoice.csv, "--format"),
    out: Path = OutOption,
    as_login: str = AsOption,
) -> None:
    """The hit history (every question asked), streamed as CSV or JSONL."""
    with cli_session() as session:
        model_id = find_model(session, ref=model).id if model else None
        filters = HitFilters(
            model_id=model_id,
            channel=channel,
            answered=answered,
            feedback=feedback.value if feedback else None,
            since=since,
            until=until,
        )
        chunks = service.hit_chunks(
            session,
            user=acting_user(session, as_login),
            filters=filters,
            fmt=fmt.value,
            opener=session_factory(),
        )
    _write(chunks, out)


@export_app.command("build-log")
@handle_errors
def export_build_log(
    compilation_id: int = typer.Argument(..., help="Build id."),
    out: Path = OutOption,
    as_login: str = AsOption,
) -> None:
    """A build's log as text."""
    with cli_session() as session:
        text = service.build_log(session, user=acting_user(session, as_login), compilation_id=compilation_id)
    _write([text if text.endswith("\n") else text + "\n"], out)


@export_app.command("metrics")
@handle_errors
def export_metrics(
    compilation_id: int = typer.Argument(..., help="Build id."), as_login: str = AsOption
) -> None:
    """A build's metrics as JSON."""
    with cli_session() as session:
        print_json(
            service.build_metrics(session, user=acting_user(session, as_login), compilation_id=compilation_id)
        )


@handle_errors
def model_export_command(
    model: str = typer.Argument(..., help="Model id or name."),
    out: Path = OutOption,
    as_login: str = AsOption,
) -> None:
    """Export a whole model (settings, Q&As, training conversations) to one file."""
    with cli_session() as session:
        target = find_model(session, ref=model)
        lines = list(bundle.export_model(session, user=acting_user(session, as_login), model_id=target.id))
    _write(lines, out)


@handle_errors
def model_import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A file from 'erpai model export'."),
    name: str = typer.Option(None, "--name", help="Import under this name."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Import a model exported by 'erpai model export' (here or on another installation), as a new model."""
    with cli_session() as session:
        try:
            with file.open(encoding="utf-8-sig") as handle:
                result = bundle.import_model(
                    session, user=acting_user(session, as_login), lines=handle, name=name
                )
        except ImportRejected as exc:
            for error in exc.errors:
                err_console.print(f"{file.name}: {error}", highlight=False, markup=False)
            raise fail(exc.message) from None
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", highlight=False, markup=False)
    emit(result, as_json, [])
