"""``erpai ingest FILE`` (a purchase-invoice proposal) and ``erpai lead extract`` (a proposed lead)."""

from __future__ import annotations

from pathlib import Path

import typer

from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors
from erpai.errors import InvalidInput
from erpai.ingest import lead_save, service
from erpai.ingest.lead_schemas import LeadExtractRead
from erpai.ingest.schemas import IngestProposalRead

lead_app = typer.Typer(
    help="Leads from text or e-mail (AI, checked against the source).", no_args_is_help=True
)


def _read_file(path: Path) -> bytes:
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}", field="file")
    service.check_size(path.stat().st_size)
    return path.read_bytes()


def _print_review(flags: list[tuple[str, str, str]], missing: str | None) -> None:
    for field, value, reason in flags:
        typer.echo(
            f"check {field}: {value!r} is {reason}"
            if reason.startswith("not")
            else f"check {field}: {reason}"
        )
    if missing:
        typer.echo(f"note: {missing}", err=True)


@handle_errors
def ingest_command(
    file: Path = typer.Argument(..., help="PDF, PNG, JPEG, TIFF, WebP or UBL/CII XML: one invoice."),
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Read a purchase invoice into a stored proposal (structured e-invoice, text layer, OCR, then AI)."""
    data = _read_file(file)
    with cli_session() as session:
        proposal: IngestProposalRead = service.ingest_invoice(
            session, data=data, filename=file.name, actor=acting_user(session, as_login)
        )
    emit(proposal, as_json, [])
    if not as_json:
        _print_review([(f.field, f.value, f.reason) for f in proposal.flags], proposal.missing_capability)


@lead_app.command("extract")
@handle_errors
def extract_lead(
    path: Path = typer.Argument(None, metavar="[FILE]", help="An .eml e-mail (or use --file / --text)."),
    text: str = typer.Option(None, "--text", help="Pasted text (an e-mail body, a note)."),
    file: Path = typer.Option(None, "--file", help="An .eml e-mail."),
    save: bool = typer.Option(False, "--save", help="Save the proposed lead as it is (after the review)."),
    allow_duplicate: bool = typer.Option(
        False, "--allow-duplicate", help="With --save: save even when the lead may already exist."
    ),
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Propose a lead (first/last name, e-mail, phone, role, company, notes) with its flags and possible
    duplicates; --save creates it (refused when it may already exist, unless --allow-duplicate)."""
    file = file or path
    if (text is None) == (file is None):
        raise InvalidInput("give exactly one of FILE, --file or --text", field="text")
    eml = _read_file(file) if file is not None else None
    with cli_session() as session:
        actor = acting_user(session, as_login)
        lead: LeadExtractRead = lead_save.extract_lead(session, text=text, eml=eml, actor=actor)
        if not save:
            emit(lead, as_json, [])
        else:
            data = lead_save.as_saved_lead(
                lead.fields, source="email" if eml is not None else "text", allow_duplicate=allow_duplicate
            )
            emit(lead_save.save_lead(session, data=data, actor=actor), as_json, [])
    if not as_json:
        _print_review([(f.field, f.value, f.reason) for f in lead.flags], lead.missing_capability)
        for dup in lead.duplicates:
            typer.echo(f"may already exist: {dup.kind} {dup.id} (same {' and '.join(dup.matched_on)})")
