"""A plain user sees no configuration and gets 403 / 404 where the API does; a non-member sees no chat."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import LiveServer
from tests.web.helpers import Checked

ADMIN_PAGES = [
    "/providers",
    "/providers/new",
    "/users",
    "/models/new",
    "/models/1/edit",
    "/providers/1",
    "/users/1",
]


def test_a_plain_user_sees_no_configuration(page: Checked, live_server: LiveServer) -> None:
    p = page.page
    page.sign_in(live_server.world["maria_token"], then="/")
    expect(p.get_by_role("heading", name="Chat")).to_be_visible()
    nav = p.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Providers")).to_have_count(0)
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    for path in ADMIN_PAGES:
        page.visit(path, status=403)
        expect(p.get_by_role("heading", name="Not allowed")).to_be_visible()
    page.visit(f"/models/{live_server.world['facilities_id']}/builds")
    expect(p.get_by_role("button", name="Compile")).to_have_count(0)
    page.visit(f"/models/{live_server.world['facilities_id']}/ask")
    expect(p.get_by_role("heading", name="Hit history")).to_have_count(0)
    page.visit("/models/9999/qas", status=404)
    expect(p.get_by_role("heading", name="Not found")).to_be_visible()


@pytest.mark.parametrize(
    ("path", "api_path"),
    [("/chat/{group}", "/api/v1/chat/groups/{group}"), ("/providers", "/api/v1/providers")],
)
def test_pages_answer_as_the_api_does(
    page: Checked, live_server: LiveServer, path: str, api_path: str
) -> None:
    token = live_server.world["omar_token"]
    group = live_server.world["office_group_id"]
    expected = httpx.get(
        live_server.url + api_path.format(group=group), headers={"Authorization": f"Bearer {token}"}
    ).status_code
    assert expected in (403, 404)
    page.sign_in(token, then="/chat")
    page.visit(path.format(group=group), status=expected)


def test_a_plain_user_cannot_post_an_admin_form(page: Checked, live_server: LiveServer) -> None:
    page.sign_in(live_server.world["maria_token"], then="/chat")
    cookies = {c["name"]: c["value"] for c in page.page.context.cookies()}
    page.page.goto("/chat")
    csrf = page.page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = httpx.post(
        f"{live_server.url}/models/{live_server.world['facilities_id']}/compile",
        data={"kind": "retrieval", "csrf_token": csrf},
        cookies=cookies,
    )
    assert response.status_code == 403
