"""Check digits: IBAN (ISO 13616 mod-97) and VAT numbers per country where the country defines one.

Each ``vat_check_<cc>`` takes the national part (digits and letters, no prefix, no spaces) and answers
True/False. A country not in :data:`VAT_CHECKS` is checked by format only
(``None`` from :func:`vat_checksum_ok`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# ISO 13616 lengths of the countries erpai's users meet most; another country is checked by mod-97 alone.
IBAN_LENGTHS: dict[str, int] = {
    "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24,
    "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IT": 27, "LT": 20, "LU": 20,
    "LV": 21, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24,
}  # fmt: skip


def _letters_to_digits(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


def iban_ok(iban: str) -> bool:
    """``iban`` without spaces, upper case: the country's length (when known) and mod-97 == 1."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    return int(_letters_to_digits(iban[4:] + iban[:4])) % 97 == 1


def _digits(number: str, length: int) -> list[int] | None:
    return [int(c) for c in number] if len(number) == length and number.isdigit() else None


def vat_check_de(number: str) -> bool:
    """ISO 7064 MOD 11,10 over 8 digits, the 9th is the check digit."""
    d = _digits(number, 9)
    if d is None:
        return False
    product = 10
    for digit in d[:8]:
        total = (digit + product) % 10 or 10
        product = (2 * total) % 11
    return (11 - product) % 10 == d[8]


def _weighted(d: list[int], weights: list[int]) -> int:
    return sum(a * b for a, b in zip(d, weights, strict=False))


def vat_check_bg(number: str) -> bool:
    """9 digits (companies, weights 1..8 then 3..10) or 10 digits (persons, foreigners, others)."""
    if len(number) == 9 and number.isdigit():
        d = [int(c) for c in number]
        rest = _weighted(d, list(range(1, 9))) % 11
        if rest == 10:
            rest = _weighted(d, list(range(3, 11))) % 11 % 10
        return rest == d[8]
    d10 = _digits(number, 10)
    if d10 is None:
        return False
    person = _weighted(d10, [2, 4, 8, 5, 10, 9, 7, 3, 6]) % 11 % 10
    foreigner = _weighted(d10, [21, 19, 17, 13, 11, 9, 7, 3, 1]) % 10
    other = (11 - _weighted(d10, [4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11) % 11
    return d10[9] in {person, foreigner} or (other != 10 and d10[9] == other)


def vat_check_fr(number: str) -> bool:
    """Two-character key + SIREN; a numeric key is (12 + 3 * (SIREN mod 97)) mod 97."""
    if not re.fullmatch(r"[0-9A-HJ-NP-Z]{2}\d{9}", number):
        return False
    key, siren = number[:2], int(number[2:])
    return int(key) == (12 + 3 * (siren % 97)) % 97 if key.isdigit() else True


def vat_check_it(number: str) -> bool:
    """11 digits, Luhn."""
    d = _digits(number, 11)
    if d is None:
        return False
    total = 0
    for i, digit in enumerate(d):
        doubled = digit * 2 if i % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def vat_check_nl(number: str) -> bool:
    """9 digits + B + 2 digits: the old mod-11 (weights 9..2) or, since 2020, mod-97 over 'NL' + number."""
    if not re.fullmatch(r"\d{9}B\d{2}", number):
        return False
    d = [int(c) for c in number[:9]]
    if _weighted(d, list(range(9, 1, -1))) % 11 == d[8]:
        return True
    return int(_letters_to_digits("NL" + number)) % 97 == 1


def vat_check_gb(number: str) -> bool:
    """9 (or 12, branch) digits: weights 8..2 plus the last two digits ≡ 0 or 55 mod 97; GD/HA accepted."""
    if re.fullmatch(r"(GD[0-4]\d\d|HA[5-9]\d\d)", number):
        return True
    if not re.fullmatch(r"\d{9}(\d{3})?", number):
        return False
    d = [int(c) for c in number[:9]]
    total = _weighted(d, list(range(8, 1, -1))) + int(number[7:9])
    return total % 97 in (0, 42)  # 42 == (-55) mod 97: the 2010 series


def vat_check_at(number: str) -> bool:
    """U + 8 digits; the 8th is a check digit over the first 7."""
    if not re.fullmatch(r"U\d{8}", number):
        return False
    d = [int(c) for c in number[1:]]
    total = 0
    for i, digit in enumerate(d[:7]):
        value = digit * 2 if i % 2 else digit
        total += value // 10 + value % 10
    return (10 - (total + 4) % 10) % 10 == d[7]


VAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "AT": vat_check_at,
    "BG": vat_check_bg,
    "DE": vat_check_de,
    "FR": vat_check_fr,
    "GB": vat_check_gb,
    "IT": vat_check_it,
    "NL": vat_check_nl,
}

# National parts: the format of the countries listed, a loose fallback for the other EU prefixes.
VAT_FORMATS: dict[str, str] = {
    "AT": r"U\d{8}",
    "BG": r"\d{9,10}",
    "DE": r"\d{9}",
    "FR": r"[0-9A-HJ-NP-Z]{2}\d{9}",
    "GB": r"\d{9}(?:\d{3})?",
    "IT": r"\d{11}",
    "NL": r"\d{9}B\d{2}",
    "BE": r"[01]\d{9}",
    "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "PL": r"\d{10}",
    "RO": r"\d{2,10}",
    "CZ": r"\d{8,10}",
    "DK": r"\d{8}",
    "SE": r"\d{12}",
    "PT": r"\d{9}",
    "IE": r"\d[0-9A-Z]\d{5}[A-Z]{1,2}",
    "EL": r"\d{9}",
    "HU": r"\d{8}",
    "SK": r"\d{10}",
    "SI": r"\d{8}",
    "HR": r"\d{11}",
    "LU": r"\d{8}",
    "FI": r"\d{8}",
}


def vat_checksum_ok(vat: str) -> bool | None:
    """``vat`` as 'CC' + national part: True/False where the country defines check digits, None otherwise."""
    check = VAT_CHECKS.get(vat[:2])
    return None if check is None else check(vat[2:])
