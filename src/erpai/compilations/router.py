from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from erpai.auth import AdminUser, CurrentUser, SessionDep
from erpai.common import Id, Page, PageParams, page_params
from erpai.compilations import service
from erpai.compilations.schemas import AssetRead, CompilationRead, CompileRequest, HitRead
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, tags=["compilations"])


@router.post(
    "/models/{model_id}/compile", response_model=CompilationRead, status_code=status.HTTP_202_ACCEPTED
)
def compile_model(
    model_id: Id, session: SessionDep, admin: AdminUser, data: CompileRequest | None = None
) -> CompilationRead:
    kind = (data or CompileRequest()).kind
    compilation = service.queue_compilation(session, model_id=model_id, user_id=admin.id, kind=kind)
    return CompilationRead.model_validate(compilation)


@router.get("/compilations", response_model=Page[CompilationRead])
def list_compilations(
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    model_id: Id | None = Query(default=None),
    successful: bool | None = Query(default=None),
) -> Page[CompilationRead]:
    """Everyone sees the status fields; ``build_log`` is null unless the caller trains the model."""
    rows, total = service.list_compilations(
        session, params=params, actor=user, model_id=model_id, successful=successful
    )
    return Page(items=rows, total=total, **params.model_dump())


@router.get("/compilations/{compilation_id}", response_model=CompilationRead)
def read_compilation(compilation_id: Id, session: SessionDep, user: CurrentUser) -> CompilationRead:
    """``build_log`` is null unless the caller trains the model."""
    return service.read_compilation(session, compilation_id=compilation_id, actor=user)


@router.get("/compilations/{compilation_id}/assets", response_model=list[AssetRead])
def read_assets(compilation_id: Id, session: SessionDep, user: CurrentUser) -> list[AssetRead]:
    """The build's assets, for the model's trainers and admins (403 for others)."""
    assets = service.list_assets(session, compilation_id=compilation_id, actor=user)
    return [AssetRead.model_validate(a) for a in assets]


@router.post("/compilations/{compilation_id}/activate", response_model=CompilationRead)
def activate(compilation_id: Id, session: SessionDep, admin: AdminUser) -> CompilationRead:
    compilation = service.activate_compilation(session, compilation_id=compilation_id, actor_id=admin.id)
    return CompilationRead.model_validate(compilation)


@router.post("/compilations/{compilation_id}/cancel", response_model=CompilationRead)
def cancel(compilation_id: Id, session: SessionDep, admin: AdminUser) -> CompilationRead:
    compilation = service.cancel_compilation(session, compilation_id=compilation_id, actor_id=admin.id)
    return CompilationRead.model_validate(compilation)


@router.get("/models/{model_id}/hits", response_model=Page[HitRead])
def list_hits(
    model_id: Id,
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    answered: bool | None = Query(default=None),
    feedback: Literal["up", "down"] | None = Query(default=None),
) -> Page[HitRead]:
    """The model's hit history, for its trainers and admins."""
    rows, total = service.list_hits(
        session, model_id=model_id, params=params, actor=user, answered=answered, feedback=feedback
    )
    return Page(items=[HitRead.model_validate(r) for r in rows], total=total, **params.model_dump())
