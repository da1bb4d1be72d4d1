"""The notifications bell refreshes itself on an open page."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.web.conftest import LiveServer
from tests.web.helpers import Checked


def _api(live_server: LiveServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {live_server.world['admin_token']}"}
    return httpx.request(method, f"{live_server.url}/api/v1{path}", headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def test_a_finished_compile_shows_on_the_bell_with_no_reload(page: Checked, live_server: LiveServer) -> None:
    setting = _api(live_server, "PUT", "/settings/web.bell_refresh_seconds", json={"value": 1})
    assert setting.status_code == 200, setting.text
    try:
        page.sign_in(live_server.world["admin_token"], then="/notifications")
        mark_all = page.page.get_by_role("button", name="Mark all read")
        if mark_all.count():
            mark_all.click()
        expect(page.page.locator("#unread-count")).to_have_count(0)
        # a model of its own: the other browser tests count the demo models' builds
        demo = _api(live_server, "GET", f"/models/{live_server.world['facilities_id']}").json()
        body = {"name": "Bell test", "build_assistant": False, "provider_id": demo["provider_id"]}
        model = _api(live_server, "POST", "/models", json=body)
        assert model.status_code == 201, model.text
        qa = {"model_id": model.json()["id"], "question": "Where is the bell?", "answer": "At the door."}
        assert _api(live_server, "POST", "/qas", json=qa).status_code == 201
        started = _api(live_server, "POST", f"/models/{model.json()['id']}/compile", json={})
        assert started.status_code in (200, 201, 202), started.text
        expect(page.page.locator("#unread-count")).to_have_text("1", timeout=60_000)
        assert page.page.url.endswith("/notifications")  # the page itself was not reloaded
    finally:
        _api(live_server, "DELETE", "/settings/web.bell_refresh_seconds")
