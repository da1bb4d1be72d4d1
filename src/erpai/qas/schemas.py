from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

from erpai.common import Id, Notes, ORMModel, Text, UTCDateTime
from erpai.limits import ANSWER_MAX, QUESTION_MAX, SECTION_MAX
from erpai.qas.io import DEFAULT_SECTION, QA_TYPE_NAMES, clean_answer, clean_question, clean_section

QATypeName = Literal["training", "validation"]
Question = Annotated[str, Text(max_length=QUESTION_MAX), AfterValidator(clean_question)]
# An empty answer is allowed: it marks a question the model should NOT answer (out of scope).
Answer = Annotated[str, Text(max_length=ANSWER_MAX), AfterValidator(clean_answer)]
# Blank means the default section.
Section = Annotated[str, Text(max_length=SECTION_MAX), AfterValidator(clean_section)]


class QACreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: Id
    question: Question
    answer: Answer = ""
    section: Section = DEFAULT_SECTION
    qa_type: QATypeName = "training"
    is_active: bool = True
    notes: Notes | None = None


class QAUpdate(BaseModel):
    """PATCH: only the fields sent change; ``null`` is refused for fields that cannot be empty."""

    model_config = ConfigDict(extra="forbid")

    question: Question | None = None
    answer: Answer | None = None
    section: Section | None = None
    qa_type: QATypeName | None = None
    is_active: bool | None = None
    notes: Notes | None = None

    @field_validator("question", "answer", "section", "qa_type", "is_active", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class QARead(ORMModel):
    id: int
    model_id: int
    question: str
    answer: str
    qa_type: QATypeName
    section: str
    is_active: bool
    creation_time_utc: UTCDateTime
    deactivation_time_utc: UTCDateTime | None
    added_by_user_id: int
    notes: str | None
    is_regression: bool = False  # made from a correction: the quality gate holds back a build that fails it

    @field_validator("qa_type", mode="before")
    @classmethod
    def _type_name(cls, value: Any) -> Any:
        return QA_TYPE_NAMES.get(value, value)


class QAFilters(BaseModel):
    """List and export filters; ``q`` matches a substring of the question or the answer, any case."""

    model_id: int | None = None
    qa_type: QATypeName | None = None
    is_active: bool | None = None
    section: str | None = None
    q: str | None = None


class ImportResult(BaseModel):
    imported: int
