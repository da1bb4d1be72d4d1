"""The data the browser tests run on, written into a fresh SQLite database before `erpai serve` starts.

Run as ``python -m tests.web.world DATA_DIR``; prints the tokens as JSON. The demo company
plus the Facilities arbiter of the Train AI loop (compiled), in a chat group "Office" with admin and maria.
"""

from __future__ import annotations

import json
import os
import sys

from sqlalchemy import select

from erpai.chat.models import ChatGroup, ChatMember
from erpai.compilations.jobs import run_compilation
from erpai.compilations.service import start_compilation
from erpai.config import get_settings
from erpai.db import session_factory, utcnow
from erpai.demo import fresh_admin_token, load_demo
from erpai.migrate import upgrade
from erpai.providers.models import Provider
from erpai.users.models import User, UserType
from erpai.users.service import create_token
from tests.compilations.factories import model_with_qas
from tests.e2e.test_train_ai_loop import FACILITIES_QAS, FACILITIES_VALIDATION


def build_world() -> dict[str, object]:
    upgrade(get_settings().resolved_database_url)
    with session_factory()() as session:
        load_demo(session)
        admin_id, admin_token = fresh_admin_token(session)
        admin = session.get(User, admin_id)
        assert admin is not None
        maria = session.scalar(select(User).where(User.login == "maria"))
        assert maria is not None
        outsider = User(login="omar", name="Omar Outsider")
        arbiter_user = User(login="facilities-ai", name="Facilities AI", user_type=UserType.VIRTUAL.value)
        session.add_all([outsider, arbiter_user])
        session.flush()
        provider = session.scalar(select(Provider).where(Provider.kind == "local"))
        model = model_with_qas(
            session,
            name="Facilities",
            user=admin,
            provider=provider,
            qas=FACILITIES_QAS,
            validation=FACILITIES_VALIDATION,
        )
        model.virtual_user_id = arbiter_user.id
        group = ChatGroup(name="Office", created_by_user_id=admin.id, last_interaction_time_utc=utcnow())
        session.add(group)
        session.flush()
        session.add_all(
            ChatMember(group_id=group.id, user_id=uid, role=role)
            for uid, role in ((admin.id, "A"), (maria.id, "M"), (arbiter_user.id, "M"))
        )
        session.commit()
        compilation = start_compilation(session, model_id=model.id, user_id=admin.id)
        maria_token = create_token(session, user_id=maria.id, name="web-tests")[1]
        omar_token = create_token(session, user_id=outsider.id, name="web-tests")[1]
        world = {
            "admin_token": admin_token,
            "maria_token": maria_token,
            "omar_token": omar_token,
            "facilities_id": model.id,
            "office_group_id": group.id,
        }
    run_compilation(compilation_id=compilation.id)
    return world


if __name__ == "__main__":
    # Set after the imports: importing the e2e test module imports tests.conftest, which sets its own dir.
    os.environ["ERPAI_DATA_DIR"] = sys.argv[1]
    get_settings.cache_clear()
    print(json.dumps(build_world()))
