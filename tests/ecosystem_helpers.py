"""Compiled models for the ecosystem tests (OpenAI-compatible API, MCP, client, exports)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.jobs import run_compilation
from erpai.compilations.service import start_compilation
from erpai.providers.models import Provider
from erpai.users.models import User
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas

VACATION = "You get 25 working days of paid leave a year."


def compiled_model(
    session: Session, *, name: str = "HR Helper", provider: Provider | None = None, user: User | None = None
) -> tuple[AIModel, User]:
    """A model with the HR Q&As, compiled (retrieval build) and active; its admin owner."""
    owner = user or admin_with_token(session)[0]
    model = model_with_qas(session, name=name, user=owner, provider=provider or local_provider(session))
    compilation = start_compilation(session, model_id=model.id, user_id=owner.id)
    run_compilation(compilation_id=compilation.id)
    session.expire_all()
    refreshed = session.get(AIModel, model.id)
    assert refreshed is not None and refreshed.conversational_compilation_id == compilation.id
    return refreshed, owner
