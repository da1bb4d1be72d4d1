"""The model page's Ask tab: ask the active build, see the answer and its sources; the hit history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from erpai.ai_models.service import get_model
from erpai.answering.service import ask
from erpai.common import PageParams
from erpai.compilations.service import list_hits
from erpai.errors import DomainError
from erpai.permissions.service import can_train_model
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import page

router = APIRouter(route_class=SessionReleasingRoute)
PAGE = 25
LOW_CONFIDENCE = 0.5
HIT_FILTERS: dict[str, dict[str, Any]] = {
    "answered": {"answered": True},
    "refused": {"answered": False},
    "low": {"max_score": LOW_CONFIDENCE},
}


def _ask_tab(web: Web, model_id: int, shown: str, offset: int, extra: dict[str, Any]) -> Response:
    model = get_model(web.session, model_id=model_id)
    hits: list[Any] = []
    total = 0
    if can_train_model(web.session, user=web.user, model_id=model_id):  # the hit history: its trainers
        params = PageParams(limit=PAGE, offset=offset)
        filters: dict[str, Any] = HIT_FILTERS.get(shown, {})
        hits, total = list_hits(web.session, model_id=model_id, params=params, actor=web.user, **filters)
    context = {
        "model": model, "tab": "ask", "hits": hits, "total": total, "offset": offset, "limit": PAGE,
        "shown": shown, "question": "", **extra,
    }  # fmt: skip
    return page(web, "ask/tab.html", context, status_code=extra.get("status", 200))


@router.get("/models/{model_id}/ask")
def ask_tab(model_id: int, web: WebDep, shown: str = "", offset: int = Query(default=0, ge=0)) -> Response:
    return _ask_tab(web, model_id, shown, offset, {})


@router.post("/models/{model_id}/ask")
async def ask_submit(model_id: int, web: WebDep) -> Response:
    question = form_values(await read_form(web.request), only=("question",)).get("question", "")
    get_model(web.session, model_id=model_id)
    try:
        result = ask(web.session, actor=web.user, model_id=model_id, question=question, channel="web")
    except DomainError as exc:
        web.session.rollback()
        extra = {
            "question": question,
            "error": exc.message,
            "error_field": "question",
            "status": exc.status_code,
        }
        return _ask_tab(web, model_id, "", 0, extra)
    return _ask_tab(web, model_id, "", 0, {"question": question, "result": result})
