"""Chat in the browser: mention an arbiter, its reply arrives live, correct it, Train AI, compile, learnt."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.test_train_ai_loop import CORRECTED, CORRECTION, OFFICE_HOURS, QUESTION
from tests.web.conftest import LiveServer
from tests.web.helpers import Checked

REPLY_TIMEOUT = 90_000


def _send(p: Page, text: str) -> None:
    p.get_by_label(re.compile("^Message")).fill(text)
    p.get_by_role("button", name="Send").click()


def _reply_to(p: Page, question: str) -> str:
    """The id of the comment holding ``question`` and the text of the arbiter's reply to it."""
    asked = p.locator("#comments li.comment", has_text=question).last
    expect(asked).to_be_visible()
    asked_id = (asked.get_attribute("id") or "").removeprefix("comment-")
    reply = p.locator(f'#comments li.virtual[data-reply-to="{asked_id}"]')
    expect(reply).to_be_visible(timeout=REPLY_TIMEOUT)
    return reply.locator(".text").inner_text()


def _compile(page: Checked, model_id: int) -> None:
    p = page.page
    p.goto(f"/models/{model_id}/builds")
    p.get_by_role("button", name="Compile").click()
    expect(p.locator("h2 .tag", has_text="succeeded")).to_be_visible(timeout=120_000)


def test_an_arbiter_answers_live_is_corrected_and_learns_it(page: Checked, live_server: LiveServer) -> None:
    p = page.page
    world = live_server.world
    page.sign_in(world["admin_token"], then="/chat")
    p.get_by_role("link", name="Office").click()
    page.axe()
    p.evaluate("window.__notReloaded = true")

    # @-mention autocomplete: typing "@fac" offers the arbiter; Enter picks it.
    box = p.get_by_label(re.compile("^Message"))
    box.press_sequentially("@fac")
    expect(p.get_by_role("option", name=re.compile("Facilities AI"))).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value("@facilities-ai ")
    box.press_sequentially(QUESTION)
    p.get_by_role("button", name="Send").click()
    assert _reply_to(p, QUESTION) == OFFICE_HOURS  # confidently wrong, and shown without a reload
    expect(p.locator(".thinking")).to_have_count(0)
    wrong = p.locator("#comments li.virtual", has_text=OFFICE_HOURS).first
    wrong.get_by_role("button", name="Wrong").click()  # thumbs down on the live reply, no reload
    expect(wrong.get_by_role("status")).to_have_text("Thanks: sent to the trainers.")
    _send(p, f"@facilities-ai {CORRECTION}")
    _reply_to(p, CORRECTION)
    assert p.evaluate("window.__notReloaded") is True
    page.axe()

    # Train AI: pick the question, the wrong answer and the correction.
    p.get_by_role("button", name="Train AI").click()
    asked = p.locator("#comments li.comment", has_text=QUESTION).last
    asked.get_by_role("checkbox").check()
    # the reply to the question (the arbiter may answer the correction with the same text)
    p.locator("#comments li.virtual", has_text=OFFICE_HOURS).first.get_by_role("checkbox").check()
    p.locator("#comments li.comment", has_text=CORRECTION).first.get_by_role("checkbox").check()
    expect(p.locator("#selected-count")).to_have_text("3 comments selected")
    expect(p.get_by_label("Model to train")).to_have_value("")
    page.axe()
    page.shoot("chat-train-ai")
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    p.on("dialog", accept)
    p.get_by_role("button", name="Train AI on the selection").click()
    created = p.locator("#train-result").get_by_role("link", name=re.compile("#\\d+"))
    expect(created).to_be_visible()
    assert dialogs and "3 comment" in dialogs[0]
    created.click()
    expect(p.get_by_role("heading", name="Corrections (1)")).to_be_visible()
    expect(p.locator("table", has_text="Corrected to")).to_contain_text(CORRECTED)
    page.axe()

    _compile(page, world["facilities_id"])
    p.get_by_role("link", name="Builds").click()
    expect(p.locator("tbody tr")).to_have_count(2)
    page.shoot("model-builds")
    p.goto(f"/chat/{world['office_group_id']}")
    _send(p, f"@facilities-ai {QUESTION}")
    expect(p.locator("#comments li.virtual").last).to_contain_text(CORRECTED, timeout=REPLY_TIMEOUT)


def test_a_new_group_older_comments_and_a_member(page: Checked, live_server: LiveServer) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/chat")
    p.get_by_role("button", name="Create group").click()
    expect(p.locator("#name-error")).to_be_visible()
    p.get_by_label("Group name").fill("Project X")
    p.get_by_role("button", name="Create group").click()
    expect(p.get_by_role("heading", name="Project X")).to_be_visible()
    p.get_by_label("Add a person or an AI (login)").fill("nobody-here")
    p.get_by_role("button", name="Add member").click()
    expect(p.locator("#login-error")).to_contain_text("does not exist")
    p.get_by_label("Add a person or an AI (login)").fill("maria")
    p.get_by_role("button", name="Add member").click()
    expect(p.locator(".members")).to_contain_text("Maria Petrova")
    page.axe()

    # The page shows the latest 50 comments; scrolling to the top loads the older ones.
    group_id = p.url.rstrip("/").rsplit("/", 1)[-1]
    headers = {"Authorization": f"Bearer {live_server.world['admin_token']}"}
    with httpx.Client(base_url=live_server.url, headers=headers) as api:
        for n in range(1, 56):
            assert api.post(f"/api/v1/chat/groups/{group_id}/comments", json={"text": f"note {n}"}).is_success
    p.reload()
    comments = p.locator("#comments li.comment")
    expect(comments).to_have_count(50)
    expect(comments.first).to_contain_text("note 6")
    p.locator("#comments").evaluate(
        "list => { list.scrollTop = 0; list.dispatchEvent(new Event('scroll')); }"
    )
    expect(comments).to_have_count(55)
    expect(comments.first).to_contain_text("note 1")
    expect(p.get_by_role("button", name="Load older comments")).to_have_count(0)
