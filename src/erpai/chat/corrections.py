"""Telling a person's correction of an AI answer from a thank-you or a follow-up question (Train AI)."""

from __future__ import annotations

import re

# "No, ...", "Wrong: ...", "That's not right. ..." — only with punctuation after it, so that
# "No parking on Sundays." stays a statement.
_REJECTION = re.compile(
    r"^\s*(?:no|nope|nah|wrong|incorrect|false|not quite|not really|not true|actually|"
    r"that(?:'s| is) (?:not (?:right|correct|true|it)|wrong|incorrect|false))"
    r"\s*[,.:;!\u2013\u2014-]+\s*",
    re.IGNORECASE,
)
_ACKNOWLEDGEMENT = re.compile(
    r"^\s*(?:thanks?|thank you|thx|ty|ok(?:ay)?|great|perfect|correct|right|yes|yep|yeah|exactly|"
    r"cool|nice|good|got it|understood|that's (?:right|correct|it))\b",
    re.IGNORECASE,
)
ACKNOWLEDGEMENT_MAX_WORDS = 6


def corrected_answer(text: str) -> str | None:
    """The answer a person's comment gives in place of the AI's, or None when it corrects nothing.

    Rejection words at the start are dropped ("No, it opens at 11:30." -> "It opens at 11:30.").
    A question, a short acknowledgement ("Thanks, perfect!") or a bare "No." is no correction.
    """
    rest, rejected = text.strip(), False
    while (match := _REJECTION.match(rest)) is not None:
        rest, rejected = rest[match.end() :], True
    if not rest:
        return None
    if rest.rstrip().endswith("?") or (not rejected and _is_acknowledgement(rest)):
        return None
    return rest[0].upper() + rest[1:]


def _is_acknowledgement(text: str) -> bool:
    return _ACKNOWLEDGEMENT.match(text) is not None and len(text.split()) <= ACKNOWLEDGEMENT_MAX_WORDS
