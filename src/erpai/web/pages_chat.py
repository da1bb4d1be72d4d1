"""Chat: the user's groups, a live conversation (the group's event stream), members, Train AI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from erpai.ai_models.models import AIModel
from erpai.chat import comments, service, train
from erpai.chat.events import StreamLimits, comment_events
from erpai.chat.schemas import CommentCreate, CommentRead, GroupCreate, MemberAdd, TrainRequest
from erpai.common import PageParams
from erpai.db import SessionOpener, stream_sessions
from erpai.errors import DomainError
from erpai.routing import SessionReleasingRoute
from erpai.settings.service import get_int_setting
from erpai.todos.schemas import TodoFromComment
from erpai.todos.service import create_todo_from_comment
from erpai.users.service import find_user
from erpai.web.deps import Web, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import is_htmx, page, parse_form, redirect, templates, with_warnings

router = APIRouter(route_class=SessionReleasingRoute)
LATEST = 50


def comment_event(comment: CommentRead) -> str:
    """One server-sent event carrying the comment rendered as the page's list item."""
    html = templates.get_template("chat/_comment.html").render(c=comment)
    data = "\n".join(f"data: {line}" for line in html.splitlines() if line.strip())
    return f"id: {comment.id}\nevent: comment\n{data}\n\n"


@router.get("/chat")
def groups_page(web: WebDep, offset: int = Query(default=0, ge=0)) -> Response:
    rows, total = service.list_groups(web.session, user=web.user, params=PageParams(limit=100, offset=offset))
    return page(web, "chat/groups.html", {"groups": rows, "total": total, "values": {"name": ""}})


@router.post("/chat")
async def create_group_submit(web: WebDep) -> Response:
    values = form_values(await read_form(web.request), only=("name",))
    try:
        group = service.create_group(web.session, data=parse_form(GroupCreate, values), actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        rows, total = service.list_groups(web.session, user=web.user, params=PageParams(limit=100, offset=0))
        context = {
            "groups": rows,
            "total": total,
            "values": values,
            "error": exc.message,
            "error_field": exc.field,
        }
        return page(web, "chat/groups.html", context, status_code=exc.status_code)
    return redirect(web, f"/chat/{group.id}")


def _arbiter_models(web: Web, group_id: int) -> list[AIModel]:
    model_ids = set(comments.arbiters_of_group(web.session, group_id=group_id).values())
    return [m for m in (web.session.get(AIModel, i) for i in sorted(model_ids)) if m is not None]


def _chat_page(web: Web, group_id: int, extra: dict[str, Any]) -> Response:
    member = service.require_reader(web.session, group_id=group_id, user=web.user)
    latest = comments.list_comments(
        web.session, group_id=group_id, user=web.user, before_id=None, after_id=None, limit=LATEST
    )
    members = service.list_members(web.session, group_id=group_id)
    context = {
        "group": service.get_group(web.session, group_id=group_id),
        "page": latest,
        "members": members,
        "mentionable": [{"login": m.login, "name": m.name} for m in members],
        "can_manage": web.user.is_admin or member.role == "A",
        "arbiters": _arbiter_models(web, group_id),
        "thinking": comments.pending_answer_comment_ids(web.session, group_id=group_id),
        "after_id": latest.items[-1].id if latest.items else 0,
        **extra,
    }
    return page(web, "chat/group.html", context, status_code=extra.get("status", 200))


@router.get("/chat/{group_id}")
def chat_page(group_id: int, web: WebDep) -> Response:
    return _chat_page(web, group_id, {})


@router.get("/chat/{group_id}/older")
def older_comments(group_id: int, web: WebDep, before_id: int = Query(ge=1)) -> Response:
    older = comments.list_comments(
        web.session, group_id=group_id, user=web.user, before_id=before_id, after_id=None, limit=LATEST
    )
    return page(web, "chat/_older.html", {"page": older, "group_id": group_id})


@router.get("/chat/{group_id}/events")
def chat_events(
    group_id: int,
    web: WebDep,
    opener: Annotated[SessionOpener, Depends(stream_sessions)],
    after_id: int = Query(default=0, ge=0),
) -> StreamingResponse:
    """The group's event stream with each comment rendered as HTML (resumes after Last-Event-ID)."""
    service.require_reader(web.session, group_id=group_id, user=web.user)
    last = web.request.headers.get("Last-Event-ID", "")
    start = int(last) if last.isdigit() else after_id
    events = comment_events(
        web.request,
        opener,
        group_id=group_id,
        user_id=web.user.id,
        token_id=web.web_session.api_token_id,
        after_id=start,
        limits=StreamLimits(
            timeout=None, max_seconds=get_int_setting(web.session, key="chat.stream_max_seconds")
        ),
        formatter=comment_event,
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


@router.post("/chat/{group_id}/comments")
async def post_comment_submit(group_id: int, web: WebDep) -> Response:
    values = form_values(await read_form(web.request), only=("text",))
    try:
        data = parse_form(CommentCreate, values)
        comment, tasks = comments.post_comment(web.session, group_id=group_id, data=data, author=web.user)
    except DomainError as exc:
        web.session.rollback()
        if is_htmx(web.request):
            context = {"group_id": group_id, "text": values.get("text", ""), "error": exc.message}
            return page(web, "chat/_composer.html", context | {"error_field": "text"}, status_code=200)
        return _chat_page(
            web, group_id, {"error": exc.message, "error_field": "text", "status": exc.status_code}
        )
    if not is_htmx(web.request):
        return redirect(web, f"/chat/{group_id}")
    posted = comments.to_read(web.session, [comment])[0]
    context = {
        "group_id": group_id,
        "text": "",
        "posted": posted,
        "thinking_for": comment.id if tasks else None,
    }
    return page(web, "chat/_composer.html", context)


@router.post("/chat/{group_id}/comments/{comment_id}/todo")
async def create_todo_submit(group_id: int, comment_id: int, web: WebDep) -> Response:
    """ "Create task" on a comment: the AI titles it unless the user typed a title."""
    values = form_values(await read_form(web.request), only=("title",))
    title = (values.get("title") or "").strip() or None
    try:
        data = parse_form(TodoFromComment, {"comment_id": comment_id, "title": title})
        created = create_todo_from_comment(web.session, data=data, actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        status = 200 if is_htmx(web.request) else exc.status_code
        return page(web, "chat/_todo.html", {"error": exc.message}, status_code=status)
    if not is_htmx(web.request):  # the rules' warnings are shown with the new to-do
        warned = with_warnings(f"/records/todos/{created.todo['id']}?saved=1", created.warnings)
        return redirect(web, warned if created.warnings else f"/chat/{group_id}")
    return page(web, "chat/_todo.html", {"created": created})


@router.post("/chat/{group_id}/train")
async def train_submit(group_id: int, web: WebDep) -> Response:
    form = await read_form(web.request)
    ids = [int(v) for v in form.getlist("comment_ids") if isinstance(v, str) and v.isdigit()]
    model_id = form_values(form, ints=("model_id",), only=("model_id",)).get("model_id")
    try:
        data = parse_form(TrainRequest, {"comment_ids": ids, "model_id": model_id})
        result = train.train_from_chat(web.session, group_id=group_id, data=data, actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        return page(
            web,
            "chat/_trained.html",
            {"error": exc.message},
            status_code=200 if is_htmx(web.request) else exc.status_code,
        )
    return page(web, "chat/_trained.html", {"result": result})


@router.post("/chat/{group_id}/members")
async def add_member_submit(group_id: int, web: WebDep) -> Response:
    values = form_values(await read_form(web.request), only=("login", "role"))
    try:
        user = find_user(web.session, ref=values.get("login", "").strip().lstrip("@") or "-")
        data = parse_form(MemberAdd, {"user_id": user.id, "role": values.get("role") or "member"})
        service.add_member(web.session, group_id=group_id, data=data, actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        return _chat_page(web, group_id, {"member_error": exc.message, "status": exc.status_code})
    return redirect(web, f"/chat/{group_id}")


@router.post("/chat/{group_id}/members/{user_id}/remove")
def remove_member_submit(group_id: int, user_id: int, web: WebDep) -> Response:
    service.remove_member(web.session, group_id=group_id, user_id=user_id, actor=web.user)
    return redirect(web, f"/chat/{group_id}")
