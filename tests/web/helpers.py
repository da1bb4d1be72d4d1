"""What the browser tests share: a page wrapper that runs axe-core on every page it lands on."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

AXE = Path(__file__).parent / "assets" / "axe.min.js"
BLOCKING = {"serious", "critical"}
SHOTS = Path(os.environ.get("ERPAI_SCREENSHOTS_DIR", "")) if os.environ.get("ERPAI_SCREENSHOTS_DIR") else None
# Chromium logs a 4xx the test provokes on purpose (form error, forbidden page); 5xx are never excused.
EXPECTED_HTTP = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


class Checked:
    def __init__(self, page: Page, errors: list[str]) -> None:
        self.page = page
        self._errors = errors

    @property
    def errors(self) -> list[str]:
        return [e for e in self._errors if not EXPECTED_HTTP.search(e)]

    def axe(self) -> None:
        """No serious or critical accessibility violation on the current page."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(path=str(AXE))
        result: dict[str, Any] = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v.get("impact") in BLOCKING
        ]
        assert not bad, f"accessibility violations on {self.page.url}: {bad}"

    def visit(self, path: str, *, status: int = 200) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == status, (path, response and response.status)
        self.axe()

    def sign_in(self, token: str, *, then: str = "/") -> None:
        self.visit(f"/sign-in?next={then}")
        self.page.get_by_label("API token").fill(token)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()
        self.axe()

    def shoot(self, name: str) -> None:
        """Saves a screenshot into ERPAI_SCREENSHOTS_DIR (`make screenshots`), if set."""
        if SHOTS is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
