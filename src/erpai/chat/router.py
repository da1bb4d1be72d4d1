from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from erpai.auth import CurrentPrincipal, CurrentUser, SessionDep
from erpai.chat import comments, service, train
from erpai.chat.events import StreamLimits, comment_events, parse_event_id
from erpai.chat.schemas import (
    ArbiterTaskRead,
    CommentCreate,
    CommentPage,
    GroupCreate,
    GroupRead,
    MemberAdd,
    MemberRead,
    MemberUpdate,
    PostedComment,
    TrainRequest,
    TrainResult,
)
from erpai.common import Count, Id, Page, PageParams, page_params
from erpai.db import SessionOpener, read_transactions, stream_sessions
from erpai.routing import SessionReleasingRoute
from erpai.settings.service import get_int_setting

router = APIRouter(route_class=SessionReleasingRoute, prefix="/chat", tags=["chat"])


@router.post("/groups", response_model=GroupRead, status_code=status.HTTP_201_CREATED)
def create_group(data: GroupCreate, session: SessionDep, user: CurrentUser) -> GroupRead:
    return GroupRead.model_validate(service.create_group(session, data=data, actor=user))


@router.get("/groups", response_model=Page[GroupRead])
def list_groups(
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    all_groups: bool = Query(
        default=False, alias="all", description="Admins only: every group, not just yours."
    ),
) -> Page[GroupRead]:
    rows, total = service.list_groups(session, user=user, params=params, all_groups=all_groups)
    page: Page[GroupRead] = Page(
        items=[GroupRead.model_validate(r) for r in rows], total=total, **params.model_dump()
    )
    return page


@router.get("/groups/{group_id}", response_model=GroupRead)
def read_group(group_id: Id, session: SessionDep, user: CurrentUser) -> GroupRead:
    service.require_reader(session, group_id=group_id, user=user)
    return GroupRead.model_validate(service.get_group(session, group_id=group_id))


@router.get("/groups/{group_id}/members", response_model=list[MemberRead])
def list_members(group_id: Id, session: SessionDep, user: CurrentUser) -> list[MemberRead]:
    if not user.is_admin:
        service.require_reader(session, group_id=group_id, user=user)
    service.get_group(session, group_id=group_id)
    return service.list_members(session, group_id=group_id)


@router.post("/groups/{group_id}/members", response_model=MemberRead, status_code=status.HTTP_201_CREATED)
def add_member(group_id: Id, data: MemberAdd, session: SessionDep, user: CurrentUser) -> MemberRead:
    return service.add_member(session, group_id=group_id, data=data, actor=user)


@router.patch("/groups/{group_id}/members/{user_id}", response_model=MemberRead)
def change_member_role(
    group_id: Id, user_id: Id, data: MemberUpdate, session: SessionDep, user: CurrentUser
) -> MemberRead:
    member = service.change_member_role(
        session, group_id=group_id, user_id=user_id, role=data.role, actor=user
    )
    return member


@router.delete("/groups/{group_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(group_id: Id, user_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    service.remove_member(session, group_id=group_id, user_id=user_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/groups/{group_id}/comments", response_model=CommentPage)
def list_comments(
    group_id: Id,
    session: SessionDep,
    user: CurrentUser,
    before_id: Id | None = Query(default=None, description="Only comments older than this one."),
    after_id: Count | None = Query(
        default=None, description="Only comments newer than this one (pages forward)."
    ),
    limit: int = Query(default=50, ge=1, le=500),
) -> CommentPage:
    page = comments.list_comments(
        session, group_id=group_id, user=user, before_id=before_id, after_id=after_id, limit=limit
    )
    return page


@router.post("/groups/{group_id}/comments", response_model=PostedComment, status_code=status.HTTP_201_CREATED)
def post_comment(group_id: Id, data: CommentCreate, session: SessionDep, user: CurrentUser) -> PostedComment:
    """Saved and returned at once; mentioned arbiters' answers follow as comments of their virtual users."""
    comment, tasks = comments.post_comment(session, group_id=group_id, data=data, author=user)
    with read_transactions(session):
        read = comments.to_read(session, [comment])[0]
    posted = PostedComment(
        **read.model_dump(), arbiter_tasks=[ArbiterTaskRead.model_validate(t) for t in tasks]
    )
    return posted


@router.get("/groups/{group_id}/events", response_class=StreamingResponse)
def follow_group(
    group_id: Id,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    opener: Annotated[SessionOpener, Depends(stream_sessions)],
    after_id: Count | None = Query(
        default=None, description="Resume after this comment (default: from now)."
    ),
    timeout: float | None = Query(
        default=None, gt=0, le=86_400, description="Close the stream after N seconds."
    ),
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=64, description="Resume after this comment id (reconnect)."),
    ] = None,
) -> StreamingResponse:
    """Server-sent events: one ``comment`` event per new comment, id = comment id (resume: Last-Event-ID).

    Ends with an ``end`` event when you leave the group or your token is revoked or expires; after the
    system setting ``chat.stream_max_seconds`` with a ``reconnect`` event (``retry`` and ``id`` set) to
    resume from."""
    user = principal.user
    service.require_reader(session, group_id=group_id, user=user)
    start = parse_event_id(last_event_id)
    start = after_id if start is None else start
    if start is None:
        start = comments.latest_comment_id(session, group_id=group_id)
    limits = StreamLimits(
        timeout=timeout, max_seconds=get_int_setting(session, key="chat.stream_max_seconds")
    )
    events = comment_events(
        request,
        opener,
        group_id=group_id,
        user_id=user.id,
        token_id=principal.token_id,
        after_id=start,
        limits=limits,
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


@router.post("/groups/{group_id}/train", response_model=TrainResult, status_code=status.HTTP_201_CREATED)
def train_ai(group_id: Id, data: TrainRequest, session: SessionDep, user: CurrentUser) -> TrainResult:
    """Train AI: the selected comments become a training conversation of the arbiter among their authors."""
    return train.train_from_chat(session, group_id=group_id, data=data, actor=user)
