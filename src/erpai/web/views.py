"""View data composed from the domains' services: the model tree and a model's build summary."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import list_models
from erpai.common import PageParams
from erpai.compilations.schemas import CompilationRead
from erpai.compilations.service import list_compilations
from erpai.providers.models import Provider
from erpai.providers.service import list_providers
from erpai.users.models import User

ALL = PageParams(limit=500, offset=0)


@dataclass
class ModelNode:
    model: AIModel
    last_compile: CompilationRead | None
    children: list[ModelNode] = field(default_factory=list)


def last_compilation(session: Session, *, model_id: int, actor: User) -> CompilationRead | None:
    rows, _ = list_compilations(session, params=PageParams(limit=1, offset=0), actor=actor, model_id=model_id)
    return rows[0] if rows else None


def model_tree(session: Session, *, actor: User) -> list[ModelNode]:
    """Every model under its parent, each with its last compile (the active build is on the model)."""
    models, _ = list_models(session, params=ALL)
    nodes = {m.id: ModelNode(m, last_compilation(session, model_id=m.id, actor=actor)) for m in models}
    roots: list[ModelNode] = []
    for node in nodes.values():
        parent = nodes.get(node.model.parent_model_id or 0)
        (parent.children if parent else roots).append(node)
    return roots


def model_choices(session: Session, *, exclude_id: int | None = None) -> list[tuple[int, str]]:
    models, _ = list_models(session, params=ALL)
    return [(m.id, m.name) for m in models if m.id != exclude_id]


def provider_choices(session: Session) -> list[tuple[int, str]]:
    rows, _ = list_providers(session, params=ALL)
    return [(p.id, f"{p.name} ({p.kind})") for p in rows]


def provider_of(session: Session, model: AIModel) -> Provider | None:
    return session.get(Provider, model.provider_id) if model.provider_id else None
