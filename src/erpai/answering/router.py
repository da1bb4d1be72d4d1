from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from erpai.answering.schemas import AnswerResult, ContextMessage
from erpai.answering.service import MAX_QUESTION_CHARS, answer_question
from erpai.auth import CurrentUser, SessionDep

router = APIRouter(tags=["ask"])


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    context: list[ContextMessage] | None = None


@router.post("/models/{model_id}/ask", response_model=AnswerResult)
def ask(model_id: int, data: AskRequest, session: SessionDep, user: CurrentUser) -> AnswerResult:
    return answer_question(
        session,
        model_id=model_id,
        question=data.question,
        context=data.context,
        channel="api",
        user_id=user.id,
    )
