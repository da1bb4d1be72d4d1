"""Assistant replies: embedded default (curated or fallback, said plainly), grounded, streamed and
tool-calling answers against the local OpenAI-wire server, history budget, debug and diagnostics."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.notifications.service import notify
from tests.answering.helpers import openai_provider, parse_sse
from tests.assistant.helpers import CONVERSATIONS, VACATION, assistant_model, say, start, user
from tests.compilations.factories import local_provider
from tests.fakes.openai_server import FakeOpenAI


def _chats(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r.body for r in fake.requests_to("POST", "/v1/chat/completions")]


def test_embedded_default_answers_curated_and_says_it_cannot_write_free_answers(
    live_client: TestClient, live_session: Session
) -> None:
    model, _ = assistant_model(live_client, live_session, local_provider(live_session))
    jane = user(live_session, "jane")
    conversation = start(live_client, jane[1], model.id)

    covered = say(live_client, jane[1], conversation["id"], "How many days of paid vacation do I get a year?")
    assert covered["message"]["content"] == VACATION and covered["answered"] is True
    assert covered["generated"] is False and covered["sources"][0]["answer"] == VACATION
    assert covered["title"] == "How many days of paid vacation do I get a year?"

    unrelated = say(live_client, jane[1], conversation["id"], "What is the recipe for banana bread?")
    text = unrelated["message"]["content"]
    assert unrelated["answered"] is False and text.startswith("Sorry, I have no answer for that.")
    assert "needs a chat provider" in text and "needs a chat provider" in unrelated["notes"][0]
    stored = live_client.get(f"{CONVERSATIONS}/{conversation['id']}/messages", headers=jane[1]).json()
    assert [m["role"] for m in stored["items"]] == ["user", "assistant", "user", "assistant"]
    # the title stays the first message's
    shown = live_client.get(f"{CONVERSATIONS}/{conversation['id']}", headers=jane[1]).json()
    assert shown["title"] == covered["title"]


def test_grounded_reply_sends_chain_grounding_instructions_page_data_and_history(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model, _ = assistant_model(live_client, live_session, openai_provider(live_session, fake))
    model.prefer_curated_answer = False
    live_session.commit()
    jane = user(live_session, "jane")
    live_client.put(
        "/api/v1/assistant/instructions/record", json={"instructions": "Answer in one line."}, headers=jane[1]
    )
    conversation = start(live_client, jane[1], model.id)
    page = {"title": "Invoice INV-7", "amount": "1,250.00 EUR", "vendor": "ACME"}
    uploaded = live_client.post(
        f"{CONVERSATIONS}/{conversation['id']}/context", content=json.dumps(page), headers=jane[1]
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["message"]["content"] == "Context data uploaded for: Invoice INV-7"

    fake.chat_reply = "Twenty-five working days."
    reply = say(live_client, jane[1], conversation["id"], "how many vacation days do I get each year")
    assert reply["generated"] is True and reply["message"]["content"] == "Twenty-five working days."
    assert reply["chat_model"] == "gpt-4o-mini" and reply["sources"][0]["answer"] == VACATION
    (sent,) = _chats(fake)
    system = "\n".join(m["content"] for m in sent["messages"] if m["role"] == "system")
    assert "You are the HR assistant." in system and VACATION in system
    assert "Answer in one line." in system and "INV-7" in system and "1,250.00 EUR" in system
    # the upload confirmation is history; the question comes last
    assert sent["messages"][-2] == {
        "role": "assistant",
        "content": "Context data uploaded for: Invoice INV-7",
    }
    assert sent["messages"][-1] == {"role": "user", "content": "how many vacation days do I get each year"}
    assert {t["function"]["name"] for t in sent["tools"]} >= {"search_knowledge", "list_my_notifications"}
    assert reply["debug"] is None and reply["diagnostics"] is None  # off by default


def test_streamed_reply_is_sse_and_stored(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    provider = openai_provider(live_session, fake, supports_tools=False)
    model, _ = assistant_model(live_client, live_session, provider)
    jane = user(live_session, "jane")
    conversation = start(live_client, jane[1], model.id)
    fake.chat_reply = "Here is a streamed answer in several words."
    response = live_client.post(
        f"{CONVERSATIONS}/{conversation['id']}/messages?stream=true",
        json={"content": "Tell me something about the banana bread"},
        headers=jane[1],
    )
    assert response.status_code == 201 and response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[0] == "source" and names[-1] == "done" and names.count("delta") > 3
    assert "".join(d["text"] for n, d in events if n == "delta") == fake.chat_reply
    done = events[-1][1]
    assert done["message"]["content"] == fake.chat_reply and done["generated"] is True
    stored = live_client.get(f"{CONVERSATIONS}/{conversation['id']}/messages", headers=jane[1]).json()
    assert stored["items"][-1]["content"] == fake.chat_reply
    assert _chats(fake)[0]["stream"] is True


def test_tool_calls_run_as_the_user_and_their_results_reach_the_model(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model, admin = assistant_model(live_client, live_session, openai_provider(live_session, fake))
    model.prefer_curated_answer = False
    jane = user(live_session, "jane")
    notify(live_session, user_id=jane[0].id, notification_class="info", title="Jane's build", message="Done")
    notify(live_session, user_id=admin[0].id, notification_class="info", title="Boss only", message="Secret")
    live_session.commit()
    conversation = start(live_client, jane[1], model.id)
    fake.tool_rounds = [
        [("search_knowledge", {"query": "paid leave per year"})],
        [("list_my_notifications", {})],
    ]
    fake.chat_reply = lambda messages: (
        "Tools said: " + " | ".join(m["content"] for m in messages if m["role"] == "tool")
    )
    live_client.patch("/api/v1/assistant/preferences", json={"diagnostics": True}, headers=jane[1])
    reply = say(live_client, jane[1], conversation["id"], "What do I know about my leave and my inbox?")

    chats = _chats(fake)
    assert len(chats) == 3
    assert chats[1]["messages"][-1]["role"] == "tool" and VACATION in chats[1]["messages"][-1]["content"]
    assert chats[1]["messages"][-2]["tool_calls"][0]["function"]["name"] == "search_knowledge"
    assert [c["name"] for c in reply["tool_calls"]] == ["search_knowledge", "list_my_notifications"]
    text = reply["message"]["content"]
    assert VACATION in text and "Jane's build" in text and "Boss only" not in text
    assert reply["diagnostics"]["tool_calls"] == 2 and reply["diagnostics"]["usage"]["total_tokens"] == 61
    assert reply["diagnostics"]["build_kind"] == "assistant" and reply["diagnostics"]["latency_ms"] >= 0


def test_history_is_bounded_with_a_note_and_debug_shows_the_exact_prompt(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    provider = openai_provider(live_session, fake, supports_tools=False)
    model, admin = assistant_model(live_client, live_session, provider)
    model.prefer_curated_answer = False
    live_session.commit()
    budget = live_client.put(
        "/api/v1/settings/ai.assistant.history_token_budget", json={"value": 60}, headers=admin[1]
    )
    assert budget.status_code == 200, budget.text
    jane = user(live_session, "jane")
    conversation = start(live_client, jane[1], model.id)
    fake.chat_reply = "ok " * 20  # 60 characters: about 15 tokens a reply
    for number in range(4):
        say(live_client, jane[1], conversation["id"], f"message number {number} " + "x" * 40)
    live_client.patch("/api/v1/assistant/preferences", json={"debug": True}, headers=jane[1])
    reply = say(live_client, jane[1], conversation["id"], "and the last one?")

    sent = _chats(fake)[-1]["messages"]
    notes = [m["content"] for m in sent if m["role"] == "system" and "left out" in m["content"]]
    assert len(notes) == 1 and "budget of 60 tokens" in notes[0]
    turns = [m for m in sent[:-1] if m["role"] in ("user", "assistant")]
    assert 0 < len(turns) < 8 and "message number 0" not in json.dumps(turns)
    assert "message number 3" in json.dumps(turns)
    assert any("left out" in note for note in reply["notes"])
    assert reply["debug"]["request"]["messages"] == sent
    assert reply["debug"]["response"][0]["choices"][0]["message"]["content"] == fake.chat_reply
    listed = live_client.get(f"{CONVERSATIONS}/{conversation['id']}/messages", headers=jane[1]).json()
    assert listed["items"][-1]["debug"]["request"]["messages"] == sent


def test_streamed_reply_with_tools_runs_the_calls_first(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model, _ = assistant_model(live_client, live_session, openai_provider(live_session, fake))
    model.prefer_curated_answer = False
    live_session.commit()
    jane = user(live_session, "jane")
    conversation = start(live_client, jane[1], model.id)
    fake.tool_rounds = [[("search_knowledge", {"query": "expense reports"})]]
    fake.chat_reply = lambda messages: "From the tool: " + messages[-1]["content"]
    response = live_client.post(
        f"{CONVERSATIONS}/{conversation['id']}/messages",
        json={"content": "Where do expense reports go?", "stream": True},
        headers=jane[1],
    )
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["source", "delta", "done"]
    assert "Finance portal" in events[1][1]["text"]
    assert events[-1][1]["tool_calls"][0]["name"] == "search_knowledge"
    assert len(_chats(fake)) == 2 and "tools" in _chats(fake)[0]
