from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from erpai.auth import AdminUser, SessionDep
from erpai.limits import SETTING_KEY_MAX
from erpai.routing import SessionReleasingRoute
from erpai.settings import service
from erpai.settings.schemas import SettingRead, SettingWrite

SettingKey = Annotated[str, Path(max_length=SETTING_KEY_MAX, description="e.g. ai.chat.context_depth")]
router = APIRouter(route_class=SessionReleasingRoute, prefix="/settings", tags=["settings"])


@router.get("", response_model=list[SettingRead])
def list_settings(session: SessionDep, admin: AdminUser) -> list[SettingRead]:
    """Every known setting with its current value and default."""
    return service.list_settings(session, actor=admin)


@router.get("/{key}", response_model=SettingRead)
def read_setting(key: SettingKey, session: SessionDep, admin: AdminUser) -> SettingRead:
    return service.read_setting(session, key=key, actor=admin)


@router.put("/{key}", response_model=SettingRead)
def set_setting(key: SettingKey, data: SettingWrite, session: SessionDep, admin: AdminUser) -> SettingRead:
    return service.set_setting(session, key=key, value=data.value, actor=admin)


@router.delete("/{key}", response_model=SettingRead)
def reset_setting(key: SettingKey, session: SessionDep, admin: AdminUser) -> SettingRead:
    """Back to the default; answers the setting as it now reads."""
    return service.reset_setting(session, key=key, actor=admin)
