"""``erpai ingest FILE`` (a purchase-invoice proposal) and ``erpai lead extract`` (a proposed lead)."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors, print_json
from erpai.errors import DomainError, InvalidInput
from erpai.ingest import lead_save, service
from erpai.ingest.lead_schemas import LeadExtractRead
from erpai.ingest.schemas import IngestProposalRead, InvoiceConfirm

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


def confirm_edits(pairs: list[str], *, supplier_id: int | None, new_supplier: bool) -> InvoiceConfirm:
    """``--set field=value`` corrections (an empty value clears the field) as the confirm's body."""
    body: dict[str, object] = {"new_supplier": new_supplier}
    if supplier_id is not None:
        body["supplier_id"] = supplier_id
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--set takes FIELD=VALUE, not {pair!r}", field="set")
        body[name.strip()] = value.strip() or None
    try:
        return InvoiceConfirm.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "set"
        raise InvalidInput(f"--set {field}: {first['msg']}", field=field) from None


@handle_errors
def ingest_command(
    file: Path = typer.Argument(..., help="PDF, PNG, JPEG, TIFF, WebP or UBL/CII XML: one invoice."),
    confirm: bool = typer.Option(
        False, "--confirm", help="Import it at once as a draft purchase invoice (after any --set)."
    ),
    edits: list[str] = typer.Option(
        [], "--set", help="FIELD=VALUE: a correction for --confirm, e.g. --set number=INV-7 (repeatable)."
    ),
    supplier_id: int = typer.Option(None, "--supplier-id", min=1, help="With --confirm: this party."),
    new_supplier: bool = typer.Option(
        False, "--new-supplier", help="With --confirm: a new party even when one matches."
    ),
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """Read a purchase invoice into a stored proposal (structured e-invoice, text layer, OCR, then AI);
    with --confirm, import it as a draft purchase invoice (supplier matched or created, one line)."""
    if (edits or supplier_id is not None or new_supplier) and not confirm:
        raise InvalidInput("--set, --supplier-id and --new-supplier go with --confirm", field="confirm")
    body = confirm_edits(edits, supplier_id=supplier_id, new_supplier=new_supplier) if confirm else None
    data = _read_file(file)
    with cli_session() as session:
        actor = acting_user(session, as_login)
        proposal: IngestProposalRead = service.ingest_invoice(
            session, data=data, filename=file.name, actor=actor
        )
        if not as_json:
            emit(proposal, as_json, [])
            _print_review([(f.field, f.value, f.reason) for f in proposal.flags], proposal.missing_capability)
        if body is None:
            if as_json:
                emit(proposal, as_json, [])
            return
        try:
            done = service.confirm_invoice(session, proposal_id=proposal.id, edits=body, actor=actor)
        except DomainError as exc:
            exc.message = f"{exc.message} (proposal {proposal.id} is kept: fix and confirm it again)"
            raise
    if as_json:
        print_json({"proposal": proposal.model_dump(mode="json"), "confirmed": done.model_dump(mode="json")})
        return
    supplier = "a new supplier" if done.new_supplier else "supplier"
    typer.echo(
        f"imported: draft purchase invoice {done.purchase_invoice_id}, {supplier} {done.supplier_id}, "
        f"line from the {done.line_source.replace('_', ' ')}, original file {done.attachment_file_id}"
    )
    for warning in done.warnings:
        typer.echo(f"warning: {warning}")


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
