"""Users and tokens (admin), training conversations edited by hand, the notifications bell."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.conftest import LiveServer
from tests.web.helpers import Checked


def test_an_admin_creates_a_user_and_a_token_shown_only_once(page: Checked, live_server: LiveServer) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/users")
    p.get_by_label("Login").fill("bad login!")
    p.get_by_label("Name", exact=True).fill("Nina")
    p.get_by_role("button", name="Create user").click()
    expect(p.locator("#login-error")).to_be_visible()
    p.get_by_label("Login").fill("nina")
    p.get_by_role("button", name="Create user").click()
    expect(p.get_by_role("heading", name=re.compile("Nina"))).to_be_visible()
    p.get_by_label("Assistant model").select_option(label="Facilities")
    p.get_by_role("button", name="Save").click()
    expect(p.get_by_label("Assistant model")).to_have_value(str(live_server.world["facilities_id"]))
    p.get_by_role("button", name="Create token").click()
    token = p.get_by_label("Token", exact=True).input_value()
    assert token.startswith("erp_")
    page.axe()
    p.goto(p.url.removesuffix("/tokens"))  # the user's page, opened again, never shows it
    assert token not in p.content()
    expect(p.get_by_role("cell", name=token[:10] + "…")).to_be_visible()
    p.get_by_role("button", name=re.compile("Revoke token")).click()
    expect(p.get_by_role("cell", name="revoked")).to_be_visible()


def test_a_training_conversation_is_written_by_hand(page: Checked, live_server: LiveServer) -> None:
    p = page.page
    page.sign_in(
        live_server.world["admin_token"], then=f"/models/{live_server.world['facilities_id']}/conversations"
    )
    p.get_by_role("button", name="New conversation").click()
    expect(p.get_by_role("heading", name=re.compile("Training conversation #"))).to_be_visible()
    p.get_by_role("button", name="Add message").click()
    expect(p.locator("#content-error")).to_be_visible()
    p.locator("#new-f-content").fill("Where is the first-aid kit?")
    p.get_by_role("button", name="Add message").click()
    p.locator("#new-f-role").select_option("assistant")
    p.locator("#new-f-content").fill("In the kitchen, above the sink.")
    p.get_by_role("button", name="Add message").click()
    expect(p.locator("ol.notes > li")).to_have_count(2)
    p.locator("ol.notes > li").nth(1).get_by_label("Message").fill("In the kitchen, left of the sink.")
    p.get_by_role("button", name="Save message 2").click()
    expect(p.locator("ol.notes > li").nth(1).get_by_label("Message")).to_have_value(
        "In the kitchen, left of the sink."
    )
    p.get_by_role("button", name="Remove message 1").click()
    expect(p.locator("ol.notes > li")).to_have_count(1)
    page.axe()


def test_the_bell_counts_unread_notifications_and_marks_them_read(
    page: Checked, live_server: LiveServer
) -> None:
    p = page.page
    page.sign_in(live_server.world["admin_token"], then="/notifications")
    bell = p.get_by_role("link", name=re.compile("Notifications: \\d+ unread"))
    expect(bell).to_be_visible()
    unread = int(re.findall(r"\d+", bell.get_attribute("aria-label") or "")[0])
    assert unread >= 1  # the world's compile notified the admin
    p.get_by_role("button", name="Mark read").first.click()
    expect(p.get_by_role("link", name=f"Notifications: {unread - 1} unread")).to_be_visible()
    if unread > 1:
        p.get_by_role("button", name="Mark all read").click()
    expect(p.get_by_role("link", name="Notifications: 0 unread")).to_be_visible()
    page.axe()
