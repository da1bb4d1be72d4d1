"""Thumbs down under an Ask answer, then the model's Review tab turns the question into a Q&A."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.conftest import LiveServer
from tests.web.helpers import Checked


def _ask(page: Checked, question: str) -> None:
    p = page.page
    p.get_by_label("Your question").fill(question)
    p.get_by_role("button", name="Ask").click()
    expect(p.get_by_role("heading", name="Answer")).to_be_visible()


def test_a_thumbed_down_question_is_reviewed_into_a_qa(page: Checked, live_server: LiveServer) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/models/new")
    p.get_by_label("Name").fill("Reception desk")
    p.get_by_role("button", name="Create model").click()
    expect(p.get_by_role("heading", name="Reception desk")).to_be_visible()
    model_url = re.sub(r"/qas.*$", "", p.url)

    # No build yet: the question is refused; the asker says why.
    p.get_by_role("link", name="Ask", exact=True).click()
    _ask(page, "Where can I park my bike?")
    p.get_by_label("Why? (optional)").fill("Bikes go in the yard.")
    p.get_by_role("button", name=re.compile("Wrong")).click()
    expect(p.get_by_role("status")).to_contain_text("Thanks for the feedback")
    page.axe()
    _ask(page, "where can I park my BIKE")  # the same question in other words: one review row

    p.get_by_role("link", name="Review").click()
    row = p.locator("tbody tr", has_text="park my")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(re.compile(r"^2\D"))
    expect(row).to_contain_text("thumbs down")
    expect(row).to_contain_text("Bikes go in the yard.")
    page.axe()
    row.get_by_role("button", name="Add as Q&A").click()  # no answer given: refused, nothing written
    expect(p.get_by_role("alert")).to_contain_text("answer")
    row = p.locator("tbody tr", has_text="park my")
    row.get_by_label(re.compile("Answer for")).fill("Bikes go in the yard behind the building.")
    row.get_by_role("button", name="Add as Q&A").click()
    expect(p.get_by_role("status")).to_contain_text("Resolved")
    expect(p.get_by_text("Nothing to review.")).to_be_visible()
    page.axe()

    page.visit(model_url + "/qas")
    learnt = p.locator("tr", has_text="Bikes go in the yard behind the building.")
    expect(learnt).to_have_count(2)  # the training Q&A and its regression check (validation)
    assert not page.errors, page.errors
