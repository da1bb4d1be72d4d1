"""The Ingest page in the browser: a PDF dropped on the zone is read (the default model is the local
OpenAI-wire server), the review form flags the invented VAT number, a wrong total is refused naming it,
Import creates the draft invoice and links to it; a corrupt file is refused on the upload page."""

from __future__ import annotations

import base64
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.fakes.openai_server import FakeOpenAI
from tests.ingest.corpus import generate
from tests.web.conftest import LiveServer
from tests.web.helpers import Checked

DOC = "text_00_en.pdf"
INVENTED_VAT = "GB999999973"

DROP = """async ([data, name]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "application/pdf"}));
  document.querySelector("[data-dropzone]").dispatchEvent(
    new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
}"""


def _api(server: LiveServer, method: str, path: str, **body: Any) -> Any:
    token = server.world["admin_token"]
    response = httpx.request(
        method, f"{server.url}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@pytest.fixture
def default_fake_model(live_server: LiveServer) -> Iterator[FakeOpenAI]:
    """The fake server as the default model's provider for this test; the old default comes back after."""
    previous = _api(live_server, "GET", "/models?is_default=true")["items"]
    with FakeOpenAI() as fake:
        config = {"base_url": fake.url, "max_retries": 0, "timeout_seconds": 10}
        provider = _api(live_server, "POST", "/providers", name="Fake ingest", kind="openai", config=config,
                        base_model_name="gpt-4o-mini", api_key="sk-test-ingest-1")  # fmt: skip
        model = _api(live_server, "POST", "/models", name="Ingest reader", provider_id=provider["id"])
        _api(live_server, "PATCH", f"/models/{model['id']}", is_default=True)
        try:
            yield fake
        finally:
            for row in previous:
                _api(live_server, "PATCH", f"/models/{row['id']}", is_default=True)


def test_drop_review_and_import_an_invoice(
    page: Checked, live_server: LiveServer, default_fake_model: FakeOpenAI
) -> None:
    corpus = Path(tempfile.mkdtemp(prefix="erpai-web-ingest-"))
    truth = next(doc.truth for doc in generate(corpus) if doc.file == DOC)
    _api(live_server, "POST", "/records/enterprise_companies", name="Example Enterprise GmbH",
         vat_number="DE136695976")  # fmt: skip
    product = _api(live_server, "POST", "/records/products", name={"en": "Service"})["record"]
    _api(live_server, "PUT", "/settings/ingest.default_service_product_id", value=product["id"])
    default_fake_model.chat_reply = json.dumps(truth | {"supplier_vat": INVENTED_VAT})

    p = page.page
    page.sign_in(live_server.world["maria_token"], then="/ingest")
    expect(p.get_by_role("heading", name="AI import")).to_be_visible()
    page.axe()
    data = base64.b64encode((corpus / DOC).read_bytes()).decode()
    p.evaluate(DROP, [data, DOC])
    expect(p.get_by_role("heading", name="Recognized data")).to_be_visible()
    page.axe()
    expect(p.get_by_label("Document No")).to_have_value(str(truth["number"]))
    expect(p.get_by_label("VAT number", exact=True)).to_have_value(INVENTED_VAT)
    expect(p.locator("#flag-supplier_vat")).to_contain_text(re.compile("not found in the document|checksum"))
    expect(p.get_by_label("Matched supplier")).to_have_value("new")

    p.get_by_label("Amount (total)").fill("1.00")
    p.get_by_role("button", name="Import").click()
    expect(p.locator(".form-error")).to_be_visible()
    expect(p.locator("#total-error")).to_contain_text("more than 0.01 apart")
    page.axe()
    p.get_by_label("Amount (total)").fill(str(truth["total"]))
    p.get_by_label("VAT number", exact=True).fill("")
    p.get_by_role("button", name="Import").click()
    expect(p.get_by_role("heading", name="Import successful")).to_be_visible()
    page.axe()
    link = p.get_by_role("link", name=re.compile(r"Purchase invoice \d+"))
    link.click()
    expect(p.get_by_label("Document number")).to_have_value(str(truth["number"]))
    assert default_fake_model.chat_calls(), "the text went to the default model"


def test_a_corrupt_file_is_refused_on_the_upload_page(page: Checked, live_server: LiveServer) -> None:
    p = page.page
    page.sign_in(live_server.world["maria_token"], then="/ingest")
    p.get_by_label("Select file").set_input_files(
        files=[{"name": "broken.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 broken"}]
    )
    p.get_by_role("button", name="Read the invoice").click()
    expect(p.locator("#file-error")).to_contain_text("the PDF cannot be read")
    page.axe()
    nav = p.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Ingest")).to_be_visible()
