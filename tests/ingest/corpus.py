# ruff: noqa: E501, RUF001  (embedded XML templates and Bulgarian text)
"""Generated invoices with known truth: `python tests/ingest/corpus.py OUT_DIR` writes the files and truth.json.

40 documents from a fixed seed: 20 text-layer PDFs (four layouts, two fonts, EN / DE / BG, EUR / BGN / USD /
GBP), 5 Factur-X PDFs (CII XML embedded), 5 UBL XML files, 10 scanned PNGs (rendered, rotated, noised).
Suppliers carry VAT numbers with right check digits. Used by tests/ingest and bench/ingest.py.
"""

from __future__ import annotations

import io
import json
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pypdf
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from erpai.ingest.checksums import VAT_CHECKS

FONTS = {
    "DejaVu": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "Liberation": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
}
LABELS = {
    "en": ("INVOICE", "Invoice No.", "Date", "Supplier", "Customer", "VAT No.", "Net", "VAT 20%", "Total"),
    "de": ("RECHNUNG", "Rechnungsnummer", "Rechnungsdatum", "Lieferant", "Kunde", "USt-IdNr.", "Nettobetrag",
           "MwSt 19%", "Gesamtbetrag"),
    "bg": ("ФАКТУРА", "Фактура №", "Дата", "Доставчик", "Получател", "ИН по ДДС", "Данъчна основа", "ДДС 20%",
           "Сума за плащане"),
}  # fmt: skip
RATES = {"en": Decimal("0.20"), "de": Decimal("0.19"), "bg": Decimal("0.20")}
COMPANIES = {
    "en": ["Northwind Traders Ltd", "Blue Harbour Supplies Ltd", "Kingsway Office Ltd", "Fenwick Tools Ltd"],
    "de": ["Acme Handels GmbH", "Müller Bürobedarf GmbH", "Rheinland Logistik AG", "Schwarzwald Druck GmbH"],
    "bg": ["Алфа Трейд ЕООД", "Бета Консулт ООД", "Родопи Софт АД", "Витоша Принт ЕООД"],
}
CUSTOMER = ("Example Enterprise GmbH", "DE136695976")
COUNTRY = {"en": "GB", "de": "DE", "bg": "BG"}


@dataclass
class Doc:
    file: str
    path: str  # the expected reading path: structured, text, ocr
    lang: str
    truth: dict[str, str | None]


def valid_vat(rng: random.Random, country: str) -> str:
    """A VAT number with right check digits: random digits, the last two searched."""
    length = {"DE": 9, "BG": 9, "GB": 9}[country]
    while True:
        stem = "".join(rng.choice("123456789") for _ in range(length - 2))
        for tail in range(100):
            number = f"{stem}{tail:02d}"
            if VAT_CHECKS[country](number):
                return country + number


def money(value: Decimal, lang: str) -> str:
    text = f"{value:,.2f}"
    if lang == "de":
        return text.replace(",", "X").replace(".", ",").replace("X", ".")
    if lang == "bg":
        return text.replace(",", " ").replace(".", ",")
    return text


def date_text(day: date, lang: str, rng: random.Random) -> str:
    if lang == "en":
        return day.strftime("%B %d, %Y") if rng.random() < 0.5 else day.strftime("%d/%m/%Y")
    return day.strftime("%d.%m.%Y") + (" г." if lang == "bg" else "")


def make_truth(rng: random.Random, lang: str, index: int) -> dict[str, str | None]:
    supplier = rng.choice(COMPANIES[lang])
    net = (Decimal(rng.randint(1_000, 900_000)) / 100).quantize(Decimal("0.01"))
    vat = (net * RATES[lang]).quantize(Decimal("0.01"))
    currency = {"en": rng.choice(["GBP", "USD"]), "de": "EUR", "bg": rng.choice(["BGN", "EUR"])}[lang]
    return {
        "document_type": "purchase_invoice",
        "number": f"{rng.choice(['INV', 'RE', 'F'])}-{2026}-{index:04d}",
        "issue_date": (date(2026, 1, 5) + timedelta(days=rng.randint(0, 300))).isoformat(),
        "supplier_name": supplier,
        "supplier_vat": valid_vat(rng, COUNTRY[lang]),
        "customer_name": CUSTOMER[0],
        "customer_vat": CUSTOMER[1],
        "net": str(net),
        "vat": str(vat),
        "total": str(net + vat),
        "currency": currency,
    }


def text_lines(truth: dict[str, str | None], lang: str, layout: int, rng: random.Random) -> list[str]:
    title, no, dat, sup, cus, vatno, net, vat, total = LABELS[lang]
    cur = truth["currency"] or ""
    day = date_text(date.fromisoformat(str(truth["issue_date"])), lang, rng)
    amounts = [f"{label}: {money(Decimal(str(truth[key])), lang)} {cur}" for label, key in
               ((net, "net"), (vat, "vat"), (total, "total"))]  # fmt: skip
    head = [title, f"{no}: {truth['number']}", f"{dat}: {day}"]
    parties = [f"{sup}: {truth['supplier_name']}", f"{vatno}: {truth['supplier_vat']}",
               f"{cus}: {truth['customer_name']}", f"{vatno}: {truth['customer_vat']}"]  # fmt: skip
    lines = ["Item 1    1 x consulting services", "Item 2    2 x printed material"]
    if layout == 0:
        return head + parties + lines + amounts
    if layout == 1:
        return parties + head + lines + amounts
    if layout == 2:
        return [
            title,
            *parties[:2],
            "",
            f"{no}: {truth['number']}",
            f"{dat}: {day}",
            *parties[2:],
            *lines,
            *amounts,
        ]
    return head + parties + amounts + ["Thank you for your business."]


def pdf_bytes(lines: list[str], font: str, size: int) -> bytes:
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, FONTS[font]))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont(font, size)
    y = 800.0
    for line in lines:
        page.drawString(60, y, line)
        y -= size * 1.8
    page.save()
    return buffer.getvalue()


def cii_xml(truth: dict[str, str | None]) -> bytes:
    d = str(truth["issue_date"]).replace("-", "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocument><ram:ID>{truth["number"]}</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">{d}</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:SellerTradeParty><ram:Name>{truth["supplier_name"]}</ram:Name>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{truth["supplier_vat"]}</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>{truth["customer_name"]}</ram:Name>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{truth["customer_vat"]}</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>{truth["currency"]}</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>{truth["net"]}</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="{truth["currency"]}">{truth["vat"]}</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>{truth["total"]}</ram:GrandTotalAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()


def ubl_party(name: str | None, vat: str | None) -> str:
    return (f"<cac:Party><cac:PartyName><cbc:Name>{name}</cbc:Name></cac:PartyName><cac:PartyTaxScheme>"
            f"<cbc:CompanyID>{vat}</cbc:CompanyID></cac:PartyTaxScheme></cac:Party>")  # fmt: skip


def ubl_xml(truth: dict[str, str | None]) -> bytes:
    cur = truth["currency"]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>{truth["number"]}</cbc:ID><cbc:IssueDate>{truth["issue_date"]}</cbc:IssueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>{cur}</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty>{ubl_party(truth["supplier_name"], truth["supplier_vat"])}</cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty>{ubl_party(truth["customer_name"], truth["customer_vat"])}</cac:AccountingCustomerParty>
 <cac:TaxTotal><cbc:TaxAmount currencyID="{cur}">{truth["vat"]}</cbc:TaxAmount></cac:TaxTotal>
 <cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="{cur}">{truth["net"]}</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="{cur}">{truth["total"]}</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="{cur}">{truth["total"]}</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>""".encode()


def facturx_pdf(truth: dict[str, str | None], lines: list[str]) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf_bytes(lines, "DejaVu", 11))))
    writer.add_attachment("factur-x.xml", cii_xml(truth))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def scan_png(lines: list[str], rng: random.Random) -> bytes:
    font = ImageFont.truetype(FONTS[rng.choice(list(FONTS))], 30)
    image = Image.new("L", (1400, 80 + 52 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((60, 40 + 52 * i), line, fill=20, font=font)
    image = image.rotate(
        rng.uniform(-2.5, 2.5), expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC
    )
    noise = Image.effect_noise(image.size, 18)
    image = Image.blend(image, noise, 0.12).filter(ImageFilter.GaussianBlur(0.6))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def generate(out: Path, seed: int = 13) -> list[Doc]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    docs: list[Doc] = []
    langs = ["en", "de", "bg"]
    for i in range(40):
        lang = langs[i % 3]
        truth = make_truth(rng, lang, i + 1)
        lines = text_lines(truth, lang, i % 4, rng)
        if i < 20:
            name, kind = f"text_{i:02d}_{lang}.pdf", "text"
            data = pdf_bytes(lines, rng.choice(list(FONTS)), rng.choice([9, 10, 11, 12]))
        elif i < 25:
            name, kind, data = f"facturx_{i:02d}_{lang}.pdf", "structured", facturx_pdf(truth, lines)
        elif i < 30:
            name, kind, data = f"ubl_{i:02d}_{lang}.xml", "structured", ubl_xml(truth)
        else:
            name, kind, data = f"scan_{i:02d}_{lang}.png", "ocr", scan_png(lines, rng)
        (out / name).write_bytes(data)
        docs.append(Doc(file=name, path=kind, lang=lang, truth=truth))
    (out / "truth.json").write_text(json.dumps([d.__dict__ for d in docs], ensure_ascii=False, indent=1))
    return docs


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "var/ingest_corpus")
    print(f"{len(generate(target))} documents written to {target}")
