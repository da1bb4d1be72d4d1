"""Business records: a list and a form per kind, generated from the kind's fields; saves fire the rules."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from erpai.common import PageParams
from erpai.errors import DomainError
from erpai.records.kinds import KINDS, KindSpec, kind_spec
from erpai.records.languages import language_name
from erpai.records.service import RuleRefused, get_record, list_records, save_record
from erpai.records.translation import TranslateRequest, translate_field
from erpai.records.values import active_languages
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebDep
from erpai.web.forms import read_form
from erpai.web.render import form_error, page, parse_form, redirect

router = APIRouter(route_class=SessionReleasingRoute)
PAGE = 50


def _form_values(spec: KindSpec, form: Any) -> dict[str, Any]:
    """Blank inputs are left out on create and cleared on update; ``name.<lang>`` fields form one dict."""
    values: dict[str, Any] = {}
    for field in spec.fields:
        if field.derived:
            continue
        if field.type == "multilang":
            texts = {
                k.split(".", 1)[1]: v for k, v in form.items() if k.startswith(f"{field.name}.") and v.strip()
            }
            values[field.name] = texts or None
        elif field.name in form:
            raw = str(form.get(field.name) or "")
            values[field.name] = raw if raw.strip() else None
    return values


def _form(
    web: Web, spec: KindSpec, record: dict[str, Any] | None, values: dict[str, Any], **extra: Any
) -> Response:
    context = {
        "spec": spec, "record": record, "values": values, "languages": active_languages(web.session),
        "kinds": list(KINDS), "choice_options": {f.name: [(c, c) for c in f.choices] for f in spec.fields},
        "lang_pairs": [(code, f"{code} ({language_name(code)})") for code in active_languages(web.session)],
        **extra,
    }  # fmt: skip
    error = context.pop("exc", None)
    if error is not None:
        return form_error(web, "records/form.html", context, error)
    return page(web, "records/form.html", context, status_code=context.pop("status", 200))


@router.get("/records")
def records_home(web: WebDep) -> Response:
    return redirect(web, "/records/parties")


@router.get("/records/{kind}")
def records_page(kind: str, web: WebDep, q: str = "", offset: int = Query(default=0, ge=0)) -> Response:
    spec = kind_spec(kind)
    label = spec.label_field if spec.label_field != "id" else None
    filters = {label: q} if q and label else {}
    rows, total = list_records(
        web.session, kind=kind, params=PageParams(limit=PAGE, offset=offset), filters=filters
    )
    columns = [f.name for f in spec.fields if not f.derived][:5]
    context = {
        "spec": spec, "kinds": list(KINDS), "rows": rows, "total": total, "offset": offset, "limit": PAGE,
        "columns": columns, "q": q, "languages": active_languages(web.session),
    }  # fmt: skip
    return page(web, "records/list.html", context)


@router.get("/records/{kind}/new")
def new_record_page(kind: str, web: WebDep) -> Response:
    return _form(web, kind_spec(kind), None, {})


@router.get("/records/{kind}/{record_id}")
def record_page(kind: str, record_id: int, web: WebDep, warned: str = "") -> Response:
    record = get_record(web.session, kind=kind, record_id=record_id)
    return _form(web, kind_spec(kind), record, record, warnings=[w for w in warned.split("\n") if w])


@router.post("/records/{kind}/new")
async def create_record_submit(kind: str, web: WebDep) -> Response:
    return await _submit(web, kind_spec(kind), None)


@router.post("/records/{kind}/{record_id}")
async def update_record_submit(kind: str, record_id: int, web: WebDep) -> Response:
    return await _submit(web, kind_spec(kind), record_id)


async def _submit(web: Web, spec: KindSpec, record_id: int | None) -> Response:
    values = _form_values(spec, await read_form(web.request))
    if record_id is None:
        values = {k: v for k, v in values.items() if v is not None}
    current = get_record(web.session, kind=spec.name, record_id=record_id) if record_id is not None else None
    try:
        saved, firing = save_record(web.session, kind=spec.name, values=values, record_id=record_id)
    except RuleRefused as exc:
        return _form(web, spec, current, values, exc=exc, rule_errors=exc.errors)
    except DomainError as exc:
        web.session.rollback()
        return _form(web, spec, current, values, exc=exc)
    if firing.warnings:
        return _form(web, spec, saved, saved, warnings=[w.message for w in firing.warnings], saved=True)
    return redirect(web, f"/records/{spec.name}/{saved['id']}?saved=1")


@router.post("/records/{kind}/{record_id}/translate")
async def translate_submit(kind: str, record_id: int, web: WebDep) -> Response:
    """The record page's "Translate" button: AI fills the empty languages of one field (or the one chosen)."""
    form = await read_form(web.request)
    values = {
        k: str(form.get(k) or "").strip() or None for k in ("field", "source_language", "target_language")
    }
    spec = kind_spec(kind)
    try:
        data = parse_form(TranslateRequest, values)
        result = translate_field(web.session, kind=kind, record_id=record_id, data=data, actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        record = get_record(web.session, kind=kind, record_id=record_id)
        return _form(web, spec, record, record, translate_error=exc.message, status=exc.status_code)
    done = ", ".join(result.translated) or "nothing (every language has a text)"
    return redirect(web, f"/records/{kind}/{record_id}?{urlencode({'translated': done})}")
