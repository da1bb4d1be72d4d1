"""Fine-tune training data from conversations and Train AI corrections; the DPO stage; the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.compilations.finetune import suffix_for, training_data
from erpai.compilations.models import Compilation
from erpai.compilations.snapshot import take_snapshot
from erpai.config import get_settings
from erpai.training.models import PreferencePair, TrainingConversation, TrainingConversationMessage
from tests.answering.helpers import TEST_KEY, openai_provider
from tests.compilations.factories import HR_QAS, admin_with_token, model_with_qas
from tests.fakes.openai_server import FakeOpenAI

WRONG, RIGHT = "You get 20 days.", "No: you get 25 working days of paid leave a year."


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setattr(get_settings(), "fine_tune_poll_seconds", 0.01)
    with FakeOpenAI(api_key=TEST_KEY) as server:
        yield server


def _corrected_conversation(session: Session, model: AIModel, pairs: int = 1) -> None:
    conversation = TrainingConversation(model_id=model.id)
    session.add(conversation)
    session.flush()
    turns = [("U", "Jane Doe", "How much leave do I get?"), ("A", "HR", WRONG), ("U", "Max", RIGHT)]
    for number, (role, name, text) in enumerate(turns, start=1):
        session.add(
            TrainingConversationMessage(
                training_conversation_id=conversation.id,
                message_no=number,
                participant_role=role,
                participant_name=name,
                contents=text,
            )
        )
    for index in range(pairs):
        prompt = "How much leave do I get?" + (f" ({index})" if index else "")
        session.add(
            PreferencePair(
                training_conversation_id=conversation.id,
                prompt=prompt,
                rejected_answer=WRONG,
                corrected_answer=RIGHT,
            )
        )
    session.commit()


def test_corrections_are_learnt_and_the_rejected_answer_is_not(db: Session) -> None:
    user, _ = admin_with_token(db)
    model = model_with_qas(db, name="HR", user=user, provider=None)
    _corrected_conversation(db, model)
    sft, dpo = training_data(db, model=model, inputs=take_snapshot(db, model=model))
    assert len(sft) == len(HR_QAS) + 1  # the conversation's only AI answer was corrected: no example of it
    assert sft[len(HR_QAS)]["messages"][1:] == [
        {"role": "user", "content": "How much leave do I get?"},
        {"role": "assistant", "content": RIGHT},
    ]
    assert dpo[0]["preferred_output"] == [{"role": "assistant", "content": RIGHT}]
    assert dpo[0]["non_preferred_output"] == [{"role": "assistant", "content": WRONG}]


def test_a_rejected_turn_stays_as_context_with_weight_zero(db: Session) -> None:
    user, _ = admin_with_token(db)
    model = model_with_qas(db, name="HR", user=user, provider=None, qas=[])
    _corrected_conversation(db, model)
    conversation = db.scalars(select(TrainingConversation)).one()
    db.add(
        TrainingConversationMessage(
            training_conversation_id=conversation.id,
            message_no=4,
            participant_role="A",
            contents="Thanks, Max.",
        )
    )
    db.commit()
    sft, _ = training_data(db, model=model, inputs=take_snapshot(db, model=model))
    messages = sft[-1]["messages"]
    assert messages[1] == {"role": "user", "name": "Jane_Doe", "content": "How much leave do I get?"}
    assert messages[2] == {"role": "assistant", "name": "HR", "content": WRONG, "weight": 0}
    assert messages[-1]["content"] == "Thanks, Max." and "weight" not in messages[-1]


def test_suffixes_are_slugs_of_at_most_18_characters() -> None:
    assert suffix_for("Customer Support (EU) + Tier 2") == "customer-support-e"
    assert suffix_for("***") == "erpai"


def test_the_dpo_stage_runs_on_the_supervised_model(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    user, _ = admin_with_token(live_session)
    provider = openai_provider(live_session, fake, fine_tune_preferences=True)
    model = model_with_qas(live_session, name="HR", user=user, provider=provider)
    _corrected_conversation(live_session, model, pairs=10)
    runner = CliRunner()
    result = runner.invoke(app, ["compile", "HR", "--kind", "fine-tune", "--as", "boss"])
    assert result.exit_code == 0, result.output
    first, second = fake.jobs.values()
    assert first.method == {"type": "supervised"} and second.method == {"type": "dpo"}
    assert second.model == f"ft:gpt-4o-mini:erpai:hr:{first.id[-6:]}"
    assert "fine-tune data (dpo): 10 examples" in result.output and "dpo: job" in result.output
    dpo_file = fake.files[second.training_file]["content"].decode().splitlines()
    assert json.loads(dpo_file[0])["preferred_output"][0]["content"] == RIGHT


def test_cli_build_cancel_ends_a_queued_build(live_session: Session) -> None:
    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=None)
    queued = Compilation(model_id=model.id, user_id=user.id, kind="fine_tune", status="N")
    live_session.add(queued)
    live_session.commit()
    result = CliRunner().invoke(app, ["build", "cancel", str(queued.id), "--as", "boss"])
    assert result.exit_code == 0 and "cancelled by boss" in result.output
    again = CliRunner().invoke(app, ["build", "cancel", str(queued.id), "--as", "boss"])
    assert again.exit_code != 0 and "is not running" in again.output
