"""The official ``openai`` SDK against a live erpai server: models, plain and streamed answers, errors."""

from __future__ import annotations

import openai
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.models import ModelHit
from erpai.model_access import service as access
from erpai.users.models import User
from tests.answering.helpers import openai_provider
from tests.compilations.factories import admin_with_token
from tests.ecosystem_helpers import VACATION, compiled_model
from tests.fakes.openai_server import FakeOpenAI

TOKEN = "tok-boss"  # admin_with_token's token


def _client(url: str, key: str = TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=60)


def test_models_list_and_a_curated_answer_recorded_with_channel_openai(
    live_url: str, live_session: Session
) -> None:
    model, _ = compiled_model(live_session, name="HR Helper")
    client = _client(live_url)
    ids = [m.id for m in client.models.list()]
    assert ids == ["hr-helper"]

    answer = client.chat.completions.create(
        model="hr-helper",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "how many vacation days a year?"},
        ],
    )
    assert answer.choices[0].message.content == VACATION
    assert answer.choices[0].finish_reason == "stop" and answer.model == "hr-helper"
    assert answer.usage is not None and answer.usage.completion_tokens > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens
    live_session.rollback()
    hit = live_session.scalars(select(ModelHit)).one()
    assert (hit.channel, hit.model_id, hit.answer, hit.answered) == ("openai", model.id, VACATION, True)
    assert answer.model_extra and answer.model_extra["erpai"]["hit_id"] == hit.id


def test_streamed_grounded_answer_comes_as_chunks_and_done(
    live_url: str, live_session: Session, fake: FakeOpenAI
) -> None:
    model, _ = compiled_model(live_session, name="HR Writer", provider=openai_provider(live_session, fake))
    live_session.execute(update(AIModel).values(prefer_curated_answer=False))
    live_session.commit()
    fake.chat_reply = "You have twenty-five working days of paid leave each year."
    stream = _client(live_url).chat.completions.create(
        model="hr-writer",
        messages=[
            {"role": "user", "content": "Hi!"},
            {"role": "assistant", "content": "Hello, how can I help?"},
            {"role": "user", "content": "how many paid vacation days do I get each year"},
        ],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == fake.chat_reply
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    sent = fake.requests_to("POST", "/v1/chat/completions")[-1].body
    assert sent["stream"] is True and VACATION in sent["messages"][1]["content"]
    assert {"role": "assistant", "content": "Hello, how can I help?"} in sent["messages"]
    live_session.rollback()
    hit = live_session.scalars(select(ModelHit)).one()
    assert hit.channel == "openai" and hit.answer == fake.chat_reply and hit.model_id == model.id


def test_no_build_and_no_chat_provider_answers_the_fallback(live_url: str, live_session: Session) -> None:
    admin_with_token(live_session)
    live_session.add(AIModel(name="Empty Desk", fallback_answer="Please ask the front desk."))
    live_session.commit()
    client = _client(live_url)
    plain = client.chat.completions.create(model="empty-desk", messages=[{"role": "user", "content": "hi"}])
    assert plain.choices[0].message.content == "Please ask the front desk."
    streamed = client.chat.completions.create(
        model="empty-desk", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == "Please ask the front desk."


def test_unknown_model_bad_key_and_bad_request_use_openai_errors(
    live_url: str, live_session: Session
) -> None:
    admin_with_token(live_session)
    client = _client(live_url)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.code == "model_not_found" and missing.value.param == "model"
    assert isinstance(missing.value.body, dict) and "nope" in missing.value.body["message"]

    with pytest.raises(openai.AuthenticationError) as bad_key:
        _client(live_url, key="wrong").models.list()
    assert bad_key.value.code == "invalid_api_key"
    assert isinstance(bad_key.value.body, dict) and bad_key.value.body["type"] == "invalid_request_error"

    live_session.add(AIModel(name="Desk"))
    live_session.commit()
    with pytest.raises(openai.BadRequestError) as last_not_user:
        client.chat.completions.create(model="desk", messages=[{"role": "assistant", "content": "hi"}])
    assert last_not_user.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as no_messages:
        client.chat.completions.create(model="desk", messages=[])
    assert no_messages.value.param == "messages"


def test_a_model_the_caller_may_not_use_is_hidden_and_refused(
    live_url: str, live_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_with_token(live_session)
    live_session.add_all([AIModel(name="Open Desk"), AIModel(name="Board Room")])
    live_session.commit()

    def may_use(session: Session, *, user: User, model: AIModel) -> bool:
        return model.name != "Board Room"  # the rule the permissions package will supply (use grants)

    monkeypatch.setattr(access, "may_use", may_use)
    client = _client(live_url)
    assert [m.id for m in client.models.list()] == ["open-desk"]
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(model="board-room", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.code == "model_not_permitted"
    live_session.rollback()
    assert live_session.scalars(select(ModelHit)).all() == []


def test_slug_collisions_get_the_model_id(live_url: str, live_session: Session) -> None:
    admin_with_token(live_session)
    first, second = AIModel(name="Sales EU"), AIModel(name="sales (eu)")
    live_session.add_all([first, second])
    live_session.commit()
    ids = [m.id for m in _client(live_url).models.list()]
    assert ids == ["sales-eu", f"sales-eu-{second.id}"]
    assert access.slugify("Ventes Équipe #1") == "ventes-equipe-1"
