"""``erpai rule`` (admins: business rules, try, evaluate, run log) and ``erpai record`` (business records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from erpai.cli.acting import AsOption, acting_user_or_none
from erpai.cli.output import JsonOption, cli_session, emit, err_console, fail, handle_errors, print_json
from erpai.common import PageParams
from erpai.qas.io import ImportRejected, decode_text, infer_format
from erpai.records import service as records
from erpai.records.io import import_records
from erpai.rules import service
from erpai.rules.schemas import EvaluateRequest, RuleRead, RuleUpdate, RuleWrite, RunRead

rule_app = typer.Typer(
    help="AI business rules: AISET / AIVALIDATE / AIWARNING (admins).", no_args_is_help=True
)
record_app = typer.Typer(
    help="Business records: parties, products, invoices, leads, to-dos.", no_args_is_help=True
)
RULE_COLUMNS = ["id", "name", "entity", "event", "attribute", "enabled"]
RUN_COLUMNS = ["id", "rule_name", "action", "record_id", "outcome", "latency_ms", "cached", "answer"]
LimitOption = typer.Option(50, "--limit", min=1, max=500)


def _json_arg(text: str) -> Any:
    """Inline JSON, or @file.json."""
    raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from None


@rule_app.command("list")
@handle_errors
def list_rules(
    entity: str = typer.Option(None), as_json: bool = JsonOption, as_login: str = AsOption
) -> None:
    with cli_session() as session:
        rows, _ = service.list_rules(
            session,
            params=PageParams(limit=500, offset=0),
            actor=acting_user_or_none(session, as_login),
            entity=entity,
        )
        emit([RuleRead.model_validate(r) for r in rows], as_json, RULE_COLUMNS)


@rule_app.command("add")
@handle_errors
def add_rule(
    spec: str = typer.Argument(..., help="The rule as JSON, or @rule.json."), as_login: str = AsOption
) -> None:
    """Add a rule (refused when it names unknown fields or cannot run)."""
    with cli_session() as session:
        data = RuleWrite.model_validate(_json_arg(spec))
        rule = service.create_rule(session, data=data, actor=acting_user_or_none(session, as_login))
        typer.echo(f"rule {rule.id} '{rule.name}' added")


@rule_app.command("show")
@handle_errors
def show_rule(rule_id: int, as_json: bool = JsonOption, as_login: str = AsOption) -> None:
    with cli_session() as session:
        rule = service.get_rule(session, rule_id=rule_id, actor=acting_user_or_none(session, as_login))
        emit(RuleRead.model_validate(rule), as_json, [])


@rule_app.command("update")
@handle_errors
def update_rule(
    rule_id: int,
    changes: str = typer.Argument(..., help='JSON, e.g. {"enabled": false}.'),
    as_login: str = AsOption,
) -> None:
    with cli_session() as session:
        data = RuleUpdate.model_validate(_json_arg(changes))
        service.update_rule(session, rule_id=rule_id, data=data, actor=acting_user_or_none(session, as_login))
        typer.echo(f"rule {rule_id} updated")


@rule_app.command("delete")
@handle_errors
def delete_rule(rule_id: int, as_login: str = AsOption) -> None:
    with cli_session() as session:
        service.delete_rule(session, rule_id=rule_id, actor=acting_user_or_none(session, as_login))
        typer.echo(f"rule {rule_id} deleted")


@rule_app.command("try")
@handle_errors
def try_rule(
    rule_id: int,
    record: str = typer.Argument(..., help="The record as JSON, or @record.json."),
    as_login: str = AsOption,
) -> None:
    """Run one rule on a record without saving it."""
    with cli_session() as session:
        result = service.try_rule(
            session,
            rule_id=rule_id,
            record=_json_arg(record),
            record_id=None,
            actor=acting_user_or_none(session, as_login),
        )
        print_json(result)


@rule_app.command("evaluate")
@handle_errors
def evaluate(
    request: str = typer.Argument(..., help="{entity, event, changed, record} as JSON or @file."),
) -> None:
    """What a host ERP gets from POST /api/v1/rules/evaluate."""
    with cli_session() as session:
        print_json(
            service.evaluate(session, data=EvaluateRequest.model_validate(_json_arg(request)), actor=None)
        )


@rule_app.command("runs")
@handle_errors
def list_runs(
    rule_id: int = typer.Option(None, "--rule"),
    outcome: str = typer.Option(None, help="set, passed, failed, warned, timed_out, error"),
    limit: int = LimitOption,
    as_json: bool = JsonOption,
    as_login: str = AsOption,
) -> None:
    """The run log, newest first."""
    with cli_session() as session:
        rows, _ = service.list_runs(
            session,
            params=PageParams(limit=limit, offset=0),
            actor=acting_user_or_none(session, as_login),
            rule_id=rule_id,
            outcome=outcome,
        )
        emit([RunRead.model_validate(r) for r in rows], as_json, RUN_COLUMNS)


@record_app.command("list")
@handle_errors
def list_records(
    kind: str,
    where: list[str] = typer.Option([], "--where", help="field=value filter (repeatable)."),
    limit: int = LimitOption,
) -> None:
    filters = dict(item.split("=", 1) for item in where)
    with cli_session() as session:
        rows, total = records.list_records(
            session, kind=kind, params=PageParams(limit=limit, offset=0), filters=filters
        )
        print_json({"items": rows, "total": total})


@record_app.command("show")
@handle_errors
def show_record(kind: str, record_id: int) -> None:
    with cli_session() as session:
        print_json(records.get_record(session, kind=kind, record_id=record_id))


@record_app.command("add")
@handle_errors
def add_record(kind: str, values: str = typer.Argument(..., help="Field values as JSON or @file.")) -> None:
    """Create a record (business rules fire)."""
    with cli_session() as session:
        record, firing = records.save_record(session, kind=kind, values=_json_arg(values))
        print_json({"record": record, "warnings": firing.warnings})


@record_app.command("update")
@handle_errors
def update_record(
    kind: str, record_id: int, values: str = typer.Argument(..., help="JSON or @file.")
) -> None:
    with cli_session() as session:
        record, firing = records.save_record(
            session, kind=kind, values=_json_arg(values), record_id=record_id
        )
        print_json({"record": record, "warnings": firing.warnings})


@record_app.command("delete")
@handle_errors
def delete_record(kind: str, record_id: int, as_login: str = AsOption) -> None:
    with cli_session() as session:
        records.delete_record(
            session, kind=kind, record_id=record_id, actor=acting_user_or_none(session, as_login)
        )
        typer.echo(f"{kind} record {record_id} deleted")


@record_app.command("import")
@handle_errors
def import_file(
    kind: str = typer.Argument(..., help="parties, products or enterprise_companies."),
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    fmt: str = typer.Option(None, "--format", help="csv or jsonl (default: from the file name)."),
    as_login: str = AsOption,
) -> None:
    """Load master data from an ERP export: every row or none; bad rows are listed with their line."""
    with cli_session() as session:
        text = decode_text(path.read_bytes())
        try:
            done = import_records(
                session,
                kind=kind,
                content=text,
                fmt=infer_format(fmt, filename=path.name),
                actor=acting_user_or_none(session, as_login),
            )
        except ImportRejected as exc:
            for error in exc.errors:
                err_console.print(f"{path.name}: {error}", highlight=False, markup=False)
            raise fail(exc.message) from None
        typer.echo(f"imported {done.imported} {kind} record(s)")
        for warning in done.warnings:
            err_console.print(f"warning: {warning}", highlight=False, markup=False)
