from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from erpai.auth import AdminUser, SessionDep
from erpai.common import Id, Page, PageParams, Search, page_params
from erpai.providers import service
from erpai.providers.schemas import ProviderCreate, ProviderRead, ProviderTestResult, ProviderUpdate
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, prefix="/providers", tags=["providers"])


@router.get("", response_model=Page[ProviderRead])
def list_providers(
    session: SessionDep,
    _: AdminUser,
    params: Annotated[PageParams, Depends(page_params)],
    kind: Search | None = Query(default=None),
    name: Search | None = Query(default=None, description="Case-insensitive part of the name"),
) -> Page[ProviderRead]:
    rows, total = service.list_providers(session, params=params, kind=kind, name=name)
    return Page(items=[service.to_read(r) for r in rows], total=total, **params.model_dump())


@router.post("", response_model=ProviderRead, status_code=status.HTTP_201_CREATED)
def create_provider(data: ProviderCreate, session: SessionDep, admin: AdminUser) -> ProviderRead:
    return service.to_read(service.create_provider(session, data=data, actor_id=admin.id))


@router.get("/{provider_id}", response_model=ProviderRead)
def read_provider(provider_id: Id, session: SessionDep, _: AdminUser) -> ProviderRead:
    return service.to_read(service.get_provider_row(session, provider_id=provider_id))


@router.patch("/{provider_id}", response_model=ProviderRead)
def update_provider(
    provider_id: Id, data: ProviderUpdate, session: SessionDep, admin: AdminUser
) -> ProviderRead:
    row, notices = service.update_provider(session, provider_id=provider_id, data=data, actor_id=admin.id)
    return service.to_read(row, notices=notices)


@router.delete("/{provider_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_provider(provider_id: Id, session: SessionDep, admin: AdminUser) -> None:
    service.delete_provider(session, provider_id=provider_id, actor_id=admin.id)


@router.post("/{provider_id}/test", response_model=ProviderTestResult)
def test_provider(provider_id: Id, session: SessionDep, _: AdminUser) -> ProviderTestResult:
    """A few cheap calls that say which capabilities work; upstream failures are reported, not raised."""
    return service.probe_provider(service.get_provider_row(session, provider_id=provider_id))
