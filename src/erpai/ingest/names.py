"""Company-name normalisation: the key two spellings of one company share.

'ACME-Handels GmbH', '„Acme Handels“ gmbh.' and 'Acme Handels' all give 'acme handels': case folded,
quotes, dots and dashes gone, legal-form suffixes (GmbH, AG, Ltd, LLC, EOOD, OOD, AD, SA, SRL, BV, …) removed.
"""

from __future__ import annotations

import re
import unicodedata

# Legal forms as word sequences after punctuation is removed; longest first so 'gmbh co kg' wins over 'kg'.
_LEGAL_FORMS_TEXT = (
    "gmbh|gmbh co kg|ag|kg|ohg|ug|ug haftungsbeschränkt|gbr|e k|ek|mbh|kgaa|se|"
    "ltd|limited|llc|l l c|inc|incorporated|corp|corporation|co|company|plc|llp|lp|pty ltd|pty|"
    "eood|ood|ad|ead|et|еоод|оод|ад|еад|ет|кд|сд|"
    "sa|sas|sarl|s a|s a s|s a r l|srl|s r l|spa|s p a|sl|s l|bv|b v|nv|n v|vof|bvba|cvba|sprl|"
    "oy|oyj|ab|as|a s|asa|aps|sp z o o|s r o|sro|kft|zrt|doo|d o o|sa de cv"
)
_LEGAL_FORMS = sorted((tuple(form.split()) for form in _LEGAL_FORMS_TEXT.split("|")), key=len, reverse=True)

_QUOTES = "\"'`´‘’‚‛“”„‟«»‹›"  # noqa: RUF001 (every quotation mark on purpose)


def normalise_company_name(name: str) -> str:
    """The matching key of a company name (empty when the name is only a legal form)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = text.replace("&", " ").replace("+", " ")
    text = re.sub(rf"[{re.escape(_QUOTES)}.,;:()\[\]/\\–—-]", " ", text)  # noqa: RUF001
    words = text.split()
    words = _strip_forms(words, at_end=True)
    words = _strip_forms(words, at_end=False)  # Bulgarian usage also puts the form first: 'ЕООД Алфа'
    return " ".join(words)


def _strip_forms(words: list[str], *, at_end: bool) -> list[str]:
    changed = True
    while changed and len(words) > 1:
        changed = False
        for form in _LEGAL_FORMS:
            n = len(form)
            if len(words) <= n:
                continue
            part = tuple(words[-n:]) if at_end else tuple(words[:n])
            if part == form:
                words = words[:-n] if at_end else words[n:]
                changed = True
                break
    return words


def same_company(a: str, b: str) -> bool:
    key = normalise_company_name(a)
    return bool(key) and key == normalise_company_name(b)
