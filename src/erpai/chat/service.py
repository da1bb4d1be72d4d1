"""Chat groups, their members and who may do what (comments live in ``comments.py``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.audit.service import record_change
from erpai.chat.models import ChatGroup, ChatMember, MemberRole
from erpai.chat.schemas import GroupCreate, MemberAdd, MemberRead, RoleName
from erpai.common import PageParams, fetch_page
from erpai.errors import Conflict, Forbidden, InvalidInput, NotFound
from erpai.permissions.service import require_use_arbiters
from erpai.users.models import User, UserType

ROLE_CODES: dict[str, str] = {
    "member": MemberRole.MEMBER,
    "admin": MemberRole.ADMIN,
    "observer": MemberRole.OBSERVER,
}
ROLE_NAMES: dict[str, RoleName] = {"M": "member", "A": "admin", "O": "observer"}


def get_group(session: Session, *, group_id: int) -> ChatGroup:
    group = session.get(ChatGroup, group_id)
    if group is None:
        raise NotFound(f"chat group {group_id} does not exist", field="group_id")
    return group


def get_membership(session: Session, *, group_id: int, user_id: int) -> ChatMember | None:
    return session.scalar(
        select(ChatMember).where(ChatMember.group_id == group_id, ChatMember.user_id == user_id)
    )


def require_reader(session: Session, *, group_id: int, user: User) -> ChatMember:
    """The caller's membership; only members (observers included) read a group."""
    get_group(session, group_id=group_id)
    membership = get_membership(session, group_id=group_id, user_id=user.id)
    if membership is None:
        raise Forbidden(f"you are not a member of chat group {group_id}", field="group_id")
    return membership


def require_writer(session: Session, *, group_id: int, user: User) -> ChatMember:
    membership = require_reader(session, group_id=group_id, user=user)
    if membership.role == MemberRole.OBSERVER:
        raise Forbidden(f"observers of chat group {group_id} can only read", field="group_id")
    return membership


def require_manager(session: Session, *, group_id: int, user: User) -> ChatGroup:
    group = get_group(session, group_id=group_id)
    membership = get_membership(session, group_id=group_id, user_id=user.id)
    if not user.is_admin and (membership is None or membership.role != MemberRole.ADMIN):
        raise Forbidden(f"only admins of chat group {group_id} manage its members", field="group_id")
    return group


def create_group(session: Session, *, data: GroupCreate, actor: User) -> ChatGroup:
    member_ids = [i for i in dict.fromkeys(data.member_ids) if i != actor.id]
    found = set(session.scalars(select(User.id).where(User.id.in_(member_ids)))) if member_ids else set()
    missing = [i for i in member_ids if i not in found]
    if missing:
        raise NotFound(f"users {missing} do not exist", field="member_ids")
    require_use_arbiters(session, user=actor, user_ids=member_ids, field="member_ids")
    group = ChatGroup(name=data.name, notes=data.notes, created_by_user_id=actor.id)
    session.add(group)
    session.flush()
    session.add(ChatMember(group_id=group.id, user_id=actor.id, role=MemberRole.ADMIN.value))
    session.add_all(
        ChatMember(group_id=group.id, user_id=i, role=MemberRole.MEMBER.value) for i in member_ids
    )
    record_change(session, user_id=actor.id, entity="chat_group", entity_id=group.id, action="create")
    session.commit()
    return group


def list_groups(
    session: Session, *, user: User, params: PageParams, all_groups: bool = False
) -> tuple[list[ChatGroup], int]:
    """The caller's groups; erpai admins may ask for every group."""
    stmt = select(ChatGroup).order_by(ChatGroup.id)
    if not (all_groups and user.is_admin):
        mine = select(ChatMember.group_id).where(ChatMember.user_id == user.id)
        stmt = stmt.where(ChatGroup.id.in_(mine))
    return fetch_page(session, stmt, params)


def find_group(session: Session, *, ref: str, user: User) -> ChatGroup:
    """A group by id, or by name among the caller's groups (CLI references)."""
    if ref.isdigit():
        return get_group(session, group_id=int(ref))
    mine = select(ChatMember.group_id).where(ChatMember.user_id == user.id)
    groups = list(session.scalars(select(ChatGroup).where(ChatGroup.name == ref, ChatGroup.id.in_(mine))))
    if not groups:
        raise NotFound(f"you are in no chat group named '{ref}'", field="group")
    if len(groups) > 1:
        raise InvalidInput(
            f"several of your groups are named '{ref}': use its id {[g.id for g in groups]}", field="group"
        )
    return groups[0]


def list_members(session: Session, *, group_id: int) -> list[MemberRead]:
    stmt = (
        select(ChatMember, User, AIModel.id)
        .join(User, User.id == ChatMember.user_id)
        .outerjoin(AIModel, AIModel.virtual_user_id == User.id)
        .where(ChatMember.group_id == group_id)
        .order_by(ChatMember.id)
    )
    return [_member_read(member, user, model_id) for member, user, model_id in session.execute(stmt).tuples()]


def _member_read(member: ChatMember, user: User, model_id: int | None) -> MemberRead:
    return MemberRead(
        user_id=user.id,
        login=user.login,
        name=user.name,
        role=ROLE_NAMES[member.role],
        is_virtual=user.user_type == UserType.VIRTUAL.value,
        model_id=model_id,
        join_time_utc=member.join_time_utc,
    )


def add_member(session: Session, *, group_id: int, data: MemberAdd, actor: User) -> MemberRead:
    require_manager(session, group_id=group_id, user=actor)
    user = session.get(User, data.user_id)
    if user is None:
        raise NotFound(f"user {data.user_id} does not exist", field="user_id")
    if get_membership(session, group_id=group_id, user_id=user.id) is not None:
        raise Conflict(f"user '{user.login}' is already a member of chat group {group_id}", field="user_id")
    if data.role == "admin" and user.user_type == UserType.VIRTUAL.value:
        raise InvalidInput("a virtual user cannot be a group admin", field="role")
    require_use_arbiters(session, user=actor, user_ids=[user.id], field="user_id")
    session.add(ChatMember(group_id=group_id, user_id=user.id, role=ROLE_CODES[data.role]))
    record_change(
        session,
        user_id=actor.id,
        entity="chat_group",
        entity_id=group_id,
        action="member_add",
        changes={"user_id": user.id, "role": data.role},
    )
    session.commit()
    return next(m for m in list_members(session, group_id=group_id) if m.user_id == user.id)


def change_member_role(
    session: Session, *, group_id: int, user_id: int, role: RoleName, actor: User
) -> MemberRead:
    require_manager(session, group_id=group_id, user=actor)
    member = _existing_member(session, group_id=group_id, user_id=user_id)
    user = session.get(User, user_id)
    if role == "admin" and user is not None and user.user_type == UserType.VIRTUAL.value:
        raise InvalidInput("a virtual user cannot be a group admin", field="role")
    if role != "admin":
        _keep_an_admin(session, member=member)
    member.role = ROLE_CODES[role]
    record_change(
        session,
        user_id=actor.id,
        entity="chat_group",
        entity_id=group_id,
        action="member_role",
        changes={"user_id": user_id, "role": role},
    )
    session.commit()
    return next(m for m in list_members(session, group_id=group_id) if m.user_id == user_id)


def remove_member(session: Session, *, group_id: int, user_id: int, actor: User) -> None:
    require_manager(session, group_id=group_id, user=actor)
    member = _existing_member(session, group_id=group_id, user_id=user_id)
    _keep_an_admin(session, member=member)
    session.delete(member)
    record_change(
        session,
        user_id=actor.id,
        entity="chat_group",
        entity_id=group_id,
        action="member_remove",
        changes={"user_id": user_id},
    )
    session.commit()


def _existing_member(session: Session, *, group_id: int, user_id: int) -> ChatMember:
    member = get_membership(session, group_id=group_id, user_id=user_id)
    if member is None:
        raise NotFound(f"user {user_id} is not a member of chat group {group_id}", field="user_id")
    return member


def _keep_an_admin(session: Session, *, member: ChatMember) -> None:
    """A group keeps at least one admin, or nobody but erpai admins could manage it."""
    if member.role != MemberRole.ADMIN:
        return
    admins = session.scalar(
        select(func.count()).where(
            ChatMember.group_id == member.group_id, ChatMember.role == MemberRole.ADMIN.value
        )
    )
    if (admins or 0) <= 1:
        raise Conflict(
            "the group's last admin cannot leave or be demoted; make another member admin first",
            field="user_id",
        )
