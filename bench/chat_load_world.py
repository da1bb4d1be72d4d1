"""The world of bench/chat_load.py: people, groups, and two compiled arbiter models per group."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

SALES_QAS = [
    ("What discount do we give to resellers?", "Resellers get 15% off the list price."),
    ("How much discount can a reseller have?", "Resellers get 15% off the list price."),
    ("When are invoices sent out?", "Invoices go out on the first working day of the month."),
    ("On which day do we send invoices?", "Invoices go out on the first working day of the month."),
    ("Who approves a special price?", "Special prices need the sales director's approval."),
    ("Can I give a customer a special price?", "Special prices need the sales director's approval."),
]
SUPPORT_QAS = [
    ("How do I reset my password?", "Use 'Forgot password' on the login page; the link lasts 1 hour."),
    ("I forgot my password, what now?", "Use 'Forgot password' on the login page; the link lasts 1 hour."),
    ("How do I connect to the VPN?", "Install the VPN client from the portal and sign in."),
    ("The VPN does not work from home", "Install the VPN client from the portal and sign in."),
    ("What are the support hours?", "Support answers Monday to Friday, 8:00 to 18:00."),
    ("When can I reach the helpdesk?", "Support answers Monday to Friday, 8:00 to 18:00."),
]
QAS = {"sales": SALES_QAS, "support": SUPPORT_QAS}
# What the clients ask each kind of arbiter: paraphrases of its Q&As and one it cannot know.
QUESTIONS = {
    "sales": [
        "what discount does a reseller get?",
        "when do invoices go out?",
        "is the moon made of cheese?",
    ],
    "support": [
        "how can I reset my password?",
        "how do I use the VPN at home?",
        "who won the 1998 world cup?",
    ],
}


@dataclass
class World:
    group_ids: list[int]
    arbiter_logins: dict[int, list[str]]  # group -> the two arbiters' logins
    arbiter_users: dict[str, int]  # login -> virtual user id
    model_ids: list[int]
    tokens: list[str]  # one per client
    client_group: list[int]
    answers: set[str]
    owner_id: int  # the user who starts the compiles (an admin)


def _arbiters(
    session: Session, groups: int, provider_id: int, owner_id: int
) -> tuple[dict[str, int], list[int]]:
    from erpai.ai_models.models import AIModel
    from erpai.qas.models import ModelQA
    from erpai.users.models import User, UserType

    users: dict[str, int] = {}
    model_ids: list[int] = []
    for g in range(groups):
        for kind in ("sales", "support"):
            login = f"{kind}-ai-{g}"
            vuser = User(login=login, name=f"{kind.title()} AI {g}", user_type=UserType.VIRTUAL.value)
            session.add(vuser)
            session.flush()
            model = AIModel(
                name=f"{kind.title()} AI {g}",
                provider_id=provider_id,
                build_assistant=False,
                virtual_user_id=vuser.id,
            )
            session.add(model)
            session.flush()
            session.add_all(
                ModelQA(model_id=model.id, question=q, answer=a, qa_type="T", added_by_user_id=owner_id)
                for q, a in QAS[kind]
            )
            users[login] = vuser.id
            model_ids.append(model.id)
    return users, model_ids


def seed(url: str, clients: int, groups: int) -> World:
    """People with tokens, two arbiters (model with Q&As + virtual user) per group, groups of people."""
    from erpai.chat.schemas import GroupCreate
    from erpai.chat.service import create_group
    from erpai.db import make_engine
    from erpai.migrate import upgrade
    from erpai.providers.models import Provider
    from erpai.users.schemas import UserCreate
    from erpai.users.service import create_token, create_user

    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        people = [
            # Person 0 starts the compiles, which needs an admin.
            create_user(
                session, data=UserCreate(login=f"p{i}", name=f"Person {i}", is_admin=i == 0), actor_id=None
            )
            for i in range(clients)
        ]
        tokens = [create_token(session, user_id=p.id)[1] for p in people]
        provider = Provider(name="Local", kind="local", base_model_name="local")
        session.add(provider)
        session.flush()
        arbiter_users, model_ids = _arbiters(session, groups, provider.id, people[0].id)
        session.commit()
        group_ids, arbiter_logins, client_group = [], {}, [0] * clients
        for g in range(groups):
            members = [i for i in range(clients) if i % groups == g]
            logins = [f"sales-ai-{g}", f"support-ai-{g}"]
            ids = [people[i].id for i in members[1:]] + [arbiter_users[x] for x in logins]
            group = create_group(
                session, data=GroupCreate(name=f"Group {g}", member_ids=ids), actor=people[members[0]]
            )
            group_ids.append(group.id)
            arbiter_logins[group.id] = logins
            for i in members:
                client_group[i] = group.id
    engine.dispose()
    answers = {a for rows in QAS.values() for _, a in rows}
    return World(
        group_ids, arbiter_logins, arbiter_users, model_ids, tokens, client_group, answers, people[0].id
    )


def compile_arbiters(url: str, data_dir: str, world: World) -> float:
    """Compiles every arbiter model in this process (the way a compile job does); returns the seconds."""
    from erpai.compilations.jobs import run_compilation
    from erpai.compilations.service import get_compilation, start_compilation
    from erpai.config import get_settings
    from erpai.db import get_engine, session_factory

    os.environ.update(ERPAI_DATABASE_URL=url, ERPAI_DATA_DIR=data_dir)
    get_settings.cache_clear()
    get_engine.cache_clear()
    started = time.perf_counter()
    try:
        for model_id in world.model_ids:
            with session_factory()() as session:
                compilation_id = start_compilation(session, model_id=model_id, user_id=world.owner_id).id
            run_compilation(compilation_id=compilation_id)
            with session_factory()() as session:
                compilation = get_compilation(session, compilation_id=compilation_id)
                if not compilation.is_successful:
                    raise RuntimeError(f"compile of model {model_id} failed: {compilation.error_message}")
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        get_settings.cache_clear()
    return time.perf_counter() - started
