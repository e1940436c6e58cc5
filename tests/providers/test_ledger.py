"""The query ledger: the 24-hour memory of rate-ruled queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.gridmeter.providers.ledger import Outcome, QueryLedger

T0 = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_a_query_is_remembered_for_24_hours() -> None:
    """Within its time-to-live a query is answered from the ledger."""
    clock = Clock()
    changes: list[int] = []
    ledger = QueryLedger(clock=clock, on_change=lambda: changes.append(1))
    ledger.record_sent("q")
    ledger.record_outcome("q", Outcome.OK, {"rows": [1]})
    assert changes == [1, 1]
    clock.now += timedelta(hours=23, minutes=59)
    entry = ledger.lookup("q")
    assert entry is not None
    assert entry.rows == {"rows": [1]}
    clock.now += timedelta(minutes=1)
    assert ledger.lookup("q") is None


def test_failures_block_and_keep_no_answer() -> None:
    """A failed or refused query is remembered without an answer."""
    clock = Clock()
    ledger = QueryLedger(clock=clock)
    ledger.record_sent("a")
    ledger.record_outcome("a", Outcome.FAILED, {"ignored": True})
    ledger.record_outcome("b", Outcome.RATE_LIMITED)
    assert ledger.lookup("a").rows is None  # type: ignore[union-attr]
    assert set(ledger.blocked()) == {"a", "b"}
    assert ledger.sent_since(T0) == 2
    ledger.forget("a")
    ledger.forget("never-sent")
    assert set(ledger.blocked()) == {"b"}


def test_survives_a_restart_and_drops_expired_or_garbage() -> None:
    """Serialised, restored, pruned; malformed entries are not trusted."""
    clock = Clock()
    ledger = QueryLedger(clock=clock)
    ledger.record_sent("old")
    clock.now += timedelta(hours=12)
    ledger.record_sent("new", ttl=timedelta(hours=20))
    ledger.record_outcome("new", Outcome.OK, [1, 2])
    saved = ledger.as_dict()
    saved["broken"] = {"sent_at": "yesterday"}
    clock.now += timedelta(hours=13)
    restored = QueryLedger.from_dict(saved, clock=clock)
    assert restored.lookup("old") is None
    assert restored.lookup("broken") is None
    entry = restored.lookup("new")
    assert entry is not None
    assert entry.rows == [1, 2]
    assert entry.outcome is Outcome.OK
    assert QueryLedger.from_dict(None, clock=clock).as_dict() == {}


def test_pending_query_after_a_crash_counts_as_sent() -> None:
    """A query sent just before a restart is not sent again within 24 h."""
    clock = Clock()
    ledger = QueryLedger(clock=clock)
    ledger.record_sent("q")
    restored = QueryLedger.from_dict(ledger.as_dict(), clock=clock)
    entry = restored.lookup("q")
    assert entry is not None
    assert entry.outcome is Outcome.PENDING
    clock.now += timedelta(hours=25)
    restored.prune()
    assert restored.as_dict() == {}


def test_a_refusal_is_held_24_hours_even_on_a_long_lived_query() -> None:
    """A query whose good answer lives a week (a contract) blocks one day
    when it was refused, failed or never answered, never a week.
    """
    clock = Clock()
    ledger = QueryLedger(clock=clock)
    week = timedelta(days=7)
    for key, outcome in (
        ("refused", Outcome.RATE_LIMITED),
        ("failed", Outcome.FAILED),
        ("answered", Outcome.OK),
    ):
        ledger.record_sent(key, week)
        ledger.record_outcome(key, outcome, {"rows": []})
    ledger.record_sent("pending", week)
    restored = QueryLedger.from_dict(ledger.as_dict(), clock=clock)
    clock.now += timedelta(hours=24)
    for key in ("refused", "failed", "pending"):
        assert restored.lookup(key) is None, key
    assert restored.lookup("answered") is not None
    clock.now += timedelta(days=6)
    assert restored.lookup("answered") is None
