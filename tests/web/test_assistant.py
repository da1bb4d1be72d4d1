"""The assistant in the browser: a model page's side panel sends the page's record ("Get page data"), the
question about it is answered by a chat provider (the local OpenAI-wire server) quoting the record; the
assistant page lists the conversation and keeps it private."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI
from tests.web.conftest import LiveServer
from tests.web.helpers import Checked

SYSTEM_MESSAGE = "Concierge answers visitors of the Berlin office, floor 3."


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def _quote_the_page(messages: list[dict[str, Any]]) -> str:
    """Replies with the record's system message, found in the page data erpai put into the prompt."""
    for message in messages:
        content = str(message.get("content") or "")
        if message["role"] == "system" and content.startswith("Page data the user sent"):
            record = json.loads(content.split("\n", 1)[1])
            return f"This model's system message is: {record['system_message']}"
    return "I see no page data."


def _api(server: LiveServer, method: str, path: str, token: str, **body: Any) -> Any:
    response = httpx.request(
        method, f"{server.url}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code < 300, response.text
    return response.json()


def test_side_panel_sends_page_data_and_the_answer_quotes_the_record(
    page: Checked, live_server: LiveServer, fake: FakeOpenAI
) -> None:
    admin = live_server.world["admin_token"]
    config = {"base_url": fake.url, "max_retries": 0, "timeout_seconds": 10, "supports_tools": False}
    provider = _api(live_server, "POST", "/providers", admin, name="Fake chat", kind="openai", config=config,
                    base_model_name="gpt-4o-mini", api_key="sk-test-key-1234")  # fmt: skip
    model = _api(live_server, "POST", "/models", admin, name="Concierge", provider_id=provider["id"],
                 system_message=SYSTEM_MESSAGE)  # fmt: skip
    ada = _api(live_server, "POST", "/users", admin, login="ada", name="Ada Assistant")
    _api(live_server, "PATCH", f"/users/{ada['id']}", admin, model_id=model["id"])
    token = _api(live_server, "POST", f"/users/{ada['id']}/tokens", admin, name="web")["token"]
    fake.chat_reply = _quote_the_page

    page.sign_in(token, then=f"/models/{model['id']}/ask")
    panel = page.page.get_by_role("complementary", name="Assistant")
    expect(panel.get_by_role("button", name="Get page data")).to_be_visible()
    page.axe()
    panel.get_by_role("button", name="Get page data").click()
    expect(panel.get_by_text("Context data uploaded for: Concierge")).to_be_visible()
    panel.get_by_label("Ask the assistant").fill("What is the system message of this model?")
    panel.get_by_role("button", name="Submit to the assistant").click()
    expect(panel.get_by_text(f"This model's system message is: {SYSTEM_MESSAGE}")).to_be_visible()
    page.axe()
    sent = fake.requests_to("POST", "/v1/chat/completions")[-1].body["messages"]
    assert sent[-1] == {"role": "user", "content": "What is the system message of this model?"}

    page.visit("/assistant")
    link = page.page.get_by_role("link", name="What is the system message of this model?")
    expect(link).to_be_visible()
    link.click()
    expect(page.page.get_by_text(f"This model's system message is: {SYSTEM_MESSAGE}")).to_be_visible()
    conversation_url = page.page.url
    page.axe()

    reply = page.page.locator("li.msg.assistant", has_text="This model's system message is").first
    reply.get_by_role("button", name="Wrong").click()  # shares this question with the trainers
    expect(reply.get_by_role("status")).to_have_text("Thanks: sent to the trainers.")
    inbox = _api(live_server, "GET", f"/models/{model['id']}/inbox", admin)
    assert [i["question"] for i in inbox["items"]] == ["What is the system message of this model?"]

    page.page.get_by_label("Ask me anything").fill("And the fallback answer?")
    page.page.get_by_role("button", name="Send").click()
    expect(page.page.get_by_text("And the fallback answer?")).to_be_visible()

    # private: the admin, signed in, gets a 404 for Ada's conversation
    page.page.context.clear_cookies()
    page.sign_in(admin)
    path = re.sub(r"^https?://[^/]+", "", conversation_url)
    page.visit(path, status=404)
