"""Normalisation and validation of supply-point and tax identifiers.

Provider-layer helpers, stdlib only (no Home Assistant imports):

* Spanish NIF (DNI, NIE, CIF, and the K/L/M personal NIFs) - the Datadis login
  and "authorized NIF".
* Spanish CUPS - Datadis supply id (20 or 22 characters, mod-529 check letters).
* French PRM / PDL - Enedis usage point (14 digits, no public checksum).
* Italian POD - electricity point of delivery (``IT`` + distributor + ``E`` + digits).

``normalize_*`` functions only tidy the text (case, spaces, separators) and never
raise; ``is_valid_*`` functions normalise first and return a bool, never raising.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "cups_base",
    "is_valid_cups",
    "is_valid_nif",
    "is_valid_pod",
    "is_valid_prm",
    "normalize_cups",
    "normalize_nif",
    "normalize_pod",
    "normalize_prm",
]

_CONTROL_LETTERS: Final = "TRWAGMYFPDXBNJZSQVHLCKE"
"""DNI/NIE control letters, indexed by ``number % 23`` (also used by CUPS)."""

_SEPARATORS: Final = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")


def _compact(value: str) -> str:
    """Upper-case ``value`` and drop whitespace, dots and dashes."""
    return _SEPARATORS.sub("", value).upper()


# ---------------------------------------------------------------------------
# Spanish NIF
# ---------------------------------------------------------------------------

_DNI: Final = re.compile(r"([0-9]{8})([A-Z])")
_NIE: Final = re.compile(r"([XYZ])([0-9]{7})([A-Z])")
_KLM: Final = re.compile(r"[KLM]([0-9]{7})([A-Z])")
_CIF: Final = re.compile(r"([ABCDEFGHJNPQRSUVW])([0-9]{7})([0-9A-J])")
_CIF_LETTERS: Final = "JABCDEFGHI"
_CIF_LETTER_ONLY: Final = frozenset("PQRSNW")
_CIF_DIGIT_ONLY: Final = frozenset("ABEH")
_NIE_PREFIX: Final = {"X": "0", "Y": "1", "Z": "2"}
_VAT_NIF_LENGTH: Final = 11


def normalize_nif(value: str) -> str:
    """Return ``value`` stripped, upper-cased, without spaces, dashes and dots.

    An ``ES`` VAT prefix in front of a 9-character NIF is removed
    (``"ES-B12345674"`` -> ``"B12345674"``), since Datadis wants the bare NIF.
    """
    compact = _compact(value)
    if len(compact) == _VAT_NIF_LENGTH and compact.startswith("ES"):
        return compact[2:]
    return compact


def _cif_control(digits: str) -> tuple[str, str]:
    """Return the (digit, letter) CIF controls for the 7 central digits.

    Double the digits in odd positions (1st, 3rd, 5th, 7th) and add their
    digits, add the digits in even positions, take ``(10 - total % 10) % 10``.
    """
    total = 0
    for index, char in enumerate(digits):
        number = int(char)
        if index % 2 == 0:
            number *= 2
            total += number // 10 + number % 10
        else:
            total += number
    control = (10 - total % 10) % 10
    return str(control), _CIF_LETTERS[control]


def _nif_controls(nif: str) -> tuple[str, ...] | None:
    """Return the control characters allowed for ``nif``, None if malformed."""
    if match := _DNI.fullmatch(nif):
        return (_CONTROL_LETTERS[int(match[1]) % 23],)
    if match := _NIE.fullmatch(nif):
        return (_CONTROL_LETTERS[int(_NIE_PREFIX[match[1]] + match[2]) % 23],)
    if match := _KLM.fullmatch(nif):
        return (_CONTROL_LETTERS[int(match[1]) % 23],)
    if match := _CIF.fullmatch(nif):
        kind = match[1]
        digit, letter = _cif_control(match[2])
        if kind in _CIF_LETTER_ONLY:
            return (letter,)
        if kind in _CIF_DIGIT_ONLY:
            return (digit,)
        return (digit, letter)
    return None


def is_valid_nif(value: object) -> bool:
    """Return whether ``value`` is a valid Spanish NIF (DNI, NIE, CIF or K/L/M).

    * DNI: 8 digits + ``"TRWAGMYFPDXBNJZSQVHLCKE"[n % 23]``.
      ``12345678Z``: 12345678 % 23 = 14 -> ``Z``.
    * NIE: X/Y/Z (-> 0/1/2) + 7 digits + the DNI letter of the 8-digit number.
      ``X1234567L``: 01234567 % 23 = 19 -> ``L``; ``Y1234567X``: 11234567 % 23
      = 10 -> ``X``.
    * K/L/M personal NIFs: letter + 7 digits + the DNI letter of the 7 digits.
      ``K1234567L``.
    * CIF: organisation letter + 7 digits + control. Odd positions doubled
      (digit sums), even positions added, control ``c = (10 - total % 10) % 10``;
      the control character is ``c`` or ``"JABCDEFGHI"[c]``. P, Q, R, S, N, W
      require the letter, A, B, E, H the digit, the others accept either.
      ``A58818501``: 5, 8, 8, 0 doubled -> 1 + 7 + 7 + 0 = 15, plus 8 + 1 + 5
      = 29 -> c = 1 -> ``1``. ``Q2826000H``: c = 8 -> ``H``.
    """
    if not isinstance(value, str):
        return False
    nif = normalize_nif(value)
    controls = _nif_controls(nif)
    return controls is not None and nif[-1] in controls


# ---------------------------------------------------------------------------
# Spanish CUPS
# ---------------------------------------------------------------------------

_CUPS: Final = re.compile(r"ES([0-9]{16})([A-Z]{2})(?:[0-9][FPRCXYZ])?")
_CUPS_BASE_LENGTH: Final = 20


def normalize_cups(value: str) -> str:
    """Return ``value`` stripped, upper-cased, without spaces, dashes and dots."""
    return _compact(value)


def _cups_check_letters(digits: str) -> str:
    quotient, remainder = divmod(int(digits) % 529, 23)
    return _CONTROL_LETTERS[quotient] + _CONTROL_LETTERS[remainder]


def is_valid_cups(value: object) -> bool:
    """Return whether ``value`` is a well-formed CUPS with correct check letters.

    Format ``ES`` + 16 digits (4-digit distributor code + 12-digit supply id)
    + 2 check letters, optionally followed by a border-point digit and one of
    ``FPRCXYZ`` (20 or 22 characters). Check letters (python-stdnum, edata):
    ``n = int(digits) % 529``, ``q, r = divmod(n, 23)``, letters ``T[q] + T[r]``
    with ``T = "TRWAGMYFPDXBNJZSQVHLCKE"``. ``ES0031607515707001RC0F``:
    0031607515707001 % 529 = 43 = 1 * 23 + 20 -> ``R`` ``C``.

    Datadis advice is to treat this as a *soft* check (warn, or let the user
    pick the supply from the account's list) since some retailers print
    variants; match supplies with :func:`cups_base`.
    """
    if not isinstance(value, str):
        return False
    match = _CUPS.fullmatch(normalize_cups(value))
    return match is not None and _cups_check_letters(match[1]) == match[2]


def cups_base(cups: str) -> str:
    """Return the first 20 characters of the normalised CUPS, for matching.

    The optional 2-character border-point suffix differs between Datadis and
    some distributors' invoices, so supplies are matched on the base. No
    validation is done: a shorter value is returned whole.
    """
    return normalize_cups(cups)[:_CUPS_BASE_LENGTH]


# ---------------------------------------------------------------------------
# French PRM / PDL
# ---------------------------------------------------------------------------

_PRM: Final = re.compile(r"[0-9]{14}")


def normalize_prm(value: str) -> str:
    """Return ``value`` without spaces, dashes and dots, leading zeros kept.

    PRMs must be kept as strings: many start with ``0`` (``00059461297239``).
    """
    return _compact(value)


def is_valid_prm(value: object) -> bool:
    """Return whether ``value`` is a French PRM/PDL: exactly 14 ASCII digits.

    Enedis publishes no check-digit algorithm (the reference notes found none;
    Switchgrid's spec only has ``^[0-9]{14}$``), so only the shape is checked.
    """
    if not isinstance(value, str):
        return False
    return _PRM.fullmatch(normalize_prm(value)) is not None


# ---------------------------------------------------------------------------
# Italian POD
# ---------------------------------------------------------------------------

_POD: Final = re.compile(r"IT[0-9]{3}E[0-9]{8}[A-Z0-9]?")


def normalize_pod(value: str) -> str:
    """Return ``value`` upper-cased, without spaces, dashes and dots."""
    return _compact(value)


def is_valid_pod(value: object) -> bool:
    """Return whether ``value`` is an Italian electricity POD.

    ``IT`` + 3-digit distributor code (``001`` e-distribuzione, ``002`` Areti,
    ...) + ``E`` (electricity) + 8 digits, optionally one more letter or digit:
    14 or 15 characters, e.g. ``IT001E12345678``. No checksum is published.

    The Digiwatt API documentation's own pattern
    ``^[A-Z]{2}[0-9A-Z]{3}[A-Z0-9]{14}$`` is *not* used: it matches exactly 19
    characters, while the same page says "= 20 characters" and its example
    ``IT001E1234567890AB`` has 18, so it rejects its own example and every real
    14/15-character POD. Gas PDRs (14 digits) are a different identifier.
    """
    if not isinstance(value, str):
        return False
    return _POD.fullmatch(normalize_pod(value)) is not None
