"""Models: the tree, create and edit (admins), and the model page's overview."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from erpai.ai_models.models import AIModel
from erpai.ai_models.schemas import ModelCreate, ModelUpdate
from erpai.ai_models.service import create_model, get_model, update_model
from erpai.errors import DomainError
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebAdminDep, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import form_error, page, parse_form, redirect
from erpai.web.views import model_choices, model_tree, provider_choices

router = APIRouter(route_class=SessionReleasingRoute)
INTS = ("parent_model_id", "provider_id", "object_version")
NULLABLE = ("system_message", "notes", "fallback_answer")
FIELDS = (
    "name", "parent_model_id", "provider_id", "system_message", "notes", "fallback_answer", "is_default",
    "build_assistant", "auto_update_to_latest_build", "quality_gate_enabled", "quality_gate_margin",
    "prefer_curated_answer", "object_version",
)  # fmt: skip


def _form_context(web: Web, model: AIModel | None, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": model,
        "values": values,
        "models": model_choices(web.session, exclude_id=model.id if model else None),
        "providers": provider_choices(web.session),
    }


def _values_of(model: AIModel) -> dict[str, Any]:
    return {name: getattr(model, name) for name in FIELDS}


@router.get("/models")
def models_page(web: WebDep) -> Response:
    return page(web, "models/list.html", {"tree": model_tree(web.session, actor=web.user)})


@router.get("/models/new")
def new_model_page(web: WebAdminDep) -> Response:
    defaults = ModelCreate(name="x").model_dump() | {"name": ""}
    return page(web, "models/form.html", _form_context(web, None, defaults))


@router.post("/models/new")
async def create_model_submit(web: WebAdminDep) -> Response:
    values = form_values(await read_form(web.request), ints=INTS, nullable=NULLABLE, only=FIELDS)
    values.pop("object_version", None)
    try:
        model = create_model(web.session, data=parse_form(ModelCreate, values), actor_id=web.user.id)
    except DomainError as exc:
        web.session.rollback()
        return form_error(web, "models/form.html", _form_context(web, None, values), exc)
    return redirect(web, f"/models/{model.id}")


@router.get("/models/{model_id}")
def model_page(model_id: int, web: WebDep) -> Response:
    model = get_model(web.session, model_id=model_id)
    return redirect(web, f"/models/{model.id}/qas")


@router.get("/models/{model_id}/edit")
def edit_model_page(model_id: int, web: WebAdminDep) -> Response:
    model = get_model(web.session, model_id=model_id)
    return page(web, "models/form.html", _form_context(web, model, _values_of(model)) | {"tab": "edit"})


@router.post("/models/{model_id}/edit")
async def edit_model_submit(model_id: int, web: WebAdminDep) -> Response:
    model = get_model(web.session, model_id=model_id)
    values = form_values(await read_form(web.request), ints=INTS, nullable=NULLABLE, only=FIELDS)
    try:
        update_model(
            web.session, model_id=model_id, data=parse_form(ModelUpdate, values), actor_id=web.user.id
        )
    except DomainError as exc:
        web.session.rollback()
        context = _form_context(web, model, values) | {"tab": "edit"}
        return form_error(web, "models/form.html", context, exc)
    return redirect(web, f"/models/{model_id}/edit?saved=1")
