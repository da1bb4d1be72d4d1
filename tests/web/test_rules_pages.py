"""An admin writes a rule in the editor, tries it, saves records that fire it, and reads the run log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI
from tests.web.conftest import LiveServer
from tests.web.helpers import Checked


@pytest.fixture
def rules_model(live_server: LiveServer) -> Iterator[FakeOpenAI]:
    """A default model on the local fake server for this test; the demo's default comes back afterwards."""
    headers = {"Authorization": f"Bearer {live_server.world['admin_token']}"}
    api = httpx.Client(base_url=f"{live_server.url}/api/v1", headers=headers, timeout=30)
    suffix = uuid.uuid4().hex[:6]
    previous = api.get("/models", params={"is_default": True}).json()["items"]
    with FakeOpenAI() as fake:
        provider = api.post(
            "/providers",
            json={
                "name": f"Rules fake {suffix}",
                "kind": "openai",
                "base_model_name": "gpt-4o-mini",
                "config": {"base_url": fake.url, "max_retries": 0},
            },
        ).json()
        model = api.post(
            "/models", json={"name": f"Rules {suffix}", "is_default": True, "provider_id": provider["id"]}
        ).json()
        try:
            yield fake
        finally:
            if previous:
                api.patch(f"/models/{previous[0]['id']}", json={"is_default": True})
            api.delete(f"/models/{model['id']}")
            api.delete(f"/providers/{provider['id']}")
            api.close()


def test_rule_editor_try_it_records_and_run_log(
    page: Checked, live_server: LiveServer, rules_model: FakeOpenAI
) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/rules")
    p.get_by_role("link", name="New rule").click()
    page.axe()
    expect(p.locator("#fields-help")).to_contain_text("{ShortName}")
    p.get_by_label("Name", exact=True).fill("Short name")
    p.get_by_label("Event").select_option("attribute_changed")
    p.get_by_label("Attribute (for 'attribute changed')").fill("Name")
    p.get_by_label("Actions (JSON").fill(
        '[{"type": "AISET", "attribute": "ShortName", "prompt": "Abbreviate {Nmae}"}]'
    )
    p.get_by_role("button", name="Create rule").click()
    expect(p.locator("#actions-error")).to_contain_text("unknown field '{Nmae}'")
    page.axe()
    p.get_by_label("Actions (JSON").fill(
        '[{"type": "AISET", "attribute": "ShortName", "prompt": "Abbreviate {Name}"}]'
    )
    p.get_by_role("button", name="Create rule").click()
    expect(p.get_by_role("heading", name="Rule Short name")).to_be_visible()
    rules_model.script("DESK")
    p.get_by_label("…or the record as JSON").fill('{"Name": "Desk"}')
    p.get_by_role("button", name="Try it").click()
    expect(p.locator("#try-result")).to_contain_text("short_name")
    expect(p.locator("#try-result")).to_contain_text("DESK")
    page.axe()
    page.visit("/records/products/new")
    rules_model.script("CHR")
    p.get_by_label("Name (en)").fill("Chair")
    p.get_by_role("button", name="Create").click()
    expect(p.get_by_label("Short name")).to_have_value("CHR")
    page.axe()
    page.visit("/records/products")
    expect(p.get_by_role("row", name="Chair")).to_contain_text("CHR")
    page.visit("/rules/runs?outcome=set")
    expect(p.get_by_role("row", name="Abbreviate Chair")).to_contain_text("CHR")


def test_record_form_shows_a_blocking_rule_and_a_warning(
    page: Checked, live_server: LiveServer, rules_model: FakeOpenAI
) -> None:
    headers = {"Authorization": f"Bearer {live_server.world['admin_token']}"}
    rule = httpx.post(
        f"{live_server.url}/api/v1/rules",
        json={
            "name": "Real party",
            "entity": "parties",
            "event": "create",
            "actions": [
                {"type": "AIVALIDATE", "prompt": "Is '{Name}' real?", "message": "'{Name}' is not real"},
                {"type": "AIWARNING", "prompt": "Is '{Name}' a company?", "message": "'{Name}' is a person?"},
            ],
        },
        headers=headers,
    ).json()
    try:
        p = page.page
        page.sign_in(live_server.world["admin_token"], then="/records/parties/new")
        rules_model.script("false")
        p.get_by_label("Name").fill("Zzyzx")
        p.get_by_role("button", name="Create").click()
        expect(p.get_by_role("alert").first).to_contain_text("'Zzyzx' is not real")
        page.axe()
        page.visit("/records/parties?q=Zzyzx")
        expect(p.get_by_role("cell", name="No records.")).to_be_visible()
        page.visit("/records/parties/new")
        rules_model.script("true", "no")
        p.get_by_label("Name").fill("Ann Lee")
        p.get_by_role("button", name="Create").click()
        expect(p.get_by_role("alert").first).to_contain_text("'Ann Lee' is a person?")
        expect(p.get_by_role("status")).to_contain_text("Saved.")
        page.axe()
    finally:
        httpx.delete(f"{live_server.url}/api/v1/rules/{rule['id']}", headers=headers)
