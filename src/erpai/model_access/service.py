"""Models a user may use, and each model's stable public id (a slug of its name).

Every ecosystem front-end (``/v1`` OpenAI-compatible API, MCP server, Python client) asks this module,
so the per-model "use" right is checked in one place: :func:`may_use`.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.errors import Forbidden, NotFound
from erpai.permissions.service import can_train_model, can_use_model
from erpai.users.models import User

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """ "Northwind Sales (EU)" -> "northwind-sales-eu"; accents are folded, anything else is a dash."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NON_SLUG.sub("-", folded.lower()).strip("-") or "model"


def model_slugs(models: list[AIModel]) -> dict[int, str]:
    """Model id -> public id, unique and deterministic: the slug of the name; where several names share a
    slug, the oldest model (lowest id) keeps it and the others get ``-<id>`` appended."""
    taken: set[str] = set()
    result: dict[int, str] = {}
    pending: list[AIModel] = []
    for model in sorted(models, key=lambda m: m.id):
        slug = slugify(model.name)
        if slug in taken:
            pending.append(model)
        else:
            taken.add(slug)
            result[model.id] = slug
    for model in pending:
        slug = f"{slugify(model.name)}-{model.id}"
        while slug in taken:
            slug = f"{slug}-{model.id}"
        taken.add(slug)
        result[model.id] = slug
    return result


def may_use(session: Session, *, user: User, model: AIModel) -> bool:
    """The per-model "use" right (erpai.permissions) as the ecosystem front-ends see it."""
    return user.is_active and can_use_model(session, user=user, model_id=model.id)


def may_train(session: Session, *, user: User, model: AIModel) -> bool:
    """The per-model "train" right (edit Q&As, read build logs) as the ecosystem front-ends see it."""
    return user.is_active and can_train_model(session, user=user, model_id=model.id)


def require_trainer(session: Session, *, user: User, model: AIModel) -> None:
    if not may_train(session, user=user, model=model):
        raise Forbidden(f"training model '{model.name}' needs the train right on it", field="model")


def all_models(session: Session) -> list[AIModel]:
    return list(session.scalars(select(AIModel).order_by(AIModel.id)))


def usable_models(session: Session, *, user: User) -> list[tuple[str, AIModel]]:
    """(public id, model) for every model the user may use, in id order."""
    models = all_models(session)
    slugs = model_slugs(models)
    return [(slugs[m.id], m) for m in models if may_use(session, user=user, model=m)]


def resolve_model(session: Session, *, user: User, ref: str) -> tuple[str, AIModel]:
    """A model by public id (slug), exact name or numeric id; NotFound when none, Forbidden when the user
    may not use it."""
    models = all_models(session)
    slugs = model_slugs(models)
    wanted = ref.strip()
    found = next((m for m in models if slugs[m.id] == wanted), None)
    found = found or next((m for m in models if m.name == wanted or str(m.id) == wanted), None)
    if found is None:
        raise NotFound(f"The model '{ref}' does not exist", field="model")
    if not may_use(session, user=user, model=found):
        raise Forbidden(f"You may not use the model '{ref}'", field="model")
    return slugs[found.id], found
