"""Every API route ends its transaction when the endpoint returns (SQLite's write lock is not held after)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

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
