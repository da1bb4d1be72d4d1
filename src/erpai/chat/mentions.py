"""@-mentions: stored as stable tokens ``{@user:ID}``, typed as a token or ``@login``, read as ``@Name``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

TOKEN_RE = re.compile(r"\{@user:(\d+)\}")
# "@login" not glued to a word (so "bob@example.com" is no mention); logins may hold ". @ -".
LOGIN_RE = re.compile(r"(?<![\w@{])@([A-Za-z0-9_.@-]+)")
TRAILING_PUNCTUATION = ".-@"


def token(user_id: int) -> str:
    return f"{{@user:{user_id}}}"


def mentioned_ids(text: str) -> list[int]:
    """User ids mentioned in stored text, first mention first, each once."""
    return list(dict.fromkeys(int(m) for m in TOKEN_RE.findall(text)))


def tokenize(text: str, *, logins: Mapping[str, int]) -> str:
    """Turns each ``@login`` of a known login into its token; other ``@words`` stay as typed."""

    def replace(match: re.Match[str]) -> str:
        word = match.group(1)
        # "@bob." at the end of a sentence: try without trailing punctuation too.
        for candidate in (word, word.rstrip(TRAILING_PUNCTUATION)):
            if candidate in logins:
                return token(logins[candidate]) + word[len(candidate) :]
        return match.group(0)

    return LOGIN_RE.sub(replace, text)


def candidate_logins(text: str) -> set[str]:
    """The words typed after '@' that could be logins (to look up in one query)."""
    words = LOGIN_RE.findall(text)
    return set(words) | {w.rstrip(TRAILING_PUNCTUATION) for w in words}


def render(text: str, *, names: Mapping[int, str], prefix: str = "@") -> str:
    """Tokens become ``@Name`` (or the plain name with ``prefix=""``); a deleted user reads 'unknown user'."""
    return TOKEN_RE.sub(lambda m: prefix + names.get(int(m.group(1)), "unknown user"), text)


def ids_in(texts: Iterable[str]) -> set[int]:
    return {user_id for text in texts for user_id in mentioned_ids(text)}


def without(text: str, user_id: int) -> str:
    """The text with every mention of that user (the one addressed) taken out, spacing tidied."""
    removed = re.sub(re.escape(token(user_id)) + r"[,:;]?", " ", text)
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in removed.splitlines())
    return "\n".join(lines).strip()
