from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from erpai.ai_models.service import find_model
from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, err_console, fail, handle_errors
from erpai.cli.remote import remote_client
from erpai.common import PageParams
from erpai.qas import service
from erpai.qas.io import ImportRejected, decode_text, infer_format
from erpai.qas.schemas import QACreate, QAFilters, QARead, QAUpdate

qa_app = typer.Typer(help="Q&As: the questions and desired answers a model learns.", no_args_is_help=True)


class QATypeChoice(StrEnum):
    training = "training"
    validation = "validation"


ModelArgument = typer.Argument(..., help="Model id or name.")
FormatOption = typer.Option(None, "--format", help="csv or jsonl (default: from the file name).")
TypeOption = typer.Option(None, "--type", help="Only this type.")
LIST_COLUMNS = ["id", "qa_type", "section", "is_active", "question", "answer"]


@qa_app.command("add")
@handle_errors
def add_qa(
    model: str = ModelArgument,
    question: str = typer.Option(..., "--question", "-q", help="The question."),
    answer: str = typer.Option("", "--answer", "-a", help="The desired answer; empty: do NOT answer it."),
    section: str = typer.Option("General", "--section", help="Free-text section."),
    validation: bool = typer.Option(False, "--validation", help="A validation Q&A (not used for training)."),
    inactive: bool = typer.Option(False, "--inactive", help="Add it deactivated."),
    notes: str = typer.Option(None, "--notes"),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Add one Q&A to a model."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = find_model(session, ref=model)
        data = QACreate(
            model_id=target.id,
            question=question,
            answer=answer,
            section=section,
            qa_type="validation" if validation else "training",
            is_active=not inactive,
            notes=notes,
        )
        emit(QARead.model_validate(service.create_qa(session, data=data, actor=actor)), as_json, [])


@qa_app.command("import")
@handle_errors
def import_qas(
    model: str = ModelArgument,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .jsonl file."),
    fmt: str = FormatOption,
    as_login: str = AsOption,
) -> None:
    """Import Q&As from CSV or JSONL: every row or none; each bad row is listed with its line."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = find_model(session, ref=model)
        kind = infer_format(fmt, filename=file.name)
        try:
            count = service.import_qas(
                session,
                model_id=target.id,
                content=decode_text(file.read_bytes()),
                fmt=kind,
                actor=actor,
            )
        except ImportRejected as exc:
            for error in exc.errors:
                err_console.print(f"{file.name}: {error}", highlight=False, markup=False)
            raise fail(exc.message) from None
        typer.echo(f"imported {count} Q&As into model '{target.name}'")


@qa_app.command("export")
@handle_errors
def export_qas(
    model: str = ModelArgument,
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (default: standard output)."),
    fmt: str = FormatOption,
    qa_type: QATypeChoice = TypeOption,
    only_active: bool = typer.Option(False, "--only-active", help="Leave out deactivated Q&As."),
    as_login: str = AsOption,
) -> None:
    """Export a model's Q&As as CSV or JSONL (the import format)."""
    kind = infer_format(fmt, filename=out.name if out else None) if fmt or (out and out.suffix) else "csv"
    filters = QAFilters.model_validate(
        {"qa_type": qa_type and qa_type.value, "is_active": True if only_active else None}
    )
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = find_model(session, ref=model)
        chunks = service.export_qas(session, model_id=target.id, fmt=kind, filters=filters, actor=actor)
        if out is None:
            for chunk in chunks:
                typer.echo(chunk, nl=False)
            return
        with out.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(chunks)
    err_console.print(f"wrote {out}", highlight=False)


@qa_app.command("list")
@handle_errors
def list_qas(
    model: str = ModelArgument,
    qa_type: QATypeChoice = TypeOption,
    search: str = typer.Option(None, "--search", help="Substring of the question or the answer."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """List a model's Q&As (its trainers)."""
    client = remote_client()
    if client is not None:
        with client:
            remote_rows = client.list_qas(client.find_model(model).id, search=search)
        emit([r for r in remote_rows if qa_type is None or r.qa_type == qa_type.value], as_json, LIST_COLUMNS)
        return
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = find_model(session, ref=model)
        filters = QAFilters.model_validate(
            {"model_id": target.id, "qa_type": qa_type and qa_type.value, "q": search}
        )
        rows, _ = service.list_qas(
            session, params=PageParams(limit=1_000_000, offset=0), filters=filters, actor=actor
        )
        emit([QARead.model_validate(r) for r in rows], as_json, LIST_COLUMNS)


@qa_app.command("delete")
@handle_errors
def delete_qa(qa_id: int = typer.Argument(..., help="Q&A id."), as_login: str = AsOption) -> None:
    """Delete a Q&A (a trainer of its model)."""
    with cli_session() as session:
        service.delete_qa(session, qa_id=qa_id, actor=acting_user(session, as_login))
    typer.echo(f"deleted Q&A {qa_id}")


@qa_app.command("show")
@handle_errors
def show_qa(qa_id: int = typer.Argument(..., help="Q&A id."), as_json: bool = JsonOption) -> None:
    """Show one Q&A."""
    with cli_session() as session:
        emit(QARead.model_validate(service.get_qa(session, qa_id=qa_id)), as_json, [])


@qa_app.command("update")
@handle_errors
def update_qa(
    qa_id: int = typer.Argument(..., help="Q&A id."),
    question: str = typer.Option(None, "--question", "-q"),
    answer: str = typer.Option(None, "--answer", "-a", help='The desired answer; "" marks it out of scope.'),
    section: str = typer.Option(None, "--section"),
    qa_type: QATypeChoice = typer.Option(None, "--type"),
    active: bool = typer.Option(None, "--active/--inactive", help="Reactivate / deactivate it."),
    notes: str = typer.Option(None, "--notes"),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a Q&A (its adder or an admin): only the options given change."""
    given = {
        "question": question,
        "answer": answer,
        "section": section,
        "qa_type": qa_type and qa_type.value,
        "is_active": active,
        "notes": notes,
    }
    data = QAUpdate.model_validate({k: v for k, v in given.items() if v is not None})
    with cli_session() as session:
        actor = acting_user(session, as_login)
        emit(
            QARead.model_validate(service.update_qa(session, qa_id=qa_id, data=data, actor=actor)),
            as_json,
            [],
        )


@qa_app.command("deactivate")
@handle_errors
def deactivate_qa(qa_id: int = typer.Argument(..., help="Q&A id."), as_login: str = AsOption) -> None:
    """Deactivate a Q&A: the next compile leaves it out (its deactivation time is stamped)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        service.update_qa(session, qa_id=qa_id, data=QAUpdate(is_active=False), actor=actor)
    typer.echo(f"Q&A {qa_id} deactivated")
