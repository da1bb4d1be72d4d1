"""The AI tools' web pages without a browser (both databases, the local OpenAI-wire server as provider):
"Fill from text or e-mail (AI)" on leads, "Create task" on a chat comment, "Translate" on a record."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.chat.models import ChatComment
from erpai.records.models import Lead, Product, Todo
from erpai.settings.service import set_setting
from erpai.users.models import User
from tests.ai_tools.helpers import API_KEY, use_fake_provider
from tests.fakes.openai_server import FakeOpenAI

Actor = tuple[User, dict[str, str]]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TEXT = "Hi, Jane Roe here, buyer at Roe Trading Ltd. Call me on +44 20 7946 0958 or jane@roe.example."


def _sign_in(client: TestClient, headers: dict[str, str]) -> str:
    """Signs the test client in with the actor's API token; returns the session's CSRF token."""
    token = headers["Authorization"].split(" ", 1)[1]
    form = CSRF.search(client.get("/sign-in").text)
    assert form is not None
    data = {"token": token, "csrf_token": form.group(1), "next": "/records/leads"}
    assert client.post("/sign-in", data=data, follow_redirects=False).status_code == 303
    page = CSRF.search(client.get("/records/leads").text)
    assert page is not None
    return page.group(1)


def test_fill_a_lead_from_text_review_flags_and_duplicates(
    client: TestClient, db: Session, admin: Actor
) -> None:
    csrf = _sign_in(client, admin[1])
    assert "Fill from text or e-mail (AI)" in client.get("/records/leads").text
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        truth = {
            "first_name": "Jane",
            "last_name": "Roe",
            "company": "Roe Trading Ltd",
            "email": "jane@roe.example",
        }
        fake.chat_reply = json.dumps(
            truth | {"phone": "+1 202 555 0100", "role": "buyer", "notes": "Wants a call."}
        )
        review = client.post("/leads/fill", data={"text": TEXT, "csrf_token": csrf})
    assert review.status_code == 200, review.text
    assert (
        'value="jane@roe.example"' in review.text
        and "Phone — check: not found in the document" in review.text
    )
    fields = {
        "first_name": "Jane",
        "last_name": "Roe",
        "email": "jane@roe.example",
        "company": "Roe Trading Ltd",
    }
    form = fields | {"source": "text", "allow_duplicate": "false", "csrf_token": csrf}
    saved = client.post("/leads/fill/save", data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].startswith("/records/leads/")
    lead = db.scalars(select(Lead)).one()
    assert (lead.company_name, lead.source) == ("Roe Trading Ltd", "text")
    again = client.post("/leads/fill", data={"text": TEXT, "csrf_token": csrf})  # provider gone: parsers
    assert "This lead may already exist" in again.text and f"/records/leads/{lead.id}" in again.text
    refused = client.post("/leads/fill/save", data=form)
    assert refused.status_code == 409 and "save with allow_duplicate" in refused.text
    forced = client.post("/leads/fill/save", data=form | {"allow_duplicate": "true"}, follow_redirects=False)
    assert forced.status_code == 303
    empty = client.post("/leads/fill", data={"text": " ", "csrf_token": csrf})
    assert empty.status_code == 422 and "paste a text" in empty.text


def test_create_task_on_a_comment_with_and_without_a_provider(
    client: TestClient, db: Session, admin: Actor, member: Actor
) -> None:
    group = client.post(
        "/api/v1/chat/groups", json={"name": "Ops", "member_ids": [admin[0].id]}, headers=member[1]
    )
    group_id = group.json()["id"]
    posted = client.post(
        f"/api/v1/chat/groups/{group_id}/comments", json={"text": "Order paper"}, headers=member[1]
    )
    comment_id = posted.json()["id"]
    csrf = _sign_in(client, member[1])
    assert "Create task" in client.get(f"/chat/{group_id}").text
    url = f"/chat/{group_id}/comments/{comment_id}/todo"
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf}
    no_ai = client.post(url, data={"title": ""}, headers=htmx)
    assert (
        no_ai.status_code == 200
        and "&#39;chat&#39; capability" in no_ai.text
        and db.scalar(select(Todo)) is None
    )
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_reply = json.dumps({"title": "Order printer paper"})
        created = client.post(url, data={"title": ""}, headers=htmx)
    assert created.status_code == 200 and "Order printer paper" in created.text and "(AI, en)" in created.text
    line = db.scalars(select(ChatComment).where(ChatComment.is_system.is_(True))).one()
    assert line.text == "Task 'Order printer paper' was assigned to the group"
    chat = client.get(f"/chat/{group_id}").text
    assert "comment system" in chat and "was assigned to the group" in chat


def test_translate_button_on_the_record_page(client: TestClient, db: Session, admin: Actor) -> None:
    set_setting(db, key="records.active_languages", value="en,de", actor=None)
    product = Product(name={"en": "Desk lamp"})
    db.add(product)
    db.commit()
    csrf = _sign_in(client, admin[1])
    page = client.get(f"/records/products/{product.id}")
    assert "Translate with AI" in page.text and "Translate name" in page.text
    url = f"/records/products/{product.id}/translate"
    refused = client.post(url, data={"field": "name", "csrf_token": csrf})
    assert refused.status_code == 422 and "&#39;chat&#39; capability" in refused.text
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_reply = json.dumps({"de": "Schreibtischlampe"})
        done = client.post(url, data={"field": "name", "target_language": "", "csrf_token": csrf})
    assert done.status_code == 200 and "Translated into: de." in done.text
    db.expire_all()
    assert db.get(Product, product.id).name == {"en": "Desk lamp", "de": "Schreibtischlampe"}  # type: ignore[union-attr]
