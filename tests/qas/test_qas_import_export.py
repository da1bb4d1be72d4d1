from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.qas.io import parse_bool, parse_csv, parse_jsonl, parse_qa_type
from erpai.qas.models import ModelQA
from erpai.users.models import User
from tests.qas.conftest import add_model

Login = tuple[User, dict[str, str]]

GOOD_CSV = (
    "question,answer,section,qa_type,is_active\n"
    "How do I return goods?,Within 30 days.,Returns,training,true\n"
    '"Multi-line\nquestion?","Answer with ""quotes"", commas",,V,no\n'
    "Who is the CEO's wife?,,Out of scope,T,1\n"
)


def _count(db: Session, model_id: int) -> int:
    return db.scalar(select(func.count()).select_from(ModelQA).where(ModelQA.model_id == model_id)) or 0


def row_field(error: dict[str, Any]) -> str | None:
    """The column of a row error: its loc is ["line", N] or ["line", N, column]."""
    assert error["loc"][:2] == ["line", error["line"]]
    return error["loc"][2] if len(error["loc"]) > 2 else None


def _import(client: TestClient, headers: dict[str, str], model_id: int, body: str, fmt: str | None) -> Any:
    params = {"format": fmt} if fmt else {}
    return client.post(
        f"/api/v1/models/{model_id}/qas/import", params=params, content=body.encode(), headers=headers
    )


def test_value_parsers_accept_documented_spellings() -> None:
    assert [parse_qa_type(v) for v in ("training", "Validation", "t", "V", "", None)] == [
        "T",
        "V",
        "T",
        "V",
        "T",
        "T",
    ]
    assert [parse_bool(v) for v in ("true", "FALSE", "1", "0", "yes", "No", "", None, True, 0)] == [
        True, False, True, False, True, False, True, True, True, False,
    ]  # fmt: skip
    for bad in ("2", "maybe", 3):
        with pytest.raises(ValueError, match="is_active"):
            parse_bool(bad)


def test_csv_import_writes_every_row_with_defaults(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    response = _import(client, member[1], model.id, GOOD_CSV, "csv")
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 3}
    rows = list(db.scalars(select(ModelQA).where(ModelQA.model_id == model.id).order_by(ModelQA.id)))
    assert [r.qa_type for r in rows] == ["T", "V", "T"]
    assert rows[1].question == "Multi-line\nquestion?" and rows[1].answer == 'Answer with "quotes", commas'
    assert rows[1].section == "General" and rows[1].is_active is False and rows[1].deactivation_time_utc
    assert rows[2].answer == "" and rows[2].section == "Out of scope"
    assert {r.added_by_user_id for r in rows} == {member[0].id}


def test_multipart_upload_infers_format_from_file_name(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    jsonl = '{"question": "Q1", "answer": "A1"}\n\n{"question": "Q2", "answer": "", "is_active": false}\n'
    files = {"file": ("qas.jsonl", jsonl.encode(), "application/octet-stream")}
    response = client.post(f"/api/v1/models/{model.id}/qas/import", files=files, headers=member[1])
    assert response.json() == {"imported": 2}
    unknown = client.post(
        f"/api/v1/models/{model.id}/qas/import", files={"file": ("qas.txt", b"x")}, headers=member[1]
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "format"
    assert _count(db, model.id) == 2


def test_csv_errors_list_every_bad_row_and_nothing_is_written(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    body = (
        "question,answer,section,qa_type,is_active\n"
        "Good one?,Yes,,,\n"
        ",missing question,,,\n"  # line 3
        '"Spans\ntwo lines?",ok,,X,maybe\n'  # lines 4-5: two errors reported at line 4
        "Too,many,fields,T,true,extra\n"  # line 6
        f"Long section?,ok,{'s' * 129},,\n"  # line 7
    )
    response = _import(client, member[1], model.id, body, "csv")
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    errors = [(e["line"], row_field(e)) for e in response.json()["errors"]]
    assert errors == [(3, "question"), (4, "qa_type"), (4, "is_active"), (6, None), (7, "section")]
    assert "maybe" in response.json()["errors"][2]["msg"]
    assert _count(db, model.id) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("question,answer,colour\nQ?,A,x\n", [(1, "colour")]),
        ("question,section\nQ?,x\n", [(1, "answer")]),
        ("Question, ANSWER ,answer\nQ?,A,B\n", [(1, "answer")]),
        ("", [(1, None)]),
    ],
)
def test_csv_header_problems_are_reported_at_line_1(
    text: str, expected: list[tuple[int, str | None]]
) -> None:
    rows, errors = parse_csv(text)
    assert rows == []
    assert [(e.line, e.field) for e in errors] == expected


def test_jsonl_errors_name_their_lines(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    body = "\n".join(
        [
            '{"question": "ok", "answer": "fine"}',
            '{"question": "broken", ',
            '["not", "an", "object"]',
            '{"question": "Q", "answer": "A", "colour": "red"}',
            '{"question": "Q", "answer": "A", "qa_type": "exam", "is_active": "maybe"}',
            '{"question": "Q"}',
            '{"question": 5, "answer": "A"}',
        ]
    )
    response = _import(client, member[1], model.id, body, "jsonl")
    assert response.status_code == 422
    errors = [(e["line"], row_field(e)) for e in response.json()["errors"]]
    assert errors == [
        (2, None),
        (3, None),
        (4, "colour"),
        (5, "qa_type"),
        (5, "is_active"),
        (6, "answer"),
        (7, "question"),
    ]
    assert "invalid JSON" in response.json()["errors"][0]["msg"]
    assert _count(db, model.id) == 0


def test_jsonl_keeps_unicode_line_separators_inside_strings() -> None:
    rows, errors = parse_jsonl(json.dumps({"question": "a\u2028b", "answer": ""}, ensure_ascii=False))
    assert errors == [] and rows[0].question == "a\u2028b"


def test_import_into_unknown_model_is_404(client: TestClient, member: Login) -> None:
    response = _import(client, member[1], 999_999, GOOD_CSV, "csv")
    assert response.status_code == 404 and response.json()["field"] == "model_id"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_round_trips(client: TestClient, db: Session, member: Login, model: AIModel, fmt: str) -> None:
    assert _import(client, member[1], model.id, GOOD_CSV, "csv").status_code == 200
    exported = client.get(f"/api/v1/models/{model.id}/qas/export", params={"format": fmt}, headers=member[1])
    assert exported.status_code == 200
    assert f"model-{model.id}-qas.{fmt}" in exported.headers["content-disposition"]
    copy = add_model(db, "Copy", trainers=(member[0],))
    assert _import(client, member[1], copy.id, exported.text, fmt).json() == {"imported": 3}

    def snapshot(model_id: int) -> list[tuple[Any, ...]]:
        columns = (ModelQA.question, ModelQA.answer, ModelQA.section, ModelQA.qa_type, ModelQA.is_active)
        return [
            tuple(r)
            for r in db.execute(select(*columns).where(ModelQA.model_id == model_id).order_by(ModelQA.id))
        ]

    assert snapshot(copy.id) == snapshot(model.id)


def test_export_applies_filters_and_uses_api_names(client: TestClient, member: Login, model: AIModel) -> None:
    _import(client, member[1], model.id, GOOD_CSV, "csv")
    url = f"/api/v1/models/{model.id}/qas/export"
    csv_rows = list(
        csv.DictReader(io.StringIO(client.get(url, params={"is_active": True}, headers=member[1]).text))
    )
    assert [r["qa_type"] for r in csv_rows] == ["training", "training"]
    assert csv_rows[0]["is_active"] == "true"
    lines = client.get(
        url, params={"format": "jsonl", "qa_type": "validation"}, headers=member[1]
    ).text.splitlines()
    assert [json.loads(line)["question"] for line in lines] == ["Multi-line\nquestion?"]
    assert client.get("/api/v1/models/999999/qas/export", headers=member[1]).status_code == 404
    assert client.get(url).status_code == 401
