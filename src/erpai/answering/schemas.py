from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import Text
from erpai.limits import MESSAGE_MAX, NAME_MAX

#: What a model says when it does not know, unless its ``fallback_answer`` says otherwise.
DEFAULT_FALLBACK_ANSWER = "I don't know."
#: Why a question got no answer (``AnswerResult.reason``).
NoAnswerReason = Literal["no_build", "below_threshold", "taught_out_of_scope", "empty_generation"]


class ContextMessage(BaseModel):
    """One earlier message of a conversation (chat comment, assistant turn) given to the answering model."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"] = Field(description="'user' or 'assistant'")
    name: Annotated[str, Text(max_length=NAME_MAX)] | None = None
    content: Annotated[str, Text(max_length=MESSAGE_MAX)]


class Source(BaseModel):
    source_type: str = Field(description="'qa' or 'training_conversation'")
    source_id: int
    score: float = Field(description="The build's calibrated confidence that this match fits the question.")
    question: str
    answer: str | None = Field(default=None, description="The curated answer of this match.")


class AnswerResult(BaseModel):
    answer: str | None = Field(description="None when the model does not know (out of scope).")
    confidence: float
    answered: bool
    source_type: str | None = None
    source_id: int | None = None
    compilation_id: int | None = None
    generated: bool = Field(default=False, description="True when a chat provider wrote the answer.")
    chat_model: str | None = Field(default=None, description="The provider model that wrote the answer.")
    sources: list[Source] = Field(default_factory=list, description="The matches that grounded the answer.")
    hit_id: int | None = None
    reason: NoAnswerReason | None = Field(
        default=None,
        description="Why there is no answer: 'no_build' (model not compiled), 'below_threshold' "
        "(not confident enough), 'taught_out_of_scope' (a trainer marked this very question out of scope), "
        "'empty_generation' (the chat provider wrote nothing); null when answered.",
    )
    from_memory: bool = Field(
        default=False,
        description="True when the build was corrected on this very question (same words; case, spacing and "
        "punctuation aside): its curated answer is the correction's, at confidence 1, or none when it was "
        "corrected as out of scope.",
    )
    fallback_answer: str | None = Field(
        default=None,
        description="The model's fallback answer (default \"I don't know.\") when not answered.",
    )
