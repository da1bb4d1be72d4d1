"""Server time of the web pages on SQLite with a 20,000-Q&A model and a 5,000-comment chat group.

Each page is requested ``--runs`` times in-process (FastAPI's TestClient, signed in with a browser
session cookie) after a warm-up; prints p50 / p95 in milliseconds. Target: p95 <= 150 ms each.

    .venv/bin/python bench/web_pages.py [--qas 20000] [--comments 5000] [--runs 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ["ERPAI_DATA_DIR"] = tempfile.mkdtemp(prefix="erpai-bench-web-")
os.environ["ERPAI_DATABASE_URL"] = ""

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from erpai.ai_models.models import AIModel  # noqa: E402
from erpai.api import create_app  # noqa: E402
from erpai.chat.models import ChatComment, ChatGroup, ChatMember  # noqa: E402
from erpai.config import get_settings  # noqa: E402
from erpai.db import session_factory, utcnow  # noqa: E402
from erpai.migrate import upgrade  # noqa: E402
from erpai.providers.models import Provider  # noqa: E402
from erpai.qas.models import ModelQA  # noqa: E402
from erpai.users.models import User  # noqa: E402
from erpai.users.service import create_token  # noqa: E402
from erpai.web.deps import COOKIE  # noqa: E402
from erpai.web.sessions import sign_in  # noqa: E402

TOPICS = [
    "invoice",
    "payroll",
    "vacation",
    "printer",
    "vpn",
    "expenses",
    "parking",
    "contract",
    "laptop",
    "badge",
]


def seed(n_qas: int, n_comments: int) -> tuple[str, int, int]:
    """Returns (session cookie, model id, group id)."""
    upgrade(get_settings().resolved_database_url)
    with session_factory()() as session:
        admin = User(login="admin", name="Admin", is_admin=True)
        provider = Provider(name="Local", kind="local", base_model_name="local")
        session.add_all([admin, provider])
        session.flush()
        model = AIModel(name="Big", provider_id=provider.id, build_assistant=False)
        session.add(model)
        session.flush()
        rows = [
            {
                "model_id": model.id,
                "question": f"Question {i} about the {TOPICS[i % len(TOPICS)]} process number {i // 7}?",
                "answer": f"Answer {i % 500}: see the {TOPICS[i % len(TOPICS)]} handbook, chapter {i % 40}.",
                "qa_type": "V" if i % 10 == 0 else "T",
                "section": f"Section {i % 25}",
                "is_active": i % 13 != 0,
                "added_by_user_id": admin.id,
            }
            for i in range(n_qas)
        ]
        session.execute(insert(ModelQA), rows)
        group = ChatGroup(name="Busy", created_by_user_id=admin.id, last_interaction_time_utc=utcnow())
        session.add(group)
        session.flush()
        session.add(ChatMember(group_id=group.id, user_id=admin.id, role="A"))
        comments = [
            {"group_id": group.id, "user_id": admin.id, "text": f"Comment {i} on the {TOPICS[i % 10]} topic"}
            for i in range(n_comments)
        ]
        session.execute(insert(ChatComment), comments)
        session.commit()
        token = create_token(session, user_id=admin.id, name="bench")[1]
        cookie, _ = sign_in(session, token=token)
        return cookie, model.id, group.id


def measure(client: TestClient, path: str, runs: int) -> tuple[float, float]:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qas", type=int, default=20_000)
    parser.add_argument("--comments", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    started = time.perf_counter()
    cookie, model_id, group_id = seed(args.qas, args.comments)
    print(f"seeded {args.qas} Q&As and {args.comments} comments in {time.perf_counter() - started:.1f} s")
    pages = {
        "model tree (/models)": "/models",
        "model page, Q&A tab first page": f"/models/{model_id}/qas",
        "Q&A tab filtered (3 filters)": f"/models/{model_id}/qas?q=payroll&qa_type=training&active=yes",
        "Q&A tab, page 200": f"/models/{model_id}/qas?offset=10000",
        "builds tab": f"/models/{model_id}/builds",
        "chat page (latest 50 of 5,000)": f"/chat/{group_id}",
    }
    with TestClient(create_app(startup_tasks=False), cookies={COOKIE: cookie}) as client:
        print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8}")
        for name, path in pages.items():
            p50, p95 = measure(client, path, args.runs)
            flag = "" if p95 <= 150 else "  (over 150 ms)"
            print(f"{name:40} {p50:8.1f} {p95:8.1f}{flag}")


if __name__ == "__main__":
    main()
