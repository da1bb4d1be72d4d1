"""Small builders for compile tests: committed rows that background jobs can see."""

from __future__ import annotations

from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.providers.models import Provider
from erpai.qas.models import ModelQA
from erpai.security import hash_token
from erpai.users.models import ApiToken, User

HR_QAS = [
    ("How many days of paid leave do I get per year?", "You get 25 working days of paid leave a year."),
    ("How much annual vacation do employees have?", "You get 25 working days of paid leave a year."),
    ("Where do I submit my expense reports?", "Submit expense reports in the Finance portal under Expenses."),
    ("How do I file travel expenses?", "Submit expense reports in the Finance portal under Expenses."),
    ("What is the Wi-Fi password in the office?", "The guest Wi-Fi password is on the card at reception."),
    (
        "How do I connect to the office wireless network?",
        "The guest Wi-Fi password is on the card at reception.",
    ),
    (
        "Who approves purchase orders above 10,000 EUR?",
        "Purchase orders above 10,000 EUR need the CFO's approval.",
    ),
    (
        "Which manager must sign off big purchase orders?",
        "Purchase orders above 10,000 EUR need the CFO's approval.",
    ),
]
HR_VALIDATION = [
    ("How many vacation days per year do I have?", "You get 25 working days of paid leave a year."),
    (
        "Where can I hand in my expense claims?",
        "Submit expense reports in the Finance portal under Expenses.",
    ),
    ("What's the recipe for banana bread?", ""),
]


def admin_with_token(session: Session, login: str = "boss") -> tuple[User, dict[str, str]]:
    user = User(login=login, name=login.title(), is_admin=True)
    session.add(user)
    session.flush()
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(f"tok-{login}"), token_prefix="tok"))
    session.commit()
    return user, {"Authorization": f"Bearer tok-{login}"}


def local_provider(session: Session) -> Provider:
    provider = Provider(name="Local", kind="local", base_model_name="local")
    session.add(provider)
    session.commit()
    return provider


def model_with_qas(
    session: Session,
    *,
    name: str,
    user: User,
    provider: Provider | None,
    qas: list[tuple[str, str]] = HR_QAS,
    validation: list[tuple[str, str]] = HR_VALIDATION,
    parent: AIModel | None = None,
) -> AIModel:
    model = AIModel(
        name=name,
        provider_id=provider.id if provider else None,
        parent_model_id=parent.id if parent else None,
        build_assistant=False,
        system_message=f"You are the {name} assistant.",
    )
    session.add(model)
    session.flush()
    for qa_type, rows in (("T", qas), ("V", validation)):
        for question, answer in rows:
            session.add(
                ModelQA(
                    model_id=model.id,
                    question=question,
                    answer=answer,
                    qa_type=qa_type,
                    added_by_user_id=user.id,
                )
            )
    session.commit()
    return model
