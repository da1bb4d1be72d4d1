"""The AI-written to-do title: one structured-output call, in the user's working language.

The title is asked for as JSON ``{"title": ...}`` (the provider contract's ``json_schema``: a wrong shape gets
one repair retry, then a clear 502). Whatever language the comment is in, the title is in the user's
working language (``users.working_language``, else the first active record language).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from erpai.limits import NAME_MAX
from erpai.providers.base import ProviderClient, ProviderError
from erpai.records.languages import ai_chat_client, language_name
from erpai.records.values import active_languages
from erpai.users.models import User

TITLE_TIMEOUT_S = 60.0
TITLE_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}},
    "required": ["title"],
    "additionalProperties": False,
}
def working_language(session: Session, *, user: User) -> str:
    return user.working_language or active_languages(session)[0]


def chat_client(session: Session) -> ProviderClient:
    return ai_chat_client(
        session, what="an AI-written to-do title", way_out="give the title yourself", field="title"
    )


def write_title(client: ProviderClient, *, language: str, text: str, context: str | None) -> str:
    """A short imperative to-do title for ``text`` (``context``: where it comes from), in ``language``."""
    name = language_name(language)
    instructions = (
        f"You turn a message into a to-do title. Write the title in {name} (language code {language}), "
        "whatever language the message is in: an imperative phrase of at most 12 words, no quotes. "
        'Answer with JSON only: {"title": "..."}.'
    )
    source = f"Context: {context}\n\nMessage:\n{text}" if context else text
    messages = [{"role": "system", "content": instructions}, {"role": "user", "content": source[:8000]}]
    result = client.complete(
        messages, temperature=0.0, max_tokens=120, timeout_s=TITLE_TIMEOUT_S, json_schema=TITLE_SCHEMA
    )
    title = " ".join(str(result.data["title"]).replace("\x00", "").split()).strip("\"'")
    if not title:
        raise ProviderError(f"provider '{client.name}' wrote an empty to-do title", code="bad_output")
    return title if len(title) <= NAME_MAX else title[: NAME_MAX - 1] + "…"
