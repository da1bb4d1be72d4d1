"""``Client(base_url, token)``: erpai's REST API for host applications (and the CLI's remote mode).

Answers come back as the API's own Pydantic schemas; an error response raises the matching
:mod:`erpai.errors` exception (NotFound, Forbidden, InvalidInput...) with the server's message and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from erpai.ai_models.schemas import ModelRead
from erpai.answering.schemas import AnswerResult, ContextMessage
from erpai.common import Page
from erpai.compilations.schemas import CompilationRead, HitRead
from erpai.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthorized
from erpai.notifications.schemas import NotificationRead
from erpai.providers.schemas import ProviderRead
from erpai.qas.schemas import QARead
from erpai.users.schemas import TokenRead, UserRead

T = TypeVar("T")
ERRORS: dict[int, type[DomainError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
}
PAGE = 500  # the API's largest page


class ClientError(DomainError):
    """An error status without a more specific class (5xx, 400); ``status_code`` is the server's."""


def _error(response: httpx.Response) -> DomainError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail") if isinstance(body, dict) else None
    message = detail if isinstance(detail, str) else f"HTTP {response.status_code}: {response.text[:200]}"
    field = body.get("field") if isinstance(body, dict) else None
    error = ERRORS.get(response.status_code, ClientError)(message, field=field)
    error.status_code = response.status_code
    return error


class Client:
    """``with Client("http://127.0.0.1:8000", token) as erpai: erpai.ask(3, "...")``"""

    def __init__(self, base_url: str, token: str, *, timeout: float = 120.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise _error(response)
        return response

    def _get(self, kind: type[T], path: str, **params: Any) -> T:
        clean = {k: v for k, v in params.items() if v is not None}
        return TypeAdapter(kind).validate_python(self._call("GET", path, params=clean).json())

    def _all(self, kind: type[T], path: str, **params: Any) -> list[T]:
        """Every item of a paged list, page by page."""
        items: list[T] = []
        while True:
            page = self._get(Page[kind], path, **params, limit=PAGE, offset=len(items))  # type: ignore[valid-type]
            items.extend(page.items)
            if not page.items or len(items) >= page.total:
                return items

    def _send(self, kind: type[T], method: str, path: str, body: BaseModel | dict[str, Any] | None) -> T:
        data = body.model_dump(mode="json", exclude_unset=True) if isinstance(body, BaseModel) else body
        return TypeAdapter(kind).validate_python(self._call(method, path, json=data).json())

    # -- users and tokens -----------------------------------------------------------------------------------

    def me(self) -> UserRead:
        return self._get(UserRead, "/users/me")

    def list_users(self) -> list[UserRead]:
        return self._all(UserRead, "/users")

    def list_tokens(self, user_id: int) -> list[TokenRead]:
        return self._get(list[TokenRead], f"/users/{user_id}/tokens")

    def revoke_token(self, user_id: int, token_id: int) -> TokenRead:
        return self._send(TokenRead, "DELETE", f"/users/{user_id}/tokens/{token_id}", None)

    # -- models, providers, Q&As ----------------------------------------------------------------------------

    def list_models(self, *, name: str | None = None) -> list[ModelRead]:
        return self._all(ModelRead, "/models", name=name)

    def get_model(self, model_id: int) -> ModelRead:
        return self._get(ModelRead, f"/models/{model_id}")

    def find_model(self, ref: str) -> ModelRead:
        """By id or exact name, like the CLI's model references."""
        if ref.isdigit():
            return self.get_model(int(ref))
        for model in self.list_models(name=ref):
            if model.name == ref:
                return model
        raise NotFound(f"model '{ref}' does not exist", field="model")

    def list_providers(self) -> list[ProviderRead]:
        return self._all(ProviderRead, "/providers")

    def list_qas(self, model_id: int, *, search: str | None = None) -> list[QARead]:
        return self._all(QARead, "/qas", model_id=model_id, q=search)

    def add_qa(self, model_id: int, question: str, answer: str = "", **fields: Any) -> QARead:
        body = {"model_id": model_id, "question": question, "answer": answer, **fields}
        return self._send(QARead, "POST", "/qas", body)

    # -- builds, answers, hit history -----------------------------------------------------------------------

    def list_builds(self, model_id: int) -> list[CompilationRead]:
        return self._all(CompilationRead, "/compilations", model_id=model_id)

    def get_build(self, compilation_id: int) -> CompilationRead:
        return self._get(CompilationRead, f"/compilations/{compilation_id}")

    def ask(
        self, model_id: int, question: str, *, context: list[ContextMessage] | None = None
    ) -> AnswerResult:
        body: dict[str, Any] = {"question": question}
        if context:
            body["context"] = [c.model_dump(mode="json") for c in context]
        return self._send(AnswerResult, "POST", f"/models/{model_id}/ask", body)

    def hits(self, model_id: int, *, answered: bool | None = None, limit: int = 50) -> list[HitRead]:
        return self._get(Page[HitRead], f"/models/{model_id}/hits", answered=answered, limit=limit).items

    def export_hits(self, *, fmt: str = "csv", **filters: Any) -> Iterator[bytes]:
        """The hit history file, streamed (filters: model_id, channel, answered, since, until)."""
        params = {k: v for k, v in {**filters, "format": fmt}.items() if v is not None}
        with self._http.stream("GET", "/hits/export", params=params) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            yield from response.iter_bytes()

    # -- notifications --------------------------------------------------------------------------------------

    def list_notifications(self, *, unread: bool | None = None) -> list[NotificationRead]:
        return self._all(NotificationRead, "/notifications", unread=unread)

    def mark_read(self, notification_id: int) -> NotificationRead:
        return self._send(NotificationRead, "POST", f"/notifications/{notification_id}/read", None)

    def mark_all_read(self) -> int:
        return int(self._call("POST", "/notifications/read-all").json()["marked"])
