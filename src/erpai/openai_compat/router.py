"""``/v1``: a sub-application with OpenAI's error shape; the caller's erpai API token is the API key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header
from fastapi.responses import StreamingResponse

from erpai import __version__
from erpai.auth import SessionDep
from erpai.errors import Unauthorized
from erpai.openai_compat import service
from erpai.openai_compat.errors import install_handlers
from erpai.openai_compat.schemas import ChatCompletion, ChatCompletionRequest, ModelList
from erpai.routing import SessionReleasingRoute
from erpai.users.models import User
from erpai.users.service import authenticate

router = APIRouter(route_class=SessionReleasingRoute, tags=["openai"])


def api_key_user(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> User:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("You didn't provide an API key: send your erpai token as 'Authorization: Bearer'")
    user = authenticate(session, token=authorization.split(" ", 1)[1].strip())
    session.commit()
    return user


ApiKeyUser = Annotated[User, Depends(api_key_user)]


@router.get("/models", response_model=ModelList)
def list_models(session: SessionDep, user: ApiKeyUser) -> ModelList:
    """The erpai models the caller may use; ``id`` is the stable slug of the model's name."""
    return service.list_models(session, user=user)


def _sse(chunks: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for chunk in chunks:
        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
    yield b"data: [DONE]\n\n"


@router.post("/chat/completions", response_model=ChatCompletion)
def chat_completions(data: ChatCompletionRequest, session: SessionDep, user: ApiKeyUser) -> Any:
    """Answers as the erpai model named by ``model``; ``stream: true`` sends ``chat.completion.chunk``
    server-sent events ending with ``data: [DONE]``."""
    question = service.parse_request(session, user=user, data=data)
    if not data.stream:
        return service.complete(session, user=user, question=question)
    include_usage = bool(data.stream_options and data.stream_options.include_usage)
    chunks = service.stream_chunks(session, user=user, question=question, include_usage=include_usage)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_sse(chunks), media_type="text/event-stream", headers=headers)


def create_openai_app() -> FastAPI:
    """Mounted at ``/v1`` by :func:`erpai.api.create_app`."""
    app = FastAPI(title="erpai OpenAI-compatible API", version=__version__, docs_url="/docs")
    install_handlers(app)
    app.include_router(router)
    return app
