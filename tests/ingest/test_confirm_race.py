"""Two confirms of one proposal at the same moment, each in its own session with real commits: exactly one
creates the invoice, the other is a 409 (both databases)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from erpai.db import session_factory
from erpai.errors import Conflict
from erpai.ingest import service
from erpai.ingest.schemas import InvoiceConfirm
from erpai.records.models import EnterpriseCompany, Product, PurchaseInvoice
from erpai.settings.service import set_setting
from erpai.users.models import User


def test_two_simultaneous_confirms_create_one_invoice(live_engine: Engine, corpus: Path) -> None:
    with session_factory()() as session:
        user = User(login="jane", name="Jane")
        product = Product(name={"en": "Service"})
        session.add_all([user, product, EnterpriseCompany(name="Example Enterprise GmbH")])
        session.commit()
        set_setting(session, key="ingest.default_service_product_id", value=product.id, actor=None)
        data = (corpus / "ubl_29_bg.xml").read_bytes()
        proposal_id = service.ingest_invoice(session, data=data, filename="a.xml", actor=user).id
        user_id = user.id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm() -> None:
        with session_factory()() as session:
            actor = session.get(User, user_id)
            assert actor is not None
            session.commit()  # ends the read (SQLite: BEGIN IMMEDIATE holds the write lock)
            start.wait(timeout=30)
            try:
                service.confirm_invoice(session, proposal_id=proposal_id, edits=InvoiceConfirm(), actor=actor)
                outcomes.append("created")
            except Conflict as exc:
                outcomes.append(f"409 {exc.field}")

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["409 proposal_id", "created"]
    with Session(live_engine) as session:
        assert session.scalar(select(func.count()).select_from(PurchaseInvoice)) == 1
