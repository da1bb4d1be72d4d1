"""Language names for prompts, and the default model's chat client for the AI tools on records.

Both the to-do titles and the field translations ask the default model's provider for structured output;
without a provider that has 'chat' they fail with MissingCapability saying what needed it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from erpai.errors import MissingCapability
from erpai.ingest.extraction import default_chat_client
from erpai.providers.base import ProviderClient

LANGUAGE_NAMES = {
    "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "fi": "Finnish", "fr": "French", "hr": "Croatian", "hu": "Hungarian", "it": "Italian",
    "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian",
}  # fmt: skip


def language_name(code: str) -> str:
    """'de' -> 'German' (the code itself for a language not in the table)."""
    return LANGUAGE_NAMES.get(code.split("-")[0], code)


def ai_chat_client(session: Session, *, what: str, way_out: str, field: str) -> ProviderClient:
    """The default model's provider with 'chat', or MissingCapability naming what needs it and the way out."""
    try:
        return default_chat_client(session)
    except MissingCapability as exc:
        raise MissingCapability(
            f"{what} needs the 'chat' capability of the default model's provider ({exc.message}); {way_out}",
            field=field,
        ) from None
