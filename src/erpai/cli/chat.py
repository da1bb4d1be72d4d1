"""``erpai chat``: groups, members, comments (with arbiter replies) and Train AI, acting as a user."""

from __future__ import annotations

import time

import typer
from sqlalchemy import select

from erpai.ai_models.service import find_model
from erpai.chat import comments, service, train
from erpai.chat.models import ArbiterTask
from erpai.chat.schemas import (
    CommentCreate,
    CommentRead,
    GroupCreate,
    GroupRead,
    MemberAdd,
    RoleName,
    TrainRequest,
)
from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, err_console, handle_errors, print_json
from erpai.common import PageParams
from erpai.errors import InvalidInput
from erpai.jobs.queue import get_backend
from erpai.jobs.table import TableBackend, run_in_foreground
from erpai.users.service import find_user

chat_app = typer.Typer(help="Chat groups where people and AI arbiters talk.", no_args_is_help=True)
group_app = typer.Typer(help="Chat groups.", no_args_is_help=True)
member_app = typer.Typer(help="Members of a chat group.", no_args_is_help=True)
chat_app.add_typer(group_app, name="group")
chat_app.add_typer(member_app, name="member")

GroupArgument = typer.Argument(..., help="Group id, or the name of one of your groups.")
COMMENT_COLUMNS = ["id", "author_name", "text", "reply_to_comment_id", "creation_time_utc"]
GROUP_COLUMNS = ["id", "name", "created_by_user_id", "last_interaction_time_utc"]
DONE = ("done", "skipped", "failed")


@group_app.command("add")
@handle_errors
def add_group(
    name: str,
    member: list[str] = typer.Option(
        [], "--member", "-m", help="Login (or id) of a member; repeat. Virtual users too."
    ),
    notes: str = typer.Option(None, "--notes"),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a group; you become its admin."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        member_ids = [find_user(session, ref=ref).id for ref in member]
        group = service.create_group(
            session, data=GroupCreate(name=name, notes=notes, member_ids=member_ids), actor=actor
        )
        emit(GroupRead.model_validate(group), as_json, [])


@group_app.command("list")
@handle_errors
def list_groups(as_login: str = AsOption, as_json: bool = JsonOption) -> None:
    """Your groups."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        rows, _ = service.list_groups(session, user=actor, params=PageParams(limit=10_000, offset=0))
        emit([GroupRead.model_validate(r) for r in rows], as_json, GROUP_COLUMNS)


@member_app.command("add")
@handle_errors
def add_member(
    group: str = GroupArgument,
    login: str = typer.Argument(
        ..., help="Login (or id) of the user; a model's virtual user makes it an arbiter."
    ),
    role: str = typer.Option("member", "--role", help="member, admin or observer."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Add a member to a group (group admins and erpai admins)."""
    if role not in ("member", "admin", "observer"):
        raise InvalidInput(f"--role must be member, admin or observer (got '{role}')", field="role")
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = service.find_group(session, ref=group, user=actor)
        user = find_user(session, ref=login)
        read = service.add_member(
            session, group_id=target.id, data=MemberAdd(user_id=user.id, role=_role(role)), actor=actor
        )
        emit(read, as_json, [])


def _role(role: str) -> RoleName:
    return "admin" if role == "admin" else "observer" if role == "observer" else "member"


@chat_app.command("post")
@handle_errors
def post_comment(
    group: str = GroupArgument,
    text: str = typer.Argument(..., help="The comment; mention people and arbiters as @login."),
    reply_to: int = typer.Option(None, "--reply-to", help="Id of the comment this one answers."),
    wait: float = typer.Option(0.0, "--wait", min=0, help="Wait up to N seconds for the arbiters' replies."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Post a comment; with --wait, also print the arbiter replies that arrive."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = service.find_group(session, ref=group, user=actor)
        data = CommentCreate(text=text, reply_to_comment_id=reply_to)
        comment, tasks = comments.post_comment(session, group_id=target.id, data=data, author=actor)
        posted = comments.to_read(session, [comment])
    if tasks and wait > 0 and isinstance(get_backend(), TableBackend):
        for task in tasks:  # no worker took it within a moment: answer here, in the foreground
            run_in_foreground(comments.ANSWER_JOB, {"arbiter_task_id": task.id})
    replies = _wait_for_replies([t.id for t in tasks], wait) if tasks and wait > 0 else []
    _print_comments(posted + replies, as_json)
    if tasks and wait > 0 and len(replies) < len(tasks):
        err_console.print(f"{len(tasks) - len(replies)} arbiter replies did not arrive within {wait:g} s")
    elif tasks and wait <= 0:
        err_console.print(
            f"{len(tasks)} arbiter {'reply is' if len(tasks) == 1 else 'replies are'} queued; "
            "a worker writes them (erpai serve, or erpai worker)"
        )


def _wait_for_replies(task_ids: list[int], wait: float) -> list[CommentRead]:
    """Polls the tasks (their jobs run in a worker, or ran in this process) until done or out of time."""
    deadline = time.monotonic() + wait
    while True:
        with cli_session() as session:
            tasks = list(session.scalars(select(ArbiterTask).where(ArbiterTask.id.in_(task_ids))))
            finished = all(t.status in DONE for t in tasks)
            if finished or time.monotonic() >= deadline:
                reply_ids = sorted(t.reply_comment_id for t in tasks if t.reply_comment_id is not None)
                return comments.to_read(session, comments.comments_by_ids(session, reply_ids))
        time.sleep(0.2)


@chat_app.command("log")
@handle_errors
def log(
    group: str = GroupArgument,
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="The newest N comments."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """The latest comments of a group, oldest first."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = service.find_group(session, ref=group, user=actor)
        page = comments.list_comments(
            session, group_id=target.id, user=actor, before_id=None, after_id=None, limit=limit
        )
    _print_comments(page.items, as_json)


@chat_app.command("train")
@handle_errors
def train_ai(
    group: str = GroupArgument,
    comment_ids: str = typer.Option(..., "--comments", help="Comment ids, comma-separated: 3,4,5,6."),
    model: str = typer.Option(
        None, "--model", help="Model id or name (needed when several arbiters answered)."
    ),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Train AI: turn the chosen comments into a training conversation of the arbiter."""
    ids = _parse_ids(comment_ids)
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = service.find_group(session, ref=group, user=actor)
        model_id = find_model(session, ref=model).id if model else None
        result = train.train_from_chat(
            session, group_id=target.id, data=TrainRequest(comment_ids=ids, model_id=model_id), actor=actor
        )
    if as_json:
        print_json(result)
    else:
        typer.echo(
            f"The training conversation {result.training_conversation_id} was created "
            f"for model {result.model_id} "
            f"({result.message_count} messages, corrections: {result.preference_pair_count}); "
            "the model uses it after its next compile."
        )


def _parse_ids(raw: str) -> list[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise InvalidInput(
            f"--comments must be comment ids separated by commas, like 3,4,5 (got '{raw}')", field="comments"
        )
    return [int(p) for p in parts]


def _print_comments(rows: list[CommentRead], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    for c in rows:
        reply = f" (reply to #{c.reply_to_comment_id})" if c.reply_to_comment_id else ""
        typer.echo(f"#{c.id} {c.author_name} · {c.creation_time_utc:%Y-%m-%d %H:%M}{reply}\n  {c.text}")


MEMBER_COLUMNS = ["user_id", "login", "name", "role", "is_virtual", "model_id", "join_time_utc"]


@group_app.command("show")
@handle_errors
def show_group(group: str = GroupArgument, as_login: str = AsOption, as_json: bool = JsonOption) -> None:
    """Show a group you are a member of."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = service.find_group(session, ref=group, user=actor)
        service.require_reader(session, group_id=target.id, user=actor)
        emit(GroupRead.model_validate(target), as_json, [])


@member_app.command("list")
@handle_errors
def list_members(group: str = GroupArgument, as_login: str = AsOption, as_json: bool = JsonOption) -> None:
    """The members of a group, with their role (arbiters show their model)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = service.find_group(session, ref=group, user=actor)
        if not actor.is_admin:
            service.require_reader(session, group_id=target.id, user=actor)
        emit(service.list_members(session, group_id=target.id), as_json, MEMBER_COLUMNS)


@member_app.command("role")
@handle_errors
def change_role(
    group: str = GroupArgument,
    login: str = typer.Argument(..., help="Login (or id) of the member."),
    role: str = typer.Argument(..., help="member, admin or observer."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a member's role (group admins and erpai admins)."""
    if role not in ("member", "admin", "observer"):
        raise InvalidInput(f"role must be member, admin or observer (got '{role}')", field="role")
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = service.find_group(session, ref=group, user=actor)
        user = find_user(session, ref=login)
        read = service.change_member_role(
            session, group_id=target.id, user_id=user.id, role=_role(role), actor=actor
        )
        emit(read, as_json, [])


@member_app.command("remove")
@handle_errors
def remove_member(
    group: str = GroupArgument,
    login: str = typer.Argument(..., help="Login (or id) of the member."),
    as_login: str = AsOption,
) -> None:
    """Remove a member from a group (group admins and erpai admins)."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        target = service.find_group(session, ref=group, user=actor)
        user = find_user(session, ref=login)
        service.remove_member(session, group_id=target.id, user_id=user.id, actor=actor)
    typer.echo(f"'{user.login}' removed from group '{target.name}'")
