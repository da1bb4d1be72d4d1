"""Sign-in with a token, sign-out, sessions that end with their token, CSRF on forms."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.web.conftest import LiveServer
from tests.web.helpers import Checked


def test_sign_in_shows_the_models_and_sign_out_ends_the_session(
    page: Checked, live_server: LiveServer
) -> None:
    page.visit("/models", status=200)  # redirected to the sign-in form
    assert "/sign-in" in page.page.url
    page.sign_in(live_server.world["admin_token"], then="/models")
    expect(page.page.get_by_role("heading", name="Models")).to_be_visible()
    expect(page.page.get_by_role("link", name="Facilities")).to_be_visible()
    page.page.get_by_role("button", name="Sign out").click()
    expect(page.page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.page.goto("/models")
    assert "/sign-in" in page.page.url


def test_a_wrong_token_is_named_next_to_its_field(page: Checked) -> None:
    page.visit("/sign-in")
    page.page.get_by_label("API token").fill("erp_not-a-real-token")
    page.page.get_by_role("button", name="Sign in").click()
    expect(page.page.locator("#token-error")).to_contain_text("not valid")
    expect(page.page.get_by_label("API token")).to_have_attribute("aria-invalid", "true")
    page.axe()


def test_a_revoked_token_ends_the_web_session(page: Checked, live_server: LiveServer) -> None:
    admin = {"Authorization": f"Bearer {live_server.world['admin_token']}"}
    user = httpx.post(
        f"{live_server.url}/api/v1/users", json={"login": "temp", "name": "Temp"}, headers=admin
    ).json()
    token = httpx.post(f"{live_server.url}/api/v1/users/{user['id']}/tokens", json={}, headers=admin).json()
    page.sign_in(token["token"], then="/chat")
    httpx.delete(f"{live_server.url}/api/v1/users/{user['id']}/tokens/{token['id']}", headers=admin)
    page.page.goto("/chat")
    assert "/sign-in" in page.page.url


def test_a_form_without_its_csrf_token_is_refused(page: Checked, live_server: LiveServer) -> None:
    page.sign_in(live_server.world["admin_token"], then="/models")
    cookies = {c["name"]: c["value"] for c in page.page.context.cookies()}
    response = httpx.post(
        f"{live_server.url}/models/new", data={"name": "Sneaky"}, cookies=cookies, follow_redirects=False
    )
    assert response.status_code == 403 and "security token" in response.text
