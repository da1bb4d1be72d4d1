"""Every API route ends its transaction when the endpoint returns (SQLite's write lock is not held after)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from erpai import db as db_module
from erpai.auth import SessionDep
from erpai.routing import SessionReleasingRoute


def _app(session: Session) -> FastAPI:
    router = APIRouter(route_class=SessionReleasingRoute)

    def current_session() -> Session:
        return session

    @router.get("/sync")
    def read_sync(db: Session = Depends(current_session)) -> dict[str, int]:
        return {"one": int(db.execute(text("SELECT 1")).scalar_one())}

    @router.get("/async")
    async def read_async(db: Session = Depends(current_session)) -> dict[str, int]:
        return {"one": int(db.execute(text("SELECT 1")).scalar_one())}

    @router.get("/fails")
    def fails(db: Session = Depends(current_session)) -> dict[str, int]:
        db.execute(text("SELECT 1"))
        raise RuntimeError("boom")

    app = FastAPI()
    app.include_router(router)
    return app


def test_sync_and_async_endpoints_end_their_transaction(engine: Engine) -> None:
    with Session(engine) as session:
        client = TestClient(_app(session))
        for path in ("/sync", "/async"):
            assert client.get(path).json() == {"one": 1}
            assert not session.in_transaction()


def test_a_failing_endpoint_is_not_committed(engine: Engine) -> None:
    with Session(engine) as session:
        client = TestClient(_app(session), raise_server_exceptions=False)
        assert client.get("/fails").status_code == 500
        assert session.in_transaction()  # left for get_session to roll back
        session.rollback()


def test_the_request_session_is_closed_and_a_failed_one_rolled_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``get_session``: the session of a request that ended its transaction is closed as is; one
    left in a transaction by a failing endpoint is rolled back and its connection given back."""
    opened: list[Session] = []

    def factory() -> Callable[[], Session]:
        def make() -> Session:
            opened.append(Session(engine))
            return opened[-1]

        return make

    monkeypatch.setattr(db_module, "session_factory", factory)
    router = APIRouter(route_class=SessionReleasingRoute)

    @router.get("/ok")
    def ok(db: SessionDep) -> dict[str, int]:
        return {"one": int(db.execute(text("SELECT 1")).scalar_one())}

    @router.get("/fails")
    def fails(db: SessionDep) -> dict[str, int]:
        db.execute(text("SELECT 1"))
        raise RuntimeError("boom")

    app = FastAPI()
    app.include_router(router)
    checked_out = engine.pool.checkedout()  # type: ignore[attr-defined]
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/ok").json() == {"one": 1}
        assert client.get("/fails").status_code == 500
    assert len(opened) == 2
    assert not any(session.in_transaction() for session in opened)
    assert engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]
