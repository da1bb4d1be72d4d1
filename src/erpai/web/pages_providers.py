"""Providers (admins): list, create, edit with the key only ever as a mask, test the connection."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from erpai.common import PageParams
from erpai.errors import DomainError
from erpai.providers.models import Provider
from erpai.providers.registry import KINDS
from erpai.providers.schemas import ProviderCreate, ProviderUpdate
from erpai.providers.service import (
    create_provider,
    get_provider_row,
    list_providers,
    probe_provider,
    to_read,
    update_provider,
)
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebAdminDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import form_error, page, parse_form, redirect

router = APIRouter(route_class=SessionReleasingRoute)
FIELDS = ("name", "kind", "base_model_name", "base_url", "api_key", "clear_key", "notes", "object_version")


def _payload(values: dict[str, Any], *, creating: bool, row: Provider | None = None) -> dict[str, Any]:
    """Form values → the API's body: base_url goes into config; a blank key field keeps the stored key."""
    body: dict[str, Any] = {k: values.get(k) for k in ("name", "base_model_name", "notes")}
    kind = values.get("kind") if creating else (row.kind if row else None)
    if creating:
        body["kind"] = kind
    if kind == "openai":
        body["config"] = {"base_url": values.get("base_url") or None}
    if values.get("api_key"):
        body["api_key"] = values["api_key"]
    elif values.get("clear_key") == "true" and not creating:
        body["api_key"] = None
    if not creating and values.get("object_version") is not None:
        body["object_version"] = values["object_version"]
    return body


def _form(
    web: Web, row: Provider | None, values: dict[str, Any], error: DomainError | None = None
) -> Response:
    context = {"row": row, "read": to_read(row) if row else None, "values": values, "kinds": list(KINDS)}
    if error is not None:
        return form_error(web, "providers/form.html", context, error)
    return page(web, "providers/form.html", context)


@router.get("/providers")
def providers_page(web: WebAdminDep) -> Response:
    rows, _ = list_providers(web.session, params=PageParams(limit=500, offset=0))
    return page(web, "providers/list.html", {"rows": [to_read(r) for r in rows]})


@router.get("/providers/new")
def new_provider_page(web: WebAdminDep) -> Response:
    return _form(web, None, {"kind": "openai"})


@router.post("/providers/new")
async def create_provider_submit(web: WebAdminDep) -> Response:
    values = form_values(await read_form(web.request), nullable=("base_model_name", "notes"), only=FIELDS)
    try:
        data = parse_form(ProviderCreate, _payload(values, creating=True))
        row = create_provider(web.session, data=data, actor_id=web.user.id)
    except DomainError as exc:
        web.session.rollback()
        return _form(web, None, values | {"api_key": ""}, exc)
    return redirect(web, f"/providers/{row.id}")


@router.get("/providers/{provider_id}")
def edit_provider_page(provider_id: int, web: WebAdminDep) -> Response:
    row = get_provider_row(web.session, provider_id=provider_id)
    read = to_read(row)
    values = {
        "name": read.name, "base_model_name": read.base_model_name, "notes": read.notes,
        "base_url": read.config.get("base_url") or "", "object_version": read.object_version,
    }  # fmt: skip
    return _form(web, row, values)


@router.post("/providers/{provider_id}")
async def edit_provider_submit(provider_id: int, web: WebAdminDep) -> Response:
    row = get_provider_row(web.session, provider_id=provider_id)
    form = await read_form(web.request)
    values = form_values(form, ints=("object_version",), nullable=("base_model_name", "notes"), only=FIELDS)
    try:
        data = parse_form(ProviderUpdate, _payload(values, creating=False, row=row))
        _, notices = update_provider(web.session, provider_id=provider_id, data=data, actor_id=web.user.id)
    except DomainError as exc:
        web.session.rollback()
        return _form(
            web, get_provider_row(web.session, provider_id=provider_id), values | {"api_key": ""}, exc
        )
    # A changed base URL clears the stored key (it is never sent to a new host): the page asks for it again.
    return redirect(web, f"/providers/{provider_id}?saved=1" + ("&key_cleared=1" if notices else ""))


@router.post("/providers/{provider_id}/test")
def test_provider_submit(provider_id: int, web: WebAdminDep) -> Response:
    row = get_provider_row(web.session, provider_id=provider_id)
    web.session.commit()  # no transaction held during the provider's network calls
    return page(web, "providers/_test.html", {"result": probe_provider(row), "row": row})
