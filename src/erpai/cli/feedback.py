"""``erpai feedback HIT up|down`` and ``erpai inbox MODEL`` (the review inbox; local database)."""

from __future__ import annotations

from enum import StrEnum

import typer

from erpai.ai_models.service import find_model
from erpai.cli.acting import AsOption, acting_user
from erpai.cli.output import JsonOption, cli_session, emit, handle_errors
from erpai.errors import InvalidInput
from erpai.feedback import inbox
from erpai.feedback.schemas import FeedbackIn, InboxResolve
from erpai.feedback.service import give_feedback

INBOX_COLUMNS = ["count", "kinds", "question", "hit_ids"]


class RatingChoice(StrEnum):
    up = "up"
    down = "down"


@handle_errors
def feedback_command(
    hit_id: int = typer.Argument(
        ..., help="The hit id of the answer (shown by 'erpai ask' and 'erpai hits')."
    ),
    rating: RatingChoice = typer.Argument(..., help="up or down."),
    reason: str = typer.Option(None, "--reason", help="Why (optional)."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Thumbs up / down on an answer (whoever asked it, or the model's trainers)."""
    data = FeedbackIn(rating=rating.value, reason=reason)
    with cli_session() as session:
        emit(
            give_feedback(session, hit_id=hit_id, data=data, actor=acting_user(session, as_login)),
            as_json,
            [],
        )


@handle_errors
def inbox_command(
    model: str = typer.Argument(..., help="Model id or name."),
    resolve: int = typer.Option(None, "--resolve", help="Resolve the group of this hit id."),
    answer: str = typer.Option(None, "--answer", help="With --resolve: the answer to learn."),
    question: str = typer.Option(None, "--question", help="With --resolve: the question's wording."),
    out_of_scope: bool = typer.Option(False, "--out-of-scope", help="With --resolve: not to be answered."),
    dismiss: bool = typer.Option(False, "--dismiss", help="With --resolve: only take it out of the inbox."),
    below: float = typer.Option(inbox.LOW_CONFIDENCE, "--below", min=0.0, max=1.0, help="Low confidence."),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="How many groups."),
    as_login: str = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """The review inbox of a model (its trainers): refused, low-confidence and thumbed-down questions,
    similar ones grouped, most frequent first; --resolve HIT --answer TEXT turns one into a Q&A."""
    with cli_session() as session:
        actor = acting_user(session, as_login)
        model_id = find_model(session, ref=model).id
        if resolve is None:
            if answer is not None or out_of_scope or dismiss:
                raise InvalidInput(
                    "--answer, --out-of-scope and --dismiss need --resolve HIT", field="resolve"
                )
            page = inbox.list_inbox(session, model_id=model_id, actor=actor, limit=limit, below=below)
            emit(page.items, as_json, INBOX_COLUMNS)
            return
        if out_of_scope and dismiss:
            raise InvalidInput("give --out-of-scope or --dismiss, not both", field="dismiss")
        action = "dismiss" if dismiss else "out_of_scope" if out_of_scope else "answer"
        data = InboxResolve(hit_id=resolve, action=action, answer=answer or "", question=question)
        emit(
            inbox.resolve_inbox_item(session, model_id=model_id, data=data, actor=actor, below=below),
            as_json,
            [],
        )
