"""The AI tools in the browser: fill a lead from a pasted message and save it; "Create task" on a chat
comment (the AI title from the local OpenAI-wire server), the system line arriving live. axe on each page."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI
from tests.web.conftest import LiveServer
from tests.web.helpers import Checked
from tests.web.test_rules_pages import rules_model  # noqa: F401 (the default model on the fake server)

MESSAGE = "Hello, Ivo Petrov from Petrov Tools Ltd here. Please call me: +359 2 981 2345, ivo@petrov.example"


def test_fill_a_lead_and_create_a_task_from_a_comment(
    page: Checked,
    live_server: LiveServer,
    rules_model: FakeOpenAI,  # noqa: F811
) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/records/leads")
    p.get_by_role("link", name="Fill from text or e-mail (AI)").click()
    page.axe()
    rules_model.script(
        json.dumps(
            {
                "first_name": "Ivo",
                "last_name": "Petrov",
                "company": "Petrov Tools Ltd",
                "email": "x@y.example",
            }
        )
    )
    p.get_by_label("Paste the message").fill(MESSAGE)
    p.get_by_role("button", name="Read the message").click()
    expect(p.get_by_label("Company")).to_have_value("Petrov Tools Ltd")
    expect(p.get_by_label(re.compile("^E-mail — check: not found"))).to_have_value("x@y.example")
    page.axe()
    p.get_by_label(re.compile("^E-mail")).fill("ivo@petrov.example")
    p.get_by_role("button", name="Save").click()
    expect(p.get_by_role("status")).to_contain_text("Saved.")

    page.visit(f"/chat/{live_server.world['office_group_id']}")
    p.get_by_label(re.compile("^Message")).fill("Could someone order printer paper?")
    p.get_by_role("button", name="Send").click()
    # pinned by id: the system line that arrives later also holds "order printer paper"
    posted = p.locator("#comments li.comment", has_text="Could someone order printer paper?").last
    comment = p.locator(f"#{posted.get_attribute('id')}")
    comment.locator("summary", has_text="Create task").click()
    rules_model.script(json.dumps({"title": "Order printer paper"}))
    comment.get_by_role("button", name="Save task").click()
    expect(comment.get_by_role("status")).to_contain_text("'Order printer paper' created (AI, en)")
    system = p.locator("#comments li.comment.system", has_text="Task 'Order printer paper' was assigned")
    expect(system).to_be_visible()
    page.axe()
