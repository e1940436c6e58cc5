"""Fetching runs of months: whole range first, split only what fails."""

from __future__ import annotations

from datetime import date

import pytest

from custom_components.gridmeter.providers.errors import (
    AlreadyQueried,
    AuthError,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    RequestTimeout,
)
from custom_components.gridmeter.providers.history import (
    add_months,
    contiguous_runs,
    fetch_months,
    month_range,
    split_depth,
)

WINDOW = month_range(date(2024, 12, 1), date(2026, 11, 1))


class FakeProvider:
    """Answers ranges; fails any range that contains a bad month."""

    def __init__(
        self, bad: set[date] | None = None, error: type[Exception] = ProviderUnavailable
    ) -> None:
        self.bad = bad or set()
        self.error = error
        self.asked: list[tuple[date, date]] = []
        self.answers: list[tuple[date, date]] = []

    async def fetch(self, first: date, last: date) -> str:
        self.asked.append((first, last))
        if any(first <= month <= last for month in self.bad):
            raise self.error("no")
        return f"{first}..{last}"

    async def on_answer(self, first: date, last: date, answer: str) -> None:
        assert answer == f"{first}..{last}"
        self.answers.append((first, last))


def test_month_helpers() -> None:
    """Month arithmetic across years; runs of consecutive months."""
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert add_months(date(2025, 12, 1), 14) == date(2027, 2, 1)
    assert len(WINDOW) == 24
    runs = contiguous_runs(
        [date(2026, 3, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 6, 1)]
    )
    assert runs == [
        [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)],
        [date(2026, 6, 1)],
    ]


async def test_whole_window_in_one_request() -> None:
    """Nothing fails: one request for 24 months."""
    provider = FakeProvider()
    report = await fetch_months(WINDOW, provider.fetch, provider.on_answer)
    assert provider.asked == [(WINDOW[0], WINDOW[-1])]
    assert report.requests == 1
    assert report.answered == WINDOW
    assert not report.failed


async def test_other_errors_fail_the_run_unsplit() -> None:
    """An error that smaller ranges cannot mend fails the run, asked once."""
    provider = FakeProvider({WINDOW[3]}, error=NotFound)
    report = await fetch_months(WINDOW, provider.fetch, provider.on_answer)
    assert provider.asked == [(WINDOW[0], WINDOW[-1])]
    assert report.failed == dict.fromkeys(WINDOW, "NotFound")
    assert not report.answered
    assert not report.deferred


async def test_one_bad_month_loses_nothing_else() -> None:
    """A failing month is isolated by halving; every other month arrives."""
    bad = date(2025, 3, 1)
    provider = FakeProvider({bad})
    report = await fetch_months(WINDOW, provider.fetch, provider.on_answer)
    assert set(report.answered) == set(WINDOW) - {bad}
    assert report.failed == {bad: "ProviderUnavailable"}
    # whole, then a halving path down to the month: a handful, not 24.
    assert report.requests <= 10
    assert [first for first, _ in provider.answers] == sorted(
        first for first, _ in provider.answers
    )


async def test_outage_stops_after_consecutive_failures() -> None:
    """A provider that fails everything is not hammered."""
    provider = FakeProvider(set(WINDOW), RequestTimeout)
    report = await fetch_months(
        WINDOW, provider.fetch, provider.on_answer, max_failures=4
    )
    assert report.requests == 4
    assert not report.answered
    assert set(report.deferred) | set(report.failed) == set(WINDOW)


async def test_rate_limit_defers_the_rest() -> None:
    """A 429 ends the run; nothing else is asked today."""
    provider = FakeProvider({WINDOW[0]}, RateLimited)
    runs = [WINDOW[0], WINDOW[5]]
    report = await fetch_months(runs, provider.fetch, provider.on_answer)
    assert report.rate_limited
    assert provider.asked == [(WINDOW[0], WINDOW[0])]
    assert report.deferred == runs


async def test_already_failed_today_is_split_not_repeated() -> None:
    """The whole window failed earlier today: its halves are new queries."""
    calls: list[tuple[date, date]] = []

    async def fetch(first: date, last: date) -> str:
        calls.append((first, last))
        if (first, last) == (WINDOW[0], WINDOW[-1]):
            raise AlreadyQueried("asked", 3600, failed=True)
        return "ok"

    async def on_answer(first: date, last: date, answer: str) -> None:
        pass

    report = await fetch_months(WINDOW, fetch, on_answer)
    assert calls[1:] == [(WINDOW[0], WINDOW[11]), (WINDOW[12], WINDOW[-1])]
    assert report.requests == 2
    assert report.answered == WINDOW


async def test_already_refused_today_waits() -> None:
    """A query Datadis refused with 429 today is not split around."""

    async def fetch(first: date, last: date) -> str:
        raise AlreadyQueried("asked", 3600, failed=False)

    async def on_answer(first: date, last: date, answer: str) -> None:
        raise AssertionError

    report = await fetch_months(WINDOW, fetch, on_answer)
    assert report.deferred == WINDOW
    assert report.requests == 0


async def test_account_errors_propagate() -> None:
    """Wrong credentials are not a range problem."""
    provider = FakeProvider(set(WINDOW), AuthError)
    with pytest.raises(AuthError):
        await fetch_months(WINDOW, provider.fetch, provider.on_answer)


async def test_oldest_month_failing_loses_nothing_else_by_default() -> None:
    """The first month of a contract answering 500: halving 24 months down to
    it fails five ranges in a row; the other 23 months still arrive.
    """
    for bad in (WINDOW[0], WINDOW[12], WINDOW[-1]):
        provider = FakeProvider({bad})
        report = await fetch_months(WINDOW, provider.fetch, provider.on_answer)
        assert set(report.answered) == set(WINDOW) - {bad}, bad
        assert report.failed == {bad: "ProviderUnavailable"}
        assert not report.deferred


async def test_default_outage_limit_follows_the_window() -> None:
    """Everything failing stops after ceil(log2 n) + 2 requests, not more."""
    assert [split_depth(n) for n in (1, 2, 3, 12, 24, 32)] == [1, 2, 3, 5, 6, 6]
    provider = FakeProvider(set(WINDOW), RequestTimeout)
    report = await fetch_months(WINDOW, provider.fetch, provider.on_answer)
    assert report.requests == 7
    assert not report.answered
