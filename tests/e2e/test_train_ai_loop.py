"""The product's core promise, end to end on the embedded default (real embedder, compile and answers).

A person asks an arbiter in a chat; it answers confidently but wrong (it knows a related topic); the
person corrects it; Train AI on those comments; compile; the question and a paraphrase of it now get
the corrected answer, in the chat and through /ask.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.users.models import User, UserType
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas
from tests.conftest import grant_right, make_user, wait_for_jobs

Headers = dict[str, str]
OFFICE_HOURS = "The office opens at 8:00 and closes at 18:00."
PRINTER = "Report printer problems to the IT helpdesk, extension 555."
FACILITIES_QAS = [
    ("When does the office open in the morning?", OFFICE_HOURS),
    ("What are the office opening hours?", OFFICE_HOURS),
    ("Where can I park my car?", "Staff parking is in the underground garage, level -2."),
    ("Is there a car park for employees?", "Staff parking is in the underground garage, level -2."),
    ("How do I book a meeting room?", "Book meeting rooms in the calendar under Rooms."),
    ("How can I reserve a conference room?", "Book meeting rooms in the calendar under Rooms."),
    ("Who do I call when the printer is broken?", PRINTER),
    ("The printer is jammed, who can help?", PRINTER),
]
FACILITIES_VALIDATION = [
    ("At what time does the office open?", OFFICE_HOURS),
    ("Where should I leave my car?", "Staff parking is in the underground garage, level -2."),
    ("What's the recipe for banana bread?", ""),
]
QUESTION = "When does the cafeteria open?"
PARAPHRASE = "What time does the canteen open?"
CORRECTION = "No, the cafeteria opens at 11:30 for lunch."
CORRECTED = "The cafeteria opens at 11:30 for lunch."


def _arbiter(session: Session, person: User) -> AIModel:
    """The Facilities model with its Q&As (nothing about the cafeteria) and a virtual user."""
    model = model_with_qas(
        session,
        name="Facilities",
        user=person,
        provider=local_provider(session),
        qas=FACILITIES_QAS,
        validation=FACILITIES_VALIDATION,
    )
    vuser = User(login="facilities-ai", name="Facilities AI", user_type=UserType.VIRTUAL.value)
    session.add(vuser)
    session.flush()
    model.virtual_user_id = vuser.id
    session.commit()
    return model


def _compile(client: TestClient, headers: Headers, model_id: int) -> None:
    started = client.post(f"/api/v1/models/{model_id}/compile", headers=headers)
    assert started.status_code == 202, started.text
    wait_for_jobs()
    build = client.get(f"/api/v1/compilations/{started.json()['id']}", headers=headers).json()
    assert build["is_successful"] is True, build["error_message"]
    model = client.get(f"/api/v1/models/{model_id}", headers=headers).json()
    assert model["conversational_compilation_id"] == build["id"], build["build_log"]


def _post(client: TestClient, headers: Headers, group_id: int, text: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/chat/groups/{group_id}/comments", json={"text": text}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _ask_in_chat(client: TestClient, headers: Headers, group_id: int, text: str) -> dict[str, Any]:
    """Posts a comment that mentions the arbiter and returns the arbiter's reply to it."""
    asked = _post(client, headers, group_id, text)
    assert len(asked["arbiter_tasks"]) == 1
    wait_for_jobs()
    page = client.get(
        f"/api/v1/chat/groups/{group_id}/comments", params={"after_id": asked["id"]}, headers=headers
    ).json()
    replies = [c for c in page["items"] if c["reply_to_comment_id"] == asked["id"]]
    assert len(replies) == 1 and replies[0]["author_login"] == "facilities-ai", page
    reply: dict[str, Any] = replies[0]
    return reply


def _ask(client: TestClient, headers: Headers, model_id: int, question: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/models/{model_id}/ask", json={"question": question}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_corrected_chat_answer_is_learnt_by_the_next_compile(
    live_client: TestClient, live_session: Session
) -> None:
    boss, boss_headers = admin_with_token(live_session)
    jane, headers = make_user(live_session, "jane")
    colleague, _ = make_user(live_session, "omar")
    live_session.commit()
    model = _arbiter(live_session, boss)
    grant_right(live_session, model_id=model.id, user=jane)  # Train AI needs the train right
    _compile(live_client, boss_headers, model.id)
    group = live_client.post(
        "/api/v1/chat/groups",
        json={"name": "Office", "member_ids": [colleague.id, model.virtual_user_id]},
        headers=headers,
    ).json()["id"]

    # A confident wrong answer: the model knows the office hours, not the cafeteria's.
    wrong = _ask_in_chat(live_client, headers, group, f"@facilities-ai {QUESTION}")
    assert wrong["text"] == OFFICE_HOURS
    correction = _post(live_client, headers, group, f"@facilities-ai {CORRECTION}")
    wait_for_jobs()  # the arbiter answers the mention in the correction too; it is not selected

    trained = live_client.post(
        f"/api/v1/chat/groups/{group}/train",
        json={"comment_ids": [wrong["reply_to_comment_id"], wrong["id"], correction["id"]]},
        headers=headers,
    )
    assert trained.status_code == 201, trained.text
    assert trained.json()["model_id"] == model.id and trained.json()["preference_pair_count"] == 1
    _compile(live_client, boss_headers, model.id)

    for text in (QUESTION, PARAPHRASE):
        assert _ask_in_chat(live_client, headers, group, f"@facilities-ai {text}")["text"] == CORRECTED
        answer = _ask(live_client, headers, model.id, text)
        assert answer["answered"] is True and answer["answer"] == CORRECTED, answer
        assert answer["source_type"] == "training_conversation"
    # What it knew before still stands.
    assert _ask(live_client, headers, model.id, "When does the office open?")["answer"] == OFFICE_HOURS
