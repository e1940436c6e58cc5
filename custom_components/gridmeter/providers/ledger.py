"""A memory of every query sent to a rate-ruled API and what it answered.

Datadis answers an identical query repeated within 24 hours with HTTP 429 and
has banned accounts for over-use; a timeout or a 5xx may already have
consumed the query. So a query is written down *before* it is sent, its
outcome after; within the time-to-live a good answer is served from here and
a failed query is not sent again. The ledger is plain data: its owner
persists `as_dict()` wherever it likes (Home Assistant's Store for
GridMeter) and restores it with `from_dict()`, so the memory survives
restarts.

Of a good answer the ledger keeps a digest (SHA-256 of the body) and the
compact rows its client needs to serve it again, never the whole body: each
write of the owner's store serialises the ledger. Stored formats:

* today's: ``{key: {"sent_at", "outcome", "ttl", "digest", "rows"}}``;
* the first one (GridMeter 0.1): ``{key: {"sent_at", "outcome", "ttl",
  "answer"}}``, whose ``answer`` was already the client's compact rows; it
  is read as rows without a digest.

`from_dict` reads both and never raises: an entry it cannot read is dropped
(its query may then be sent again, as after a lost store).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
import hashlib
from typing import Any, Final

from .models import utc_now
from .parsing import lenient_number, plausible_instant

DAY: Final = timedelta(hours=24)
MAX_TTL: Final = timedelta(days=31)
"""The longest time-to-live restored (the longest used is a week)."""


def digest(text: str) -> str:
    """Return the digest the ledger keeps of an answer body (SHA-256, hex)."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


class Outcome(StrEnum):
    """What became of a query."""

    PENDING = "pending"
    """Sent, no answer recorded (the process stopped, or it is in flight)."""
    OK = "ok"
    RATE_LIMITED = "rate_limited"
    FAILED = "failed"
    """5xx, timeout, distributor error, garbage: the query may be consumed."""


@dataclass(slots=True)
class LedgerEntry:
    """One query: when it was sent, how it went and what it answered."""

    sent_at: datetime
    outcome: Outcome
    rows: Any = None
    """The compact rows of a good answer (JSON-compatible, the client's form)."""
    ttl: timedelta = DAY
    digest: str | None = None
    """SHA-256 of a good answer's body (None before this format)."""

    @property
    def expires_at(self) -> datetime:
        """When the query may be sent again.

        Only a good answer is reused for a longer time-to-live (a contract
        for a week); a refused, failed or unanswered query is held for 24 h
        at most: that is all the 24-hour rule asks, and holding a 429 for a
        week would leave the account without data for a week.
        """
        if self.outcome is Outcome.OK:
            return self.sent_at + self.ttl
        return self.sent_at + min(self.ttl, DAY)


class QueryLedger:
    """Remembers queries for their time-to-live (24 h by default)."""

    def __init__(
        self,
        entries: Mapping[str, LedgerEntry] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """Start from restored entries; `on_change` is called after each write."""
        self._entries: dict[str, LedgerEntry] = dict(entries or {})
        self._clock = clock
        self.on_change = on_change

    def lookup(self, key: str) -> LedgerEntry | None:
        """Return the live entry for `key`, or None if it may be sent now."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() >= entry.expires_at:
            del self._entries[key]
            return None
        return entry

    def record_sent(self, key: str, ttl: timedelta = DAY) -> None:
        """Write a query down before it goes out."""
        self._entries[key] = LedgerEntry(
            sent_at=self._clock(), outcome=Outcome.PENDING, ttl=ttl
        )
        self._changed()

    def record_outcome(
        self,
        key: str,
        outcome: Outcome,
        rows: Any = None,
        *,
        answer_digest: str | None = None,
    ) -> None:
        """Record how a sent query ended and, when it succeeded, its rows."""
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = LedgerEntry(
                sent_at=self._clock(), outcome=outcome
            )
        entry.outcome = outcome
        good = outcome is Outcome.OK
        entry.rows = rows if good else None
        entry.digest = answer_digest if good else None
        self._changed()

    def forget(self, key: str) -> None:
        """Drop a query the provider certainly did not count (never sent)."""
        if self._entries.pop(key, None) is not None:
            self._changed()

    def sent_since(self, since: datetime) -> int:
        """Count the remembered queries sent at or after `since`."""
        return sum(1 for entry in self._entries.values() if entry.sent_at >= since)

    def blocked(self) -> dict[str, datetime]:
        """Return failed or rate-limited queries and when they may be retried."""
        now = self._clock()
        return {
            key: entry.expires_at
            for key, entry in self._entries.items()
            if entry.outcome is not Outcome.OK and entry.expires_at > now
        }

    def held_until(self, matches: Callable[[str], bool]) -> datetime | None:
        """Return when the remembered queries whose key `matches` may be resent.

        None when none of them is held now.
        """
        now = self._clock()
        ends = [
            entry.expires_at
            for key, entry in self._entries.items()
            if matches(key) and entry.expires_at > now
        ]
        return max(ends, default=None)

    def prune(self) -> None:
        """Forget expired entries."""
        now = self._clock()
        expired = [k for k, e in self._entries.items() if e.expires_at <= now]
        for key in expired:
            del self._entries[key]
        if expired:
            self._changed()

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Serialise the live entries (JSON-compatible)."""
        now = self._clock()
        return {
            key: {
                "sent_at": entry.sent_at.isoformat(),
                "outcome": entry.outcome.value,
                "ttl": entry.ttl.total_seconds(),
                "digest": entry.digest,
                "rows": entry.rows,
            }
            for key, entry in self._entries.items()
            if entry.expires_at > now
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any] | None,
        *,
        clock: Callable[[], datetime] = utc_now,
        on_change: Callable[[], None] | None = None,
    ) -> QueryLedger:
        """Restore a ledger from either stored format; never raises.

        Malformed entries are dropped, not trusted.
        """
        entries: dict[str, LedgerEntry] = {}
        for key, raw in data.items() if isinstance(data, Mapping) else ():
            if isinstance(key, str) and (entry := _read_entry(raw)) is not None:
                entries[key] = entry
        ledger = cls(entries, clock=clock, on_change=on_change)
        ledger.prune()
        return ledger

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


def _read_entry(raw: Any) -> LedgerEntry | None:
    """Read one stored entry of either format (None when unreadable)."""
    if not isinstance(raw, Mapping):
        return None
    stamp = raw.get("sent_at")
    try:
        sent_at = plausible_instant(
            datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        )
        outcome = Outcome(str(raw.get("outcome")))
    except ValueError:
        return None
    if sent_at is None:
        return None
    seconds = lenient_number(raw.get("ttl"))
    ttl = DAY
    if seconds is not None and seconds > 0:
        ttl = timedelta(seconds=min(seconds, MAX_TTL.total_seconds()))
    good = outcome is Outcome.OK
    rows = raw["rows"] if "rows" in raw else raw.get("answer")
    stored_digest = raw.get("digest")
    return LedgerEntry(
        sent_at=sent_at,
        outcome=outcome,
        rows=rows if good else None,
        ttl=ttl,
        digest=stored_digest if good and isinstance(stored_digest, str) else None,
    )
