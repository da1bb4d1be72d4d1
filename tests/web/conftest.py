"""Browser tests: one live `erpai serve` on a fresh SQLite database and one Chromium for the session.

Chromium is Debian's (/usr/bin/chromium; `make test` installs it). Every page a test visits is checked
with axe-core (no serious or critical violations) and for console errors.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]

if not Path(CHROMIUM).exists():  # `make test` installs it (scripts/ensure_chromium.sh)
    pytest.skip(f"{CHROMIUM} is missing: run scripts/ensure_chromium.sh", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect  # noqa: E402

from tests.web.helpers import Checked  # noqa: E402

# The machine running the suite may be busy: give each expectation more than Playwright's 5 s.
expect.set_options(timeout=20_000)


@dataclass
class LiveServer:
    url: str
    world: dict[str, Any]
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"erpai serve exited with {process.returncode}; see its log")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("erpai serve did not start")


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    data_dir = Path(tempfile.mkdtemp(prefix="erpai-web-"))
    env = {**os.environ, "ERPAI_DATA_DIR": str(data_dir), "ERPAI_DATABASE_URL": "", "ERPAI_SECRET_KEY": ""}
    env.pop("ERPAI_USER", None)
    made = subprocess.run(
        [sys.executable, "-m", "tests.web.world", str(data_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    world = json.loads(made.stdout.decode().strip().splitlines()[-1])
    port = _free_port()
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 - open for the server's lifetime
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "erpai"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_until_up(url, process)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{(data_dir / 'serve.log').read_text()[-3000:]}") from exc
        yield LiveServer(url=url, world=world, data_dir=data_dir)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        # kept for a post-mortem of a failed run (the data directory goes)
        shutil.copy(data_dir / "serve.log", Path(tempfile.gettempdir()) / "erpai-web-serve-last.log")
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--headless", "--no-sandbox", "--disable-gpu"],
    }


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Checked]:
    """A page that collects console errors; ``checked.visit`` also runs axe on what it opens."""
    raw: Page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    raw.on("console", on_console)
    raw.on("pageerror", lambda exc: errors.append(str(exc)))
    checked = Checked(raw, errors)
    yield checked
    assert not checked.errors, f"console errors: {checked.errors}"
