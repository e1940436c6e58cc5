"""When Red Eléctrica publishes the next day's PVPC prices.

REE publishes day D+1's prices on day D at about 20:15 Madrid time (esios
page; HA custom integrations refresh at 20:20 to 20:30). Before that
instant, tomorrow's prices are not known and must not be guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from .systems import MADRID

PUBLICATION_TIME: Final = time(20, 30)
"""Madrid time after which day D+1 is expected (20:15 plus a margin)."""


def pvpc_expected_at(day: date) -> datetime:
    """Return the UTC instant from which the prices of `day` are expected."""
    return datetime.combine(
        day - timedelta(days=1), PUBLICATION_TIME, MADRID
    ).astimezone(UTC)


def tomorrow_prices_expected_at(now: datetime) -> datetime:
    """When the prices of tomorrow (Madrid's) are expected, seen from `now`.

    In the past once they are due: the caller fetches then, and again later
    while the day is still missing.
    """
    today = now.astimezone(MADRID).date()
    return pvpc_expected_at(today + timedelta(days=1))


def last_expected_day(now: datetime) -> date:
    """Return the latest (Madrid) day whose prices are due at `now`."""
    today = now.astimezone(MADRID).date()
    tomorrow = today + timedelta(days=1)
    return tomorrow if now >= pvpc_expected_at(tomorrow) else today
