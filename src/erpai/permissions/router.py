from __future__ import annotations

from fastapi import APIRouter, Response, status

from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id
from erpai.permissions import service
from erpai.permissions.schemas import GrantCreate, GrantRead
from erpai.routing import SessionReleasingRoute

router = APIRouter(
    route_class=SessionReleasingRoute, prefix="/models/{model_id}/grants", tags=["permissions"]
)


@router.get("", response_model=list[GrantRead])
def list_grants(model_id: Id, session: SessionDep, user: CurrentUser) -> list[GrantRead]:
    """Who trains or uses the model (admins only)."""
    return service.list_grants(session, model_id=model_id, actor=user)


@router.post("", response_model=GrantRead, status_code=status.HTTP_201_CREATED)
def create_grant(model_id: Id, data: GrantCreate, session: SessionDep, user: CurrentUser) -> GrantRead:
    """Grants ``train`` or ``use`` on the model to a user (admins only; not to virtual users)."""
    return service.grant(session, model_id=model_id, user_id=data.user_id, right=data.right, actor=user)


@router.delete("/{grant_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_grant(model_id: Id, grant_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    service.revoke(session, model_id=model_id, grant_id=grant_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
