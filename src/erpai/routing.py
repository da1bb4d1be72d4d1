"""The API's route class: every endpoint ends its database transaction as soon as it returns.

On SQLite every transaction is ``BEGIN IMMEDIATE`` and so holds the write lock. FastAPI validates a sync
endpoint's result in another thread-pool slot and closes the request's session only after that; a
transaction left open until then holds the lock while waiting for a slot, and under load every slot can
end up waiting for that lock. Ending the transaction here, at the one place every endpoint passes
through, prevents that for reads and writes alike (a failing endpoint raises and is rolled back by
``get_session``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session


def _end_transactions(arguments: dict[str, Any]) -> None:
    for value in arguments.values():
        if isinstance(value, Session) and value.in_transaction():
            value.commit()


def _release_after(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            result = await endpoint(*args, **kwargs)
            _end_transactions(kwargs)
            return result

        return run_async

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        _end_transactions(kwargs)
        return result

    return run


class SessionReleasingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _release_after(endpoint), **kwargs)
