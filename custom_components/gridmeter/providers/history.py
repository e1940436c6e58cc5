"""Fetch a run of months in as few requests as the provider accepts.

The whole range is asked first. When a range fails or times out it is split
in halves, then down to single months, so that one bad month (a distributor
that fails the first month of a contract, a month too big to answer in time)
never loses the rest. A provider that keeps failing is down, not picky:
after `max_failures` consecutive failures the rest waits for the next run
instead of being hammered. The default limit is just above what isolating a
bad month costs: halving n months down to one fails at most ceil(log2 n) + 1
requests in a row (6 for 24 months; 5 when the bad month is the oldest, the
classic "first month of a contract answers 500"). The limit allows one more,
so a single bad month never holds the others back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .errors import (
    AlreadyQueried,
    AuthError,
    InvalidResponse,
    NoMeterPoints,
    NotAuthorized,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)


def add_months(month: date, count: int) -> date:
    """Return the first day of the month `count` months after `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    """Return the first days of every month from `first` to `last` inclusive."""
    months: list[date] = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def contiguous_runs(months: Sequence[date]) -> list[list[date]]:
    """Group months into runs of consecutive months (oldest first)."""
    runs: list[list[date]] = []
    for month in sorted(set(months)):
        if runs and add_months(runs[-1][-1], 1) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


def split_depth(count: int) -> int:
    """Return how many ranges in a row fail, at worst, to isolate a bad month.

    Halving `count` months down to one: ceil(log2 count) + 1 (24 months: 6).
    """
    return max(count - 1, 0).bit_length() + 1


@dataclass(slots=True)
class FetchReport:
    """What a fetch of months achieved."""

    answered: list[date] = field(default_factory=list)
    """Months covered by a successful answer."""
    failed: dict[date, str] = field(default_factory=dict)
    """Single months that failed even alone, with the reason."""
    deferred: list[date] = field(default_factory=list)
    """Months not asked (or refused) this run; ask them on a later run."""
    requests: int = 0
    rate_limited: bool = False
    retry_after: float | None = None
    """Seconds until the soonest refused or blocked range may be asked again."""

    def _defer(self, run: list[date], retry_after: float | None) -> None:
        self.deferred.extend(run)
        if retry_after is not None and (
            self.retry_after is None or retry_after < self.retry_after
        ):
            self.retry_after = retry_after


# Errors after which asking a smaller range may work.
_SPLITTABLE = (ProviderUnavailable, InvalidResponse, RequestRejected)
# Errors that concern the account, not the range: stop and report.
_FATAL = (AuthError, NotAuthorized, NoMeterPoints)


async def fetch_months[T](
    months: Sequence[date],
    fetch: Callable[[date, date], Awaitable[T]],
    on_answer: Callable[[date, date, T], Awaitable[None]],
    *,
    max_failures: int | None = None,
) -> FetchReport:
    """Fetch `months` (any order, gaps allowed), oldest first, splitting on failure.

    `fetch(first, last)` asks one range; `on_answer` receives each answer as
    soon as it arrives, so what was fetched is kept even if a later range
    fails. Fatal account errors propagate.
    """
    report = FetchReport()
    if max_failures is None:
        max_failures = split_depth(len(months)) + 1
    failures = 0
    pending: list[list[date]] = contiguous_runs(months)

    while pending:
        run = pending.pop(0)
        if report.rate_limited or failures >= max_failures:
            report.deferred.extend(run)
            continue
        first, last = run[0], run[-1]
        try:
            report.requests += 1
            answer = await fetch(first, last)
        except _FATAL:
            raise
        except AlreadyQueried as err:
            report.requests -= 1
            if not err.failed or len(run) == 1:
                report._defer(run, err.retry_after)  # noqa: SLF001
                continue
            # It failed earlier today: smaller ranges are different queries.
            middle = len(run) // 2
            pending[:0] = [run[:middle], run[middle:]]
            continue
        except RateLimited as err:
            report.rate_limited = True
            report._defer(run, err.retry_after)  # noqa: SLF001
            continue
        except _SPLITTABLE as err:
            failures += 1
            if len(run) == 1:
                report.failed[run[0]] = type(err).__name__
                continue
            middle = len(run) // 2
            pending[:0] = [run[:middle], run[middle:]]
            continue
        except ProviderError as err:  # not about the range (consent, not found)
            report.failed.update(dict.fromkeys(run, type(err).__name__))
            continue
        failures = 0
        await on_answer(first, last, answer)
        report.answered.extend(run)
    return report
