from __future__ import annotations

from pydantic import BaseModel, Field


class ContextMessage(BaseModel):
    """One earlier message of a conversation (chat comment, assistant turn) given to the answering model."""

    role: str = Field(description="'user' or 'assistant'")
    name: str | None = None
    content: str


class Source(BaseModel):
    source_type: str = Field(description="'qa' or 'training_conversation'")
    source_id: int
    score: float
    question: str


class AnswerResult(BaseModel):
    answer: str | None = Field(description="None when the model does not know (out of scope).")
    confidence: float
    answered: bool
    source_type: str | None = None
    source_id: int | None = None
    compilation_id: int | None = None
    generated: bool = Field(default=False, description="True when a chat provider wrote the answer.")
    sources: list[Source] = Field(default_factory=list, description="The matches that grounded the answer.")
    hit_id: int | None = None
