"""The MCP tool ``ingest_invoice`` over stdio: it runs as the chosen user, a proposal and (with confirm) a
draft purchase invoice; a bad file or a refused validation is a tool error and the proposal is kept."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

from mcp.client import Client
from sqlalchemy import select

from erpai.db import session_factory
from erpai.ingest.models import IngestProposal
from erpai.records.models import EnterpriseCompany, Product, PurchaseInvoice
from erpai.settings.service import set_setting
from erpai.users.models import User
from tests.ingest.corpus import generate
from tests.mcp_server.helpers import tool_error, tool_result
from tests.mcp_server.test_mcp_stdio import _server


async def _calls(params: Any, content: str) -> dict[str, Any]:
    async with Client(params, read_timeout_seconds=120) as client:
        args = {"filename": "inv.xml", "content_base64": content}
        done = tool_result(await client.call_tool("ingest_invoice", {**args, "confirm": True}))
        duplicate = tool_error(await client.call_tool("ingest_invoice", {**args, "confirm": True}))
        proposal = tool_result(await client.call_tool("ingest_invoice", args))
        garbage = tool_error(await client.call_tool("ingest_invoice", {**args, "content_base64": "%%%"}))
        return {"done": done, "duplicate": duplicate, "proposal": proposal, "garbage": garbage}


def test_ingest_invoice_runs_as_the_user_and_confirms(cli_db: str, tmp_path: Path) -> None:
    docs = {doc.file: doc for doc in generate(tmp_path)}
    with session_factory()() as session:
        jane = User(login="jane", name="Jane")
        product = Product(name={"en": "Service"})
        session.add_all([jane, product, EnterpriseCompany(name="Example Enterprise GmbH")])
        session.commit()
        set_setting(session, key="ingest.default_service_product_id", value=product.id, actor=None)
        jane_id = jane.id
    content = base64.b64encode((tmp_path / "ubl_28_de.xml").read_bytes()).decode()
    seen = asyncio.run(_calls(_server(cli_db, ERPAI_USER="jane"), content))

    confirmed = seen["done"]["confirmed"]
    assert seen["done"]["proposal"]["fields"]["number"] == docs["ubl_28_de.xml"].truth["number"]
    assert confirmed["new_supplier"] is True
    assert "already has the number" in seen["duplicate"] and "(number)" in seen["duplicate"]
    assert seen["proposal"]["proposal"]["matched_supplier_id"] == confirmed["supplier_id"]
    assert "confirmed" not in seen["proposal"]
    assert "not valid base64" in seen["garbage"]
    with session_factory()() as session:
        proposals = session.scalars(select(IngestProposal).order_by(IngestProposal.id)).all()
        assert [(p.created_by_user_id, p.status) for p in proposals] == [
            (jane_id, "confirmed"),
            (jane_id, "proposed"),  # the duplicate's proposal is kept for a correction
            (jane_id, "proposed"),
        ]
        assert len(session.scalars(select(PurchaseInvoice)).all()) == 1
