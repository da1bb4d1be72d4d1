"""Imports every ORM module so that ``Base.metadata`` is complete (Alembic, tests)."""

from erpai.ai_models import models as ai_models
from erpai.assistant import models as assistant
from erpai.audit import models as audit
from erpai.chat import models as chat
from erpai.compilations import models as compilations
from erpai.db import Base
from erpai.ingest import models as ingest
from erpai.jobs import models as jobs
from erpai.notifications import models as notifications
from erpai.permissions import models as permissions
from erpai.providers import models as providers
from erpai.qas import models as qas
from erpai.records import models as records
from erpai.rules import models as rules
from erpai.settings import models as settings
from erpai.training import models as training
from erpai.users import models as users
from erpai.web import models as web

__all__ = [
    "Base",
    "ai_models",
    "assistant",
    "audit",
    "chat",
    "compilations",
    "ingest",
    "jobs",
    "notifications",
    "permissions",
    "providers",
    "qas",
    "records",
    "rules",
    "settings",
    "training",
    "users",
    "web",
]
