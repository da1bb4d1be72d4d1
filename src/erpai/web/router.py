"""All web pages, mounted at ``/`` next to the API; static files under ``/static``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from erpai.web import (
    pages_ask,
    pages_assistant,
    pages_auth,
    pages_builds,
    pages_chat,
    pages_ingest,
    pages_leads,
    pages_models,
    pages_providers,
    pages_qas,
    pages_records,
    pages_review,
    pages_rules,
    pages_training,
    pages_users,
)
from erpai.web.render import HERE


def web_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for pages in (
        pages_auth,
        pages_models,
        pages_qas,
        pages_builds,
        pages_ask,
        pages_assistant,
        pages_review,
        pages_training,
        pages_chat,
        pages_providers,
        pages_users,
        pages_leads,
        pages_records,
        pages_rules,
        pages_ingest,
    ):
        router.include_router(pages.router)
    return router


def mount_web(app: FastAPI) -> None:
    app.include_router(web_router())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
