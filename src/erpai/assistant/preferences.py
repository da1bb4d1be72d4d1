"""A user's own assistant settings: additional instructions per form kind, debug and diagnostics switches.

Private to their owner: every use case acts on the caller's own row only.
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy.orm import Session

from erpai.assistant.models import AssistantPreference
from erpai.errors import InvalidInput
from erpai.settings.registry import ASSISTANT_INSTRUCTION_SETTINGS
from erpai.settings.service import get_setting

FormKind = Literal["record", "navigator"]
FORM_KINDS: tuple[str, ...] = get_args(FormKind)
MAX_INSTRUCTIONS_CHARS = 8000
_COLUMNS = {"record": "record_instructions", "navigator": "navigator_instructions"}


def _checked_kind(form_kind: str) -> str:
    if form_kind not in FORM_KINDS:
        raise InvalidInput(
            f"form_kind must be one of {', '.join(FORM_KINDS)}, not '{form_kind}'", field="form_kind"
        )
    return form_kind


def preference_of(session: Session, *, user_id: int) -> AssistantPreference:
    """The user's row, or an unsaved one with every default (nothing set, debug and diagnostics off)."""
    row = session.get(AssistantPreference, user_id)
    return row if row is not None else AssistantPreference(user_id=user_id, debug=False, diagnostics=False)


def _stored(session: Session, user_id: int) -> AssistantPreference:
    row = session.get(AssistantPreference, user_id)
    if row is None:
        row = AssistantPreference(user_id=user_id, debug=False, diagnostics=False)
        session.add(row)
    return row


def effective_instructions(session: Session, *, user_id: int, form_kind: str) -> tuple[str, bool]:
    """(the instructions in force, whether they are the system default) for one form kind."""
    kind = _checked_kind(form_kind)
    own = getattr(preference_of(session, user_id=user_id), _COLUMNS[kind])
    if own is not None:
        return own, False
    value = get_setting(session, key=ASSISTANT_INSTRUCTION_SETTINGS[kind])
    return str(value), True


def list_instructions(session: Session, *, user_id: int) -> dict[str, tuple[str, bool]]:
    return {kind: effective_instructions(session, user_id=user_id, form_kind=kind) for kind in FORM_KINDS}


def set_instructions(
    session: Session, *, user_id: int, form_kind: str, instructions: str | None
) -> tuple[str, bool]:
    """Sets the user's own instructions for a form kind; None (or blank) clears them: the default applies."""
    kind = _checked_kind(form_kind)
    text = instructions.strip() if instructions is not None else ""
    if len(text) > MAX_INSTRUCTIONS_CHARS:
        raise InvalidInput(
            f"instructions are at most {MAX_INSTRUCTIONS_CHARS} characters", field="instructions"
        )
    row = _stored(session, user_id)
    setattr(row, _COLUMNS[kind], text or None)
    session.commit()
    return effective_instructions(session, user_id=user_id, form_kind=kind)


def set_switches(
    session: Session, *, user_id: int, debug: bool | None = None, diagnostics: bool | None = None
) -> AssistantPreference:
    row = _stored(session, user_id)
    if debug is not None:
        row.debug = debug
    if diagnostics is not None:
        row.diagnostics = diagnostics
    session.commit()
    return row
