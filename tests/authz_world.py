"""The fixture world of the authorization matrix: one of each thing, and one user per kind of actor.

Actors (the matrix's columns):

- ``anonymous``: no token.
- ``user``: a plain user with no rights anywhere and in no group.
- ``other_trainer``: trains model Beta only.
- ``member``: a plain member of the group (no model rights).
- ``non_member``: may *use* model Alpha (a ``use`` grant), is in no group.
- ``owner``: trains model Alpha, created (administers) the group, owns the assistant conversation, the
  notification and the spare token.
- ``admin``: an admin (not a member of the group).
- ``revoked``: the admin's revoked token.

Things: provider ``Local``; model Alpha (grants: owner train, non_member use) with a Q&A, a completed
build with an asset, a user-entered and a Train-AI training conversation (made from the group); model
Beta (grant: other_trainer train); the group with a comment; the owner's assistant conversation and
notification.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.assistant.models import AssistantConversation, AssistantMessage
from erpai.chat.models import ChatComment, ChatGroup, ChatMember, MemberRole
from erpai.compilations.models import Compilation, CompilationAsset, CompilationStatus, ModelHit
from erpai.db import utcnow
from erpai.notifications.service import notify
from erpai.permissions.models import ModelGrant
from erpai.providers.models import Provider
from erpai.qas.models import ModelQA
from erpai.records.models import Party
from erpai.rules.models import BusinessRule
from erpai.training.models import Origin, TrainingConversation, TrainingConversationMessage
from erpai.users.models import User
from erpai.users.schemas import UserCreate
from erpai.users.service import create_token, create_user, revoke_token

ACTORS = ("anonymous", "user", "other_trainer", "member", "non_member", "owner", "admin", "revoked")
Headers = dict[str, str]


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    headers: dict[str, Headers] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def _person(session: Session, world: World, actor: str, *, admin: bool = False) -> User:
    user = create_user(
        session, data=UserCreate(login=actor, name=actor.title(), is_admin=admin), actor_id=None
    )
    _, token = create_token(session, user_id=user.id)
    world.users[actor] = user
    world.ids[f"user:{actor}"] = user.id
    world.headers[actor] = {"Authorization": f"Bearer {token}"}
    return user


def _add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


def build_world(session: Session) -> World:
    world = World(headers={"anonymous": {}})
    for actor in ("user", "other_trainer", "member", "non_member", "owner"):
        _person(session, world, actor)
    admin = _person(session, world, "admin", admin=True)
    stale, revoked_token = create_token(session, user_id=admin.id, name="old")
    revoke_token(session, user_id=admin.id, token_id=stale.id)
    world.headers["revoked"] = {"Authorization": f"Bearer {revoked_token}"}
    spare, _ = create_token(session, user_id=world.users["owner"].id, name="spare")
    world.ids["token_id"] = spare.id
    _things(session, world)
    session.commit()
    return world


def _things(session: Session, world: World) -> None:
    u, ids = world.users, world.ids
    provider = Provider(name="Local", kind="local", base_model_name="local")
    _add(session, provider)
    alpha = AIModel(name="Alpha", provider_id=provider.id, build_assistant=False)
    beta = AIModel(name="Beta", provider_id=provider.id)
    _add(session, alpha, beta)
    use_grant = ModelGrant(model_id=alpha.id, user_id=u["non_member"].id, right="use")
    _add(
        session,
        ModelGrant(model_id=alpha.id, user_id=u["owner"].id, right="train"),
        ModelGrant(model_id=beta.id, user_id=u["other_trainer"].id, right="train"),
        use_grant,
    )
    qa = ModelQA(
        model_id=alpha.id, question="Opening hours?", answer="9 to 5.", added_by_user_id=u["owner"].id
    )
    build = Compilation(
        model_id=alpha.id,
        user_id=u["admin"].id,
        status=CompilationStatus.COMPLETED.value,
        is_successful=True,
        completion_time_utc=utcnow(),
        build_log="secret build log",
        assets=[CompilationAsset(asset_key="index", value="{}")],
    )
    _add(session, qa, build)
    party = Party(name="ACME", normalized_name="acme")
    rule = BusinessRule(
        name="Name check",
        entity="parties",
        event="commit",
        enabled=False,
        actions=[{"type": "AIWARNING", "prompt": "Real? {Name}", "message": "odd", "timeout_ms": 2000}],
    )
    _add(session, party, rule)
    ids["record_id"], ids["rule_id"] = party.id, rule.id
    # a refused answer to the model's plain user: feedback by them or a trainer; in the review inbox
    hit = ModelHit(model_id=alpha.id, user_id=u["non_member"].id, question="Parking?", answered=False)
    _add(session, hit)
    group = ChatGroup(name="Office", created_by_user_id=u["owner"].id)
    _add(session, group)
    _add(
        session,
        ChatMember(group_id=group.id, user_id=u["owner"].id, role=MemberRole.ADMIN.value),
        ChatMember(group_id=group.id, user_id=u["member"].id, role=MemberRole.MEMBER.value),
    )
    comment = ChatComment(group_id=group.id, user_id=u["member"].id, text="When is the cafeteria open?")
    _add(session, comment)
    from_chat = _conversation(alpha.id, Origin.CHAT.value, group.id, "From chat group 'Office': cafeteria")
    entered = _conversation(alpha.id, Origin.USER_ENTERED.value, None, "typed in")
    _add(session, from_chat, entered)
    chat = AssistantConversation(user_id=u["owner"].id, model_id=alpha.id, title="Mine", is_active=True)
    _add(session, chat)
    asked = AssistantMessage(conversation_id=chat.id, role="user", content="Cafeteria hours?")
    replied = AssistantMessage(conversation_id=chat.id, role="assistant", content="11 to 2.")
    _add(session, asked, replied)
    note = notify(session, user_id=u["owner"].id, notification_class="NT_TEST", title="Hi", message="Hello")
    ids.update(
        provider_id=provider.id,
        model_id=alpha.id,
        other_model_id=beta.id,
        grant_id=use_grant.id,
        qa_id=qa.id,
        compilation_id=build.id,
        group_id=group.id,
        comment_id=comment.id,
        training_conversation_id=from_chat.id,
        entered_conversation_id=entered.id,
        message_id=from_chat.messages[0].id,
        assistant_conversation_id=chat.id,
        assistant_reply_id=replied.id,
        notification_id=note.id,
        hit_id=hit.id,
    )


def _conversation(model_id: int, origin: str, group_id: int | None, notes: str) -> TrainingConversation:
    return TrainingConversation(
        model_id=model_id,
        origin=origin,
        origin_object_type="chat_group" if group_id else None,
        origin_object_id=group_id,
        notes=notes,
        messages=[
            TrainingConversationMessage(message_no=1, participant_role="U", contents="Cafeteria hours?"),
            TrainingConversationMessage(message_no=2, participant_role="A", contents="11 to 2."),
        ],
    )
