"""A running compile shows its stage, percent and a partial log in GET /compilations/{id}."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.compilations.jobs import run_compilation
from erpai.compilations.progress import overall_percent
from erpai.compilations.service import start_compilation
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas


def test_overall_percent_follows_the_stages() -> None:
    assert overall_percent("snapshot", 0, 1) == 0
    assert overall_percent("embedding", 0, 100) == 5
    assert overall_percent("embedding", 50, 100) == 42
    assert overall_percent("embedding", 100, 100) == 80
    assert overall_percent("done", 1, 1) == 100
    assert overall_percent("embedding", 150, 100) == 80  # never beyond its stage


def test_progress_is_visible_while_the_build_runs_and_kept_after(
    live_client: TestClient, live_session: Session
) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    compilation = start_compilation(live_session, model_id=model.id, user_id=user.id)
    url = f"/api/v1/compilations/{compilation.id}"
    seen: list[dict[str, Any]] = []

    def watch(stage: str, _done: int, _total: int) -> None:
        """Called by the running job: wait until the API shows this stage (flushed every 0.5 s)."""
        if stage not in ("training", "evaluating") or any(s["progress"]["stage"] == stage for s in seen):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            body = live_client.get(url, headers=headers).json()
            if body["progress"] and body["progress"]["stage"] == stage:
                seen.append(body)
                return
            time.sleep(0.1)
        raise AssertionError(f"stage {stage} never showed: {body}")

    run_compilation(compilation_id=compilation.id, progress=watch)
    assert [s["progress"]["stage"] for s in seen] == ["training", "evaluating"]
    running = seen[0]
    assert running["status"] == "R" and 80 <= running["progress"]["percent"] < 100
    assert "snapshot" in running["progress_log"] and "embedding" in running["progress_log"]
    assert running["build_log"] is None
    done = live_client.get(url, headers=headers).json()
    assert done["is_successful"] is True and done["progress"] == {"stage": "done", "percent": 100}
    assert "Validation:" in done["build_log"]
