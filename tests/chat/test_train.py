from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.answering.grounding import retrieve
from erpai.chat.arbiter import process_arbiter_task
from erpai.chat.corrections import corrected_answer
from erpai.chat.models import ChatComment
from erpai.compilations.pipeline import build_retrieval
from erpai.compilations.snapshot import take_snapshot
from erpai.learning.embedders import DEFAULT_EMBEDDER
from erpai.qas.models import ModelQA
from erpai.training.models import PreferencePair, TrainingConversation
from erpai.users.models import User
from tests.chat.conftest import FakeAnswering, RecordingBackend, make_arbiter, make_group, post
from tests.conftest import grant_right, make_user

Member = tuple[User, dict[str, str]]


@pytest.fixture
def dialogue(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> dict[str, Any]:
    """Jane asks the arbiter, it answers wrong, she corrects it; a second arbiter answers too."""
    bob, bob_headers = make_user(db, "bob")
    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    sales = make_arbiter(db, "Sales AI", "sales-ai")
    for model in (bot, sales):  # Train AI needs the train right on the target model
        grant_right(db, model_id=model.id, user=member[0])
    group_id = make_group(
        client, member[1], members=[bob.id, bot.virtual_user_id or 0, sales.virtual_user_id or 0]
    )
    fake_answering.answer = "Every day."
    question = post(client, member[1], group_id, "@marketing-ai how often should we post on Instagram?")
    process_arbiter_task(db, arbiter_task_id=jobs.jobs.pop()[1]["arbiter_task_id"])
    answer_id = question["id"] + 1
    correction = post(
        client, member[1], group_id, "No: twice a week, Tuesday and Thursday.", reply_to_comment_id=answer_id
    )
    fake_answering.answer = "Ten percent."
    other = post(client, bob_headers, group_id, "@sales-ai discount?")
    process_arbiter_task(db, arbiter_task_id=jobs.jobs.pop()[1]["arbiter_task_id"])
    ids = [question["id"], answer_id, correction["id"]]
    return {
        "group_id": group_id,
        "ids": ids,
        "bot": bot,
        "sales": sales,
        "other": [other["id"], other["id"] + 1],
    }


def _train(client: TestClient, headers: dict[str, str], group_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/chat/groups/{group_id}/train", json=body, headers=headers)


def _conversations(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(TrainingConversation)) or 0


def test_train_ai_turns_the_selection_into_a_conversation_and_a_preference_pair(
    client: TestClient, db: Session, member: Member, dialogue: dict[str, Any]
) -> None:
    response = _train(client, member[1], dialogue["group_id"], comment_ids=list(reversed(dialogue["ids"])))
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["model_id"], result["message_count"], result["preference_pair_count"]) == (
        dialogue["bot"].id,
        3,
        1,
    )
    conversation = db.get(TrainingConversation, result["training_conversation_id"])
    assert conversation is not None
    assert (conversation.origin, conversation.origin_object_type, conversation.origin_object_id) == (
        "CHT",
        "chat_group",
        dialogue["group_id"],
    )
    assert [
        (m.message_no, m.participant_role, m.participant_name, m.contents) for m in conversation.messages
    ] == [
        (1, "U", "Jane", "how often should we post on Instagram?"),
        (2, "A", "Marketing AI", "Every day."),
        (3, "U", "Jane", "No: twice a week, Tuesday and Thursday."),
    ]
    (pair,) = db.scalars(
        select(PreferencePair).where(PreferencePair.training_conversation_id == conversation.id)
    )
    assert (pair.prompt, pair.rejected_answer, pair.corrected_answer) == (
        "how often should we post on Instagram?",
        "Every day.",
        "Twice a week, Tuesday and Thursday.",
    )


def test_several_arbiters_need_a_chosen_model(
    client: TestClient, db: Session, member: Member, dialogue: dict[str, Any]
) -> None:
    selection = dialogue["ids"] + dialogue["other"]
    refused = _train(client, member[1], dialogue["group_id"], comment_ids=selection)
    assert refused.status_code == 422
    assert refused.json()["field"] == "model_id"
    assert "Sales AI" in refused.json()["detail"]
    chosen = _train(
        client, member[1], dialogue["group_id"], comment_ids=selection, model_id=dialogue["sales"].id
    )
    assert chosen.status_code == 201
    assert chosen.json()["model_id"] == dialogue["sales"].id


def test_train_ai_errors_write_nothing(
    client: TestClient, db: Session, member: Member, dialogue: dict[str, Any]
) -> None:
    group_id, ids = dialogue["group_id"], dialogue["ids"]
    other_group = make_group(client, member[1], "Elsewhere")
    foreign = post(client, member[1], other_group, "unrelated")["id"]
    _, outsider = make_user(db, "eve")
    cases = [
        (member[1], group_id, {"comment_ids": []}, 422, "comment_ids"),
        (member[1], group_id, {"comment_ids": [*ids, 999999]}, 404, "comment_ids"),
        (member[1], group_id, {"comment_ids": [*ids, foreign]}, 422, "comment_ids"),
        (member[1], group_id, {"comment_ids": [ids[0], ids[2]]}, 422, "model_id"),
        (member[1], group_id, {"comment_ids": ids, "model_id": 999999}, 404, "model_id"),
        (outsider, group_id, {"comment_ids": ids}, 403, "group_id"),
    ]
    before = _conversations(db)
    for headers, group, body, status, field in cases:
        response = _train(client, headers, group, **body)
        assert (response.status_code, response.json()["field"]) == (status, field), body
    assert _conversations(db) == before


def test_explicit_model_trains_from_people_only(
    client: TestClient, db: Session, member: Member, dialogue: dict[str, Any]
) -> None:
    ids = dialogue["ids"]
    response = _train(
        client, member[1], dialogue["group_id"], comment_ids=[ids[0], ids[2]], model_id=dialogue["bot"].id
    )
    assert response.status_code == 201
    assert response.json()["preference_pair_count"] == 0


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("No, the cafeteria opens at 11:30.", "The cafeteria opens at 11:30."),
        ("Wrong! That's not right: it is 11:30.", "It is 11:30."),
        ("It opens at 11:30.", "It opens at 11:30."),
        ("No parking on Sundays.", "No parking on Sundays."),
        ("Thanks, perfect!", None),
        ("And on Sundays?", None),
        ("No.", None),
    ],
)
def test_a_correction_is_told_from_thanks_and_follow_up_questions(comment: str, expected: str | None) -> None:
    assert corrected_answer(comment) == expected


def test_a_thank_you_after_the_answer_records_no_pair(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, dialogue: dict[str, Any]
) -> None:
    question, answer, _ = dialogue["ids"]
    thanks = post(client, member[1], dialogue["group_id"], "Thanks, great!")
    response = _train(client, member[1], dialogue["group_id"], comment_ids=[question, answer, thanks["id"]])
    assert response.status_code == 201
    assert (response.json()["message_count"], response.json()["preference_pair_count"]) == (3, 0)


def test_comments_longer_once_mentions_are_rendered_still_train(
    client: TestClient, db: Session, member: Member, dialogue: dict[str, Any]
) -> None:
    """A comment within the 20,000-character limit can render longer ({@user:ID} -> a 254-character name):
    the training message is cut to the limit instead of failing the whole Train AI with a 500."""
    long_name, _ = make_user(db, "longname")
    long_name.name = "N" * 254
    db.commit()
    members = f"/api/v1/chat/groups/{dialogue['group_id']}/members"
    assert client.post(members, json={"user_id": long_name.id}, headers=member[1]).status_code == 201
    text = f"{{@user:{long_name.id}}} " * 150  # about 2,000 characters, 38,000 once rendered
    comment = post(client, member[1], dialogue["group_id"], text)
    response = _train(
        client, member[1], dialogue["group_id"], comment_ids=[comment["id"]], model_id=dialogue["bot"].id
    )
    assert response.status_code == 201, response.text
    conversation = db.get(TrainingConversation, response.json()["training_conversation_id"])
    assert conversation is not None
    assert len(conversation.messages[0].contents) == 20_000


def test_a_train_ai_correction_becomes_a_regression_case(
    client: TestClient, db: Session, member: Member, dialogue: dict[str, Any]
) -> None:
    response = _train(client, member[1], dialogue["group_id"], comment_ids=dialogue["ids"])
    assert response.status_code == 201, response.text
    cases = db.scalars(select(ModelQA).where(ModelQA.model_id == dialogue["bot"].id)).all()
    assert [(q.qa_type, q.is_regression, q.question, q.answer) for q in cases] == [
        ("V", True, "how often should we post on Instagram?", "Twice a week, Tuesday and Thursday.")
    ]
    # a selection without a correction adds no regression case
    _train(client, member[1], dialogue["group_id"], comment_ids=dialogue["ids"][:2])
    assert db.scalar(select(func.count()).select_from(ModelQA)) == 1


def test_a_train_ai_correction_is_remembered_over_an_older_qa(
    client: TestClient, db: Session, member: Member, dialogue: dict[str, Any]
) -> None:
    """The next build answers the corrected question with the correction, not the older Q&A that taught the
    rejected answer (the newest teaching wins), and passes the correction's regression case."""
    bot = dialogue["bot"]
    for question, answer in [
        ("How often should we post on Instagram?", "Every day."),
        ("How frequently do we publish Instagram posts?", "Every day."),
        ("Which hashtags do we use?", "#erpai and #smallbusiness."),
        ("What hashtags go on our posts?", "#erpai and #smallbusiness."),
    ]:
        db.add(ModelQA(model_id=bot.id, question=question, answer=answer, qa_type="T",
                       added_by_user_id=member[0].id))
    db.commit()
    assert _train(client, member[1], dialogue["group_id"], comment_ids=dialogue["ids"]).status_code == 201
    build = build_retrieval(db, inputs=take_snapshot(db, model=bot), embedder_name=DEFAULT_EMBEDDER)
    assert build.evaluation.forgotten == [] and build.evaluation.in_scope_correct == 1
    result, _ = retrieve(build.artifact, "How often should we post on Instagram?")
    assert (result.answer, result.confidence, result.from_memory) == (
        "Twice a week, Tuesday and Thursday.", 1.0, True)
    assert result.source_type == "training_conversation"


def test_a_correction_after_several_messages_teaches_the_question_the_arbiter_was_asked(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> None:
    """Jane greets, then asks; the arbiter, asked her last message, answers wrong in two comments; she
    corrects it. The next build answers that question as corrected, from memory, and its regression case
    asks the same text (the greeting joined to it is no question anyone asks again)."""
    bot = make_arbiter(db, "Front Desk AI", "front-desk-ai")
    grant_right(db, model_id=bot.id, user=member[0])
    db.add(ModelQA(model_id=bot.id, question="Where is the office?", answer="Main Street 1.", qa_type="T",
                   added_by_user_id=member[0].id))
    db.commit()
    group_id = make_group(client, member[1], members=[bot.virtual_user_id or 0])
    hello = post(client, member[1], group_id, "Hi")
    fake_answering.answer = "We never close."
    question = post(client, member[1], group_id, "@front-desk-ai What are your opening hours?")
    process_arbiter_task(db, arbiter_task_id=jobs.jobs.pop()[1]["arbiter_task_id"])
    assert fake_answering.calls[-1]["question"] == "What are your opening hours?"
    more = ChatComment(group_id=group_id, user_id=bot.virtual_user_id, text="Even on holidays.")
    db.add(more)
    db.commit()
    correction = post(client, member[1], group_id, "No, we open 9:00 to 17:00 on weekdays.")
    selection = [hello["id"], question["id"], question["id"] + 1, more.id, correction["id"]]
    response = _train(client, member[1], group_id, comment_ids=selection)
    assert response.status_code == 201, response.text
    assert response.json()["preference_pair_count"] == 1
    corrected = "We open 9:00 to 17:00 on weekdays."
    (case,) = db.scalars(select(ModelQA).where(ModelQA.is_regression.is_(True))).all()
    assert (case.question, case.answer) == ("What are your opening hours?", corrected)

    build = build_retrieval(db, inputs=take_snapshot(db, model=bot), embedder_name=DEFAULT_EMBEDDER)
    assert build.evaluation.forgotten == []
    assert build.artifact.memory.recall([case.question]) != [None]
    result, _ = retrieve(build.artifact, "what are your opening hours")
    assert (result.answer, result.from_memory) == (corrected, True)
    assert "We never close." not in build.artifact.answers


def test_system_lines_between_question_answer_and_correction_do_not_split_the_turn(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> None:
    """A "joined the group" line between Jane's question and the arbiter's second reply, and another before
    her correction: the pair is still recorded, and the next build learns the correction for her question."""
    bot = make_arbiter(db, "Front Desk AI", "front-desk-ai")
    grant_right(db, model_id=bot.id, user=member[0])
    group_id = make_group(client, member[1], members=[bot.virtual_user_id or 0])
    fake_answering.answer = "We never close."
    question = post(client, member[1], group_id, "@front-desk-ai What are your opening hours?")
    process_arbiter_task(db, arbiter_task_id=jobs.jobs.pop()[1]["arbiter_task_id"])
    lines = [
        ChatComment(group_id=group_id, user_id=member[0].id, text="Bob joined the group", is_system=True),
        ChatComment(group_id=group_id, user_id=bot.virtual_user_id, text="Even on holidays."),
        ChatComment(group_id=group_id, user_id=member[0].id, text="Notice: office move", is_system=True),
    ]
    for line in lines:  # one by one: ids in time order
        db.add(line)
        db.commit()
    correction = post(client, member[1], group_id, "No, we open 9:00 to 17:00 on weekdays.")
    selection = [question["id"], question["id"] + 1, *(line.id for line in lines), correction["id"]]
    response = _train(client, member[1], group_id, comment_ids=selection)
    assert response.status_code == 201, response.text
    assert response.json()["preference_pair_count"] == 1
    (pair,) = db.scalars(select(PreferencePair)).all()
    corrected = "We open 9:00 to 17:00 on weekdays."
    assert (pair.prompt, pair.rejected_answer, pair.corrected_answer) == (
        "What are your opening hours?", "Even on holidays.", corrected)

    inputs = take_snapshot(db, model=bot)
    assert [(e.text, e.answer) for e in inputs.training] == [("What are your opening hours?", corrected)]
    build = build_retrieval(db, inputs=inputs, embedder_name=DEFAULT_EMBEDDER)
    result, _ = retrieve(build.artifact, "what are your opening hours")
    assert (result.answer, result.from_memory) == (corrected, True)
