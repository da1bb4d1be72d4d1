from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from erpai.ai_models import service
from erpai.ai_models.schemas import ModelCreate, ModelHierarchy, ModelRead, ModelUpdate
from erpai.auth import AdminUser, CurrentUser, SessionDep
from erpai.common import Id, Page, PageParams, Search, page_params
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, prefix="/models", tags=["models"])


@router.get("", response_model=Page[ModelRead])
def list_models(
    session: SessionDep,
    _: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    name: Search | None = Query(default=None, description="Part of the name (case-insensitive)."),
    parent_model_id: Id | None = Query(default=None),
    provider_id: Id | None = Query(default=None),
    is_default: bool | None = Query(default=None),
    build_assistant: bool | None = Query(default=None),
) -> Page[ModelRead]:
    rows, total = service.list_models(
        session,
        params=params,
        name=name,
        parent_model_id=parent_model_id,
        provider_id=provider_id,
        is_default=is_default,
        build_assistant=build_assistant,
    )
    return Page(items=[ModelRead.model_validate(r) for r in rows], total=total, **params.model_dump())


@router.post("", response_model=ModelRead, status_code=status.HTTP_201_CREATED)
def create_model(data: ModelCreate, session: SessionDep, admin: AdminUser) -> ModelRead:
    return ModelRead.model_validate(service.create_model(session, data=data, actor_id=admin.id))


@router.get("/{model_id}", response_model=ModelRead)
def read_model(model_id: Id, session: SessionDep, _: CurrentUser) -> ModelRead:
    return ModelRead.model_validate(service.get_model(session, model_id=model_id))


@router.get("/{model_id}/hierarchy", response_model=ModelHierarchy)
def read_hierarchy(model_id: Id, session: SessionDep, _: CurrentUser) -> ModelHierarchy:
    return ModelHierarchy(model_id=model_id, nodes=service.model_hierarchy(session, model_id=model_id))


@router.patch("/{model_id}", response_model=ModelRead)
def update_model(model_id: Id, data: ModelUpdate, session: SessionDep, admin: AdminUser) -> ModelRead:
    return ModelRead.model_validate(
        service.update_model(session, model_id=model_id, data=data, actor_id=admin.id)
    )


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_model(model_id: Id, session: SessionDep, admin: AdminUser) -> Response:
    service.delete_model(session, model_id=model_id, actor_id=admin.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
