from __future__ import annotations

from fastapi import APIRouter, status

from erpai.auth import CurrentUser, SessionDep
from erpai.common import error_responses
from erpai.routing import SessionReleasingRoute
from erpai.todos import service
from erpai.todos.schemas import TodoCreated, TodoFromComment, TodoFromNotification

router = APIRouter(route_class=SessionReleasingRoute, prefix="/todos", tags=["todos"])
AI_RESPONSES = error_responses(502, 503, 504)


@router.post(
    "/from-comment", response_model=TodoCreated, status_code=status.HTTP_201_CREATED, responses=AI_RESPONSES
)
def create_from_comment(data: TodoFromComment, session: SessionDep, user: CurrentUser) -> TodoCreated:
    """A to-do from a chat comment, owned by and assigned to you, linked to the comment's group: the AI
    writes its title in your working language (or send ``title``). The group gets the system line
    "Task '…' was assigned to the group" and its members a notification. Members who may write only."""
    return service.create_todo_from_comment(session, data=data, actor=user)


@router.post(
    "/from-notification",
    response_model=TodoCreated,
    status_code=status.HTTP_201_CREATED,
    responses=AI_RESPONSES,
)
def create_from_notification(
    data: TodoFromNotification, session: SessionDep, user: CurrentUser
) -> TodoCreated:
    """A to-do from one of your notifications, with its subject as the context (title as above)."""
    return service.create_todo_from_notification(session, data=data, actor=user)
