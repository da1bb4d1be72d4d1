"""Train AI: selected chat comments become a training conversation of the arbiter (domain.md §2.8)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.chat import mentions
from erpai.chat.comments import user_names
from erpai.chat.corrections import corrected_answer
from erpai.chat.models import ChatComment, ChatGroup
from erpai.chat.schemas import TrainRequest, TrainResult
from erpai.chat.service import get_group, require_writer
from erpai.errors import InvalidInput, NotFound
from erpai.feedback.inbox import add_regression_case
from erpai.limits import ANSWER_MAX, MESSAGE_MAX, PARTICIPANT_NAME_MAX
from erpai.permissions.service import require_train_model
from erpai.training.models import SYSTEM_PARTICIPANT, Origin, PreferencePair
from erpai.training.schemas import MessageIn
from erpai.training.service import add_conversation, correction_question
from erpai.users.models import User

USER, ASSISTANT = "user", "assistant"


@dataclass(frozen=True)
class Turn:
    role: str
    name: str
    contents: str
    comment: ChatComment

    @property
    def time(self) -> datetime:
        return self.comment.creation_time_utc


def train_from_chat(session: Session, *, group_id: int, data: TrainRequest, actor: User) -> TrainResult:
    """Validates the whole selection first; writes the conversation and its pairs in one transaction.

    Needs membership of the group (not as an observer) and the train right on the target model.
    """
    require_writer(session, group_id=group_id, user=actor)
    comments = _selected_comments(session, group_id=group_id, comment_ids=data.comment_ids)
    arbiters = _arbiters_by_user(session, comments)
    model = _target_model(session, arbiters=arbiters, model_id=data.model_id)
    require_train_model(session, user=actor, model_id=model.id)
    turns = _turns(session, comments=comments, arbiters=arbiters, addressee=model.virtual_user_id)
    pairs = preference_pairs(turns)
    group = get_group(session, group_id=group_id)
    conversation = add_conversation(
        session,
        model_id=model.id,
        messages=[
            MessageIn(
                role=t.role,
                name=t.name[:PARTICIPANT_NAME_MAX],
                # Rendered mentions and AI replies can exceed what a person may type into one message.
                content=t.contents[:MESSAGE_MAX],
                message_time_utc=t.time,
            )
            for t in turns
        ],
        origin=Origin.CHAT.value,
        origin_object_type="chat_group",
        origin_object_id=group_id,
        notes=_summary(group, turns),
        actor=actor,
    )
    session.add_all(PreferencePair(training_conversation_id=conversation.id, **pair) for pair in pairs)
    for pair in pairs:  # each correction is also a regression case the quality gate insists on
        add_regression_case(
            session,
            model_id=model.id,
            question=correction_question(pair["prompt"]),  # the text the build remembers
            answer=pair["corrected_answer"][:ANSWER_MAX],
            actor=actor,
            notes=f"Correction from Train AI, chat group {group_id}",
        )
    session.commit()
    return TrainResult(
        training_conversation_id=conversation.id,
        model_id=model.id,
        message_count=len(turns),
        preference_pair_count=len(pairs),
    )


def _selected_comments(session: Session, *, group_id: int, comment_ids: Sequence[int]) -> list[ChatComment]:
    wanted = sorted(set(comment_ids))
    found = {c.id: c for c in session.scalars(select(ChatComment).where(ChatComment.id.in_(wanted)))}
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise NotFound(f"comment_ids: comments {unknown} do not exist", field="comment_ids")
    foreign = [i for i in wanted if found[i].group_id != group_id]
    if foreign:
        raise InvalidInput(
            f"comment_ids: comments {foreign} are not in chat group {group_id}", field="comment_ids"
        )
    return [found[i] for i in wanted]  # id order is time order


def _arbiters_by_user(session: Session, comments: Sequence[ChatComment]) -> dict[int, AIModel]:
    """Virtual user id -> model, for the authors of the selection that speak for a model."""
    authors = {c.user_id for c in comments}
    return {
        m.virtual_user_id: m
        for m in session.scalars(select(AIModel).where(AIModel.virtual_user_id.in_(authors)))
        if m.virtual_user_id is not None
    }


def _target_model(session: Session, *, arbiters: dict[int, AIModel], model_id: int | None) -> AIModel:
    if model_id is not None:
        model = session.get(AIModel, model_id)
        if model is None:
            raise NotFound(f"model_id: model {model_id} does not exist", field="model_id")
        return model
    if not arbiters:
        raise InvalidInput(
            "model_id: the selection holds no AI answer; select an arbiter's comment or give model_id",
            field="model_id",
        )
    if len(arbiters) > 1:
        names = ", ".join(sorted(f"{m.name} (id {m.id})" for m in arbiters.values()))
        raise InvalidInput(
            f"model_id: the selection holds answers of several arbiters ({names}); choose one",
            field="model_id",
        )
    return next(iter(arbiters.values()))


def _turns(
    session: Session, *, comments: Sequence[ChatComment], arbiters: dict[int, AIModel], addressee: int | None
) -> list[Turn]:
    """Mentions as plain names, except the trained arbiter's own: it is taken out, as when it answers."""
    users = user_names(session, {c.user_id for c in comments} | mentions.ids_in(c.text for c in comments))
    names = {user_id: user.name for user_id, user in users.items()}
    turns = []
    for c in comments:
        text = mentions.without(c.text, addressee) if addressee is not None else c.text
        contents = mentions.render(text or c.text, names=names, prefix="")
        if c.user_id in arbiters:
            turns.append(Turn(ASSISTANT, arbiters[c.user_id].name, contents, c))
        else:
            name = SYSTEM_PARTICIPANT if c.is_system else users[c.user_id].name
            turns.append(Turn(USER, name, contents, c))
    return turns


def preference_pairs(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """An AI answer followed by a person's correction: (question before it, rejected answer, correction).

    A thank-you or a follow-up question after the answer is no correction (see ``corrected_answer``).
    """
    pairs = []
    turns = [t for t in turns if not t.comment.is_system]  # a "Bob joined" line between them changes nothing
    for index, turn in enumerate(turns):
        if turn.role != ASSISTANT or index + 1 >= len(turns):
            continue
        following = turns[index + 1]
        if following.role != USER:
            continue
        correction = corrected_answer(following.contents)
        if correction is None:
            continue
        prompt = next(
            (t.contents for t in reversed(turns[:index]) if t.role == USER),
            None,
        )
        if prompt is not None:
            pairs.append({"prompt": prompt, "rejected_answer": turn.contents, "corrected_answer": correction})
    return pairs


def _summary(group: ChatGroup, turns: Sequence[Turn]) -> str:
    first_question = next((t.contents for t in turns if t.role == USER), "")
    short = first_question if len(first_question) <= 120 else first_question[:117] + "..."
    people = sorted({t.name for t in turns if t.role == USER})
    who = ", ".join(people) or "none"
    return f"From chat group '{group.name}' ({len(turns)} comments; people: {who}): {short}"
