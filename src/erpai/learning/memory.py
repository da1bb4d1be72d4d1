"""A build's memory: a corrected question asked again in the words it was taught is answered as taught.

The head generalises, so it may answer one of its own training questions otherwise (the trained head of a
CLINC150-size model missed about 4 % of corrected questions after recompiling; a small company's closest
question plus prototype can side with a neighbouring answer). The memory looks a question up by its
normalised text (:func:`normalise`: Unicode compatibility forms, case, punctuation and spacing folded, accents
kept; the review inbox groups questions by the same key, so every wording of a resolved group is
remembered), before the head: a remembered question gets that row's answer at confidence 1, one last taught
as out of scope (a Q&A with an empty answer) is refused.

What is remembered is what was taught as a correction (the caller decides; the compile remembers training
conversations, where Train AI corrections are recorded, and training Q&As whose question is a regression
case, as review-inbox corrections are): what the quality gate insists on. Plain Q&As are left to the head,
which answers them right nearly always; remembering them too cost one CLINC150 test question, whose
identical training question carries another label. When remembered rows share a key but disagree, the
newest teaching wins: the last of them in build order, which puts training conversations after Q&As and
each kind in id (creation) order. What each key recalls is decided at compile time and stored with the
build; builds stored without a memory answer as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["REFUSE", "Memory", "normalise"]

_NOT_WORD = re.compile(r"[^\w]+")
#: What :meth:`Memory.recall` gives for a question last taught as out of scope.
REFUSE = -1


def normalise(question: str) -> str:
    """The lookup key: 'Opening hours?' and ' opening  HOURS ' are one question."""
    text = unicodedata.normalize("NFKC", question).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


@dataclass
class Memory:
    """Normalised question → the training row whose answer it recalls, or :data:`REFUSE`."""

    rows: dict[str, int] = field(default_factory=dict)

    @classmethod
    def learn(cls, taught: Iterable[tuple[str, bool, bool]], corrected: Iterable[str] = ()) -> Memory:
        """From the build's training examples in build order, (question, answered, remembered): the
        answered ones are the head's rows, numbered in that order; an example is also remembered when its
        question is one of ``corrected`` (regression cases); of the remembered ones, the last of each key
        wins."""
        keys = {normalise(question) for question in corrected}
        rows: dict[str, int] = {}
        row = 0
        for question, answered, remembered in taught:
            key = normalise(question)
            if key and (remembered or key in keys):
                rows[key] = row if answered else REFUSE
            row += int(answered)
        return cls(rows)

    def to_json(self) -> dict[str, Any]:
        """What a build stores: the remembered rows (their questions are the build's) and the refused keys."""
        return {
            "rows": sorted(r for r in self.rows.values() if r != REFUSE),
            "refused": sorted(k for k, r in self.rows.items() if r == REFUSE),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], questions: Sequence[str]) -> Memory:
        rows = {normalise(questions[int(r)]): int(r) for r in data.get("rows", [])}
        rows.update((str(key), REFUSE) for key in data.get("refused", []))
        return cls(rows)

    def recall(self, texts: Iterable[str]) -> list[int | None]:
        """Per question: the remembered training row, :data:`REFUSE`, or None (not remembered)."""
        if not self.rows:
            return [None for _ in texts]
        return [self.rows.get(normalise(text)) for text in texts]
