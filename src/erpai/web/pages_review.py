"""The model page's Review tab (its trainers): the review inbox, and thumbs up / down on an Ask answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from erpai.ai_models.service import get_model
from erpai.errors import DomainError
from erpai.feedback.inbox import list_inbox, resolve_inbox_item
from erpai.feedback.schemas import FeedbackIn, InboxResolve
from erpai.feedback.service import get_hit, give_feedback
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import is_htmx, page, parse_form, rated, redirect

router = APIRouter(route_class=SessionReleasingRoute)
PAGE = 25


def _tab(web: Web, model_id: int, offset: int, extra: dict[str, Any]) -> Response:
    model = get_model(web.session, model_id=model_id)
    inbox = list_inbox(web.session, model_id=model_id, actor=web.user, limit=PAGE, offset=offset)
    context = {
        "model": model, "tab": "review", "items": inbox.items, "total": inbox.total, "offset": offset,
        "limit": PAGE, **extra,
    }  # fmt: skip
    return page(web, "review/tab.html", context, status_code=extra.get("status", 200))


@router.get("/models/{model_id}/review")
def review_tab(model_id: int, web: WebDep, offset: int = Query(default=0, ge=0), done: int = 0) -> Response:
    return _tab(web, model_id, offset, {"done": done})


@router.post("/models/{model_id}/review")
async def review_resolve(model_id: int, web: WebDep) -> Response:
    values = form_values(await read_form(web.request), ints=("hit_id",), only=("hit_id", "action", "answer"))
    try:
        data = parse_form(InboxResolve, values)
        resolve_inbox_item(web.session, model_id=model_id, data=data, actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        extra = {"error": exc.message, "error_hit": values.get("hit_id"), "answer": values.get("answer", ""),
                 "status": exc.status_code}  # fmt: skip
        return _tab(web, model_id, 0, extra)
    return redirect(web, f"/models/{model_id}/review?done=1")


@router.post("/hits/{hit_id}/feedback")
async def hit_feedback(hit_id: int, web: WebDep) -> Response:
    """Thumbs up / down under an Ask answer or an arbiter's reply in a chat (htmx: the thanks replace the
    buttons)."""
    values = form_values(await read_form(web.request), nullable=("reason",), only=("rating", "reason"))
    rating = give_feedback(web.session, hit_id=hit_id, data=parse_form(FeedbackIn, values), actor=web.user)
    if is_htmx(web.request):
        return rated(rating.feedback)
    model_id = get_hit(web.session, hit_id=hit_id).model_id
    return redirect(web, f"/models/{model_id}/ask?rated={hit_id}")
