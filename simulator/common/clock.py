"""A small, overridable clock shared by every simulator.

The default source is ``datetime.now(UTC)`` looked up at call time, so
freezegun (used by the Home Assistant test plugin) moves the simulators'
notion of "now" together with everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

type NowSource = Callable[[], datetime]


def system_now() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


class Clock:
    """The simulator's notion of "now": a time source plus an offset.

    ``now()`` always returns an aware UTC datetime. The source can be replaced
    by any callable (``set(fn)``), frozen at an instant (``set(datetime)``) or
    shifted (``advance(timedelta)``), which is how a test fast-forwards a day
    without touching the system clock.
    """

    def __init__(self, source: NowSource | None = None) -> None:
        """Use ``source`` as the time source (default: the system clock)."""
        self._source: NowSource = source or system_now
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Return the current simulated instant (aware, UTC)."""
        value = self._source()
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"clock source returned a naive datetime: {value!r}")
        return (value + self._offset).astimezone(UTC)

    __call__ = now

    def set(self, source: NowSource | datetime | None) -> None:
        """Replace the time source; a datetime freezes the clock at that instant.

        ``None`` goes back to the system clock. The offset is reset.
        """
        if isinstance(source, datetime):
            if source.tzinfo is None:
                raise ValueError("a frozen clock needs an aware datetime")
            frozen = source.astimezone(UTC)
            self._source = lambda: frozen
        else:
            self._source = source or system_now
        self._offset = timedelta(0)

    def advance(self, delta: timedelta) -> None:
        """Move the simulated time forward (or backward) by ``delta``."""
        self._offset += delta
