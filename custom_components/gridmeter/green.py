"""Green windows: hours when the grid's renewable share is high.

A window is a provider-neutral `GreenWindow` (start, end, renewable share).
Entities read `MeterData.green_windows` and never ask where the windows come
from: a provider sync fills it from any `GreenWindowSource` — Digiwatt's
greenness endpoint today, a national grid signal (Red Eléctrica for Spain,
RTE Ecowatt for France) tomorrow — so a new source touches no entity.
`None` means the supply has no source; an empty tuple means no window now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
import logging
from typing import Final, Protocol

from .providers.errors import AuthError, ProviderError, RateLimited, redact
from .providers.models import GreenWindow
from .providers.signals import SignalBasis

_LOGGER = logging.getLogger(__name__)


class GreenWindowSource(Protocol):
    """Anything that can tell the coming green windows."""

    async def async_windows(self) -> list[GreenWindow]:
        """Return the windows known now (past ones may be included)."""


async def async_collect_windows(
    sources: Sequence[GreenWindowSource], previous: Sequence[GreenWindow]
) -> tuple[GreenWindow, ...]:
    """Ask every source and merge their windows.

    A source that fails contributes the windows it gave last time it was
    asked (kept in `previous`, merged): one failing source never blanks the
    windows an automation waits for. Credentials and rate limits are the
    provider's business and propagate.
    """
    answers: list[Iterable[GreenWindow]] = []
    failed = False
    for source in sources:
        try:
            answers.append(await source.async_windows())
        except (AuthError, RateLimited):
            raise
        except ProviderError as err:
            failed = True
            _LOGGER.debug("No green windows from %s: %s", source, redact(str(err)))
    if failed:
        answers.append(previous)
    return merge_windows(*answers)


def merge_windows(*sources: Iterable[GreenWindow]) -> tuple[GreenWindow, ...]:
    """Join windows from several sources: overlapping ones become one window.

    The merged window keeps the highest renewable share of its parts and
    the weakest basis among them (estimate, then forecast, then measured):
    a window partly estimated is never labelled a forecast.
    """
    merged: list[GreenWindow] = []
    for window in sorted((w for s in sources for w in s), key=lambda w: w.start):
        if merged and window.start <= merged[-1].end:
            last = merged[-1]
            shares = [
                s
                for s in (last.renewable_share, window.renewable_share)
                if s is not None
            ]
            merged[-1] = GreenWindow(
                start=last.start,
                end=max(last.end, window.end),
                renewable_share=max(shares) if shares else None,
                basis=_weakest(last.basis, window.basis),
            )
        else:
            merged.append(window)
    return tuple(merged)


_STRENGTH: Final = {
    SignalBasis.ESTIMATE.value: 0,
    SignalBasis.FORECAST.value: 1,
    SignalBasis.MEASURED.value: 2,
}


def _weakest(*bases: str | None) -> str | None:
    """Return the weakest basis given (None when no part says)."""
    known = [basis for basis in bases if basis is not None]
    return min(known, key=lambda b: _STRENGTH.get(b, -1), default=None)


def current_window(
    windows: Sequence[GreenWindow] | None, now: datetime
) -> GreenWindow | None:
    """Return the window `now` falls in, if any (start in, end out)."""
    return next((w for w in windows or () if w.start <= now < w.end), None)


def next_window(
    windows: Sequence[GreenWindow] | None, now: datetime
) -> GreenWindow | None:
    """Return the window in progress, else the first one to come."""
    return next(
        (w for w in sorted(windows or (), key=lambda w: w.start) if w.end > now), None
    )


def next_boundary(
    windows: Sequence[GreenWindow] | None, now: datetime
) -> datetime | None:
    """Return the next instant a window starts or ends."""
    edges = [edge for w in windows or () for edge in (w.start, w.end) if edge > now]
    return min(edges, default=None)
