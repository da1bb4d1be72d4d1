"""Phone-sized screens and keyboard use."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.web.conftest import LiveServer
from tests.web.helpers import Checked


def test_pages_fit_a_360_px_screen(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    raw = context.new_page()
    errors: list[str] = []
    raw.on("pageerror", lambda exc: errors.append(str(exc)))
    page = Checked(raw, errors)
    world = live_server.world
    page.sign_in(world["admin_token"], then="/models")
    model, group = world["facilities_id"], world["office_group_id"]
    tabs = [f"/models/{model}/{tab}" for tab in ("qas", "builds", "conversations", "ask", "edit")]
    for path in ["/models", *tabs, f"/chat/{group}", "/providers", "/users", "/notifications"]:
        page.visit(path)
        overflow = raw.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than the screen"
    assert not page.errors
    context.close()


def test_sign_in_and_navigate_with_the_keyboard_only(page: Checked, live_server: LiveServer) -> None:
    p = page.page
    page.visit("/sign-in")
    for _ in range(10):
        p.keyboard.press("Tab")
        if p.evaluate("() => document.activeElement.id") == "f-token":
            break
    p.keyboard.type(live_server.world["admin_token"])
    p.keyboard.press("Enter")
    expect(p.get_by_role("button", name="Sign out")).to_be_visible()
    for _ in range(10):
        p.keyboard.press("Tab")
        if p.evaluate("() => document.activeElement.textContent") == "Chat":
            break
    p.keyboard.press("Enter")
    expect(p.get_by_role("heading", name="Chat", exact=True)).to_be_visible()
