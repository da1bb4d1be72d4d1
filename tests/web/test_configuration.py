"""An admin configures erpai in the browser: providers, models, Q&As (incl. a bad import), builds, ask."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI
from tests.web.conftest import LiveServer
from tests.web.helpers import Checked

KEY = "sk-webtest-Secret123VALUE9z8y"
GOOD_CSV = (
    "question,answer,section,qa_type\n"
    "How do I reset my password?,Use the Forgot password link on the sign-in page.,IT,training\n"
    "I forgot my password,Use the Forgot password link on the sign-in page.,IT,training\n"
    "Where is the VPN guide?,The VPN guide is on the intranet under IT > Remote work.,IT,training\n"
    "How do I set up the VPN?,The VPN guide is on the intranet under IT > Remote work.,IT,training\n"
    "How can I change my password?,Use the Forgot password link on the sign-in page.,IT,validation\n"
    "Who signs the VPN request form?,The CIO signs VPN request forms.,IT,validation\n"
)
BAD_CSV = (
    "question,answer,section,qa_type\n,An answer without its question,IT,training\nOk?,Fine.,IT,sometimes\n"
)


def test_provider_key_is_only_a_mask_and_a_new_base_url_needs_it_again(
    page: Checked, live_server: LiveServer
) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/providers")
    p.get_by_role("link", name="New provider").click()
    page.axe()
    with FakeOpenAI(api_key=KEY) as fake:
        p.get_by_label("Name").fill("Fake OpenAI")
        p.get_by_label("Base model (e.g. gpt-4o-mini)").fill("gpt-4o-mini")
        p.get_by_label("Base URL (empty: OpenAI's own API)").fill(fake.url)
        p.get_by_label("API key").fill(KEY)
        p.get_by_role("button", name="Create provider").click()
        expect(p.get_by_role("heading", name="Provider Fake OpenAI")).to_be_visible()
        assert KEY not in p.content() and "…" in p.content()
        p.get_by_role("button", name="Test connection").click()
        expect(p.locator("#test-result")).to_contain_text("connected")
        expect(p.locator("#test-result tr", has_text="chat")).to_contain_text("works")
        page.axe()
        p.get_by_label("Base URL (empty: OpenAI's own API)").fill(fake.url.replace("127.0.0.1", "localhost"))
        p.get_by_role("button", name="Save").click()
        expect(p.locator("#key-cleared")).to_contain_text("enter the API key again")
        assert KEY not in p.content()
        page.axe()
    p.goto("/providers")
    expect(p.get_by_role("row", name=re.compile("Fake OpenAI"))).to_contain_text("none")  # cleared
    assert KEY not in p.content()


def test_an_invalid_model_form_shows_its_field_error_then_the_model_joins_the_tree(
    page: Checked, live_server: LiveServer
) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/models/new")
    p.get_by_label("Name").fill("Helpdesk")
    p.get_by_label("Quality gate margin (0 to 1)").fill("5")
    p.get_by_role("button", name="Create model").click()
    expect(p.locator("#quality_gate_margin-error")).to_contain_text("less than or equal to 1")
    expect(p.get_by_label("Name")).to_have_value("Helpdesk")
    page.axe()
    p.get_by_label("Quality gate margin (0 to 1)").fill("0.05")
    p.get_by_label("Parent model").select_option(label="Northwind Master")
    p.get_by_label("Provider").select_option(label="Local (embedded) (local)")
    p.get_by_role("button", name="Create model").click()
    expect(p.get_by_role("heading", name="Helpdesk")).to_be_visible()
    p.goto("/models")
    expect(
        p.locator(".tree li", has_text="Northwind Master").get_by_role("link", name="Helpdesk")
    ).to_be_visible()
    page.axe()


def _model_id(page: Checked, name: str) -> int:
    page.page.goto("/models")
    href = page.page.get_by_role("link", name=name, exact=True).get_attribute("href")
    assert href is not None
    return int(href.rsplit("/", 1)[-1])


def test_qas_are_added_imported_compiled_and_asked(
    page: Checked, live_server: LiveServer, tmp_path: Path
) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/models/new")
    p.get_by_label("Name").fill("IT desk")
    p.get_by_label("Provider").select_option(label="Local (embedded) (local)")
    p.get_by_role("button", name="Create model").click()
    expect(p.get_by_role("heading", name="IT desk")).to_be_visible()
    page.axe()

    # Inline add, with an empty question refused next to its field.
    p.get_by_text("Add a Q&A").click()
    p.get_by_role("button", name="Add", exact=True).click()
    expect(p.locator("#question-error")).to_be_visible()
    p.get_by_label("Question", exact=True).fill("Who fixes the coffee machine?")
    p.get_by_label("Answer (empty: the model should not answer this)").fill(
        "Facilities fixes the coffee machine."
    )
    p.get_by_role("button", name="Add", exact=True).click()
    row = p.locator("tr", has_text="Who fixes the coffee machine?")
    expect(row).to_be_visible()

    # A bad file: nothing imported, every bad row reported in a table.
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV)
    p.get_by_text("Import or export").click()
    p.get_by_label(re.compile("CSV or JSONL file")).set_input_files(str(bad))
    p.get_by_role("button", name="Import").click()
    expect(p.locator("#import-error")).to_contain_text("nothing was imported")
    errors = p.locator("table.import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.first).to_contain_text("question")
    page.axe()
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV)
    p.get_by_label(re.compile("CSV or JSONL file")).set_input_files(str(good))
    p.get_by_role("button", name="Import").click()
    expect(p.get_by_role("status")).to_contain_text("Imported 6")
    expect(p.locator("caption", has_text="Q&A(s)")).to_contain_text("7 Q&A(s)")

    # Inline edit and deactivate (htmx, no reload), then filter.
    row = p.locator("tr", has_text="Who fixes the coffee machine?")
    row.get_by_role("link", name=re.compile("Edit")).click()
    editor = p.locator("tr", has=p.get_by_role("button", name="Save"))
    editor.get_by_label("Section").fill("Office")
    editor.get_by_role("button", name="Save").click()
    row = p.locator("tr", has_text="Who fixes the coffee machine?")
    expect(row).to_contain_text("Office")
    row.get_by_role("button", name=re.compile("Deactivate")).click()
    expect(p.locator("tr", has_text="Who fixes the coffee machine?")).to_contain_text("inactive")
    p.get_by_label("Search text").fill("VPN")
    p.get_by_role("button", name="Filter").click()
    expect(p.locator("#qa-table tbody tr")).to_have_count(3)
    page.axe()

    # Compile and watch the progress to the end; then the build log with its validation table.
    p.get_by_role("link", name="Builds").click()
    p.get_by_role("button", name="Compile").click()
    # The progress panel polls while the build runs (a small build may already be done when the page opens).
    running = p.get_by_role("heading", name="Progress")
    expect(running.or_(p.locator("h2 .tag", has_text="succeeded"))).to_be_visible()
    if running.is_visible():
        expect(p.locator(".progress [role=status]")).to_contain_text("%")
        page.axe()
    expect(p.get_by_role("heading", name="Build log")).to_be_visible()
    expect(p.locator(".tag", has_text="succeeded")).to_be_visible(timeout=120_000)
    expect(p.locator("pre.log")).to_contain_text("Validation:")
    expect(p.locator(".tag", has_text="active")).to_be_visible()
    misses = p.locator("table.misses tbody tr")  # no training answer matches it: always a miss
    expect(misses).to_have_count(1)
    expect(misses).to_contain_text("Who signs the VPN request form?")
    page.axe()
    page.shoot("build-log")
    first_build = p.url
    p.get_by_role("link", name="Builds").click()
    expect(p.locator("tbody tr").first).to_contain_text("active")

    # A second build becomes active; rolling back re-activates the first.
    p.get_by_role("button", name="Compile").click()
    expect(p.locator("h2 .tag", has_text="succeeded")).to_be_visible(timeout=120_000)
    p.goto(first_build)
    expect(p.locator("h2 .tag", has_text="active")).to_have_count(0)
    p.get_by_role("button", name="Roll back to this build").click()
    expect(p.locator("h2 .tag", has_text="active")).to_be_visible()

    # Ask: the answer, its confidence, where it came from; the question joins the hit history.
    p.get_by_role("link", name="Ask").click()
    p.get_by_label("Your question").fill("How do I reset my password?")
    p.get_by_role("button", name="Ask").click()
    expect(p.locator(".answer-text")).to_have_text("Use the Forgot password link on the sign-in page.")
    expect(p.locator("#answer")).to_contain_text("Confidence")
    expect(p.locator("#answer").get_by_role("link", name=re.compile("Q&A"))).to_have_count(1, timeout=5000)
    hit = p.locator("tr", has_text="How do I reset my password?")
    expect(hit).to_be_visible()
    page.axe()
    hit.get_by_role("link", name="Make this a Q&A").click()
    expect(p.get_by_label("Question", exact=True)).to_have_value("How do I reset my password?")
