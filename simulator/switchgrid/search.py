"""Contract search and the Enedis name check, tolerant the way people type.

Names are compared without case, accents or punctuation, word by word and in
any order; a word matches a holder word when equal, when one is a prefix of
the other (3+ letters) or when they differ by one edit (5+ letters). Every
query word must match. Addresses need a 5-digit postal code, which must be
the installation's.
"""

from __future__ import annotations

import re
import unicodedata

from .households import Household

_POSTAL = re.compile(r"(?<!\d)(\d{5})(?!\d)")
_CIVILITY = frozenset({"m", "mme", "mlle", "mr", "monsieur", "madame", "et"})


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation replaced by spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()


def words(text: str) -> list[str]:
    """Significant words of a name (civilities dropped)."""
    return [w for w in normalise(text).split() if w not in _CIVILITY]


def postal_code(address: str) -> str | None:
    """First 5-digit group of an address, if any."""
    match = _POSTAL.search(address)
    return None if match is None else match[1]


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def word_matches(query: str, candidate: str) -> bool:
    """Tolerant comparison of two normalised words."""
    if query == candidate:
        return True
    if min(len(query), len(candidate)) >= 3 and (
        candidate.startswith(query) or query.startswith(candidate)
    ):
        return True
    return min(len(query), len(candidate)) >= 5 and _one_edit(query, candidate)


def name_matches(query: str, holder: str) -> bool:
    """Every word of ``query`` matches a word of ``holder``."""
    wanted = words(query)
    available = words(holder)
    if not wanted:
        return False
    return all(any(word_matches(w, a) for a in available) for w in wanted)


def matches(
    household: Household, name: str, address: str | None, prm: str | None
) -> bool:
    """Whether ``household`` answers a ``GET /search_contract`` query."""
    if not name_matches(name, household.holder):
        return False
    if prm is not None and prm != household.prm:
        return False
    if address is not None:
        code = postal_code(address)
        if code != household.address.postal_code:
            return False
    return True
