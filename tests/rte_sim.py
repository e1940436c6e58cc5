"""Running the RTE data portal simulator inside a test.

Also what the three French clients share: the error each status must become.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import aiohttp
from hypothesis import strategies as st

from custom_components.gridmeter.providers.errors import (
    AuthError,
    NotAuthorized,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)
from custom_components.gridmeter.providers.rte import RteClient
from simulator.common import serving
from simulator.rte import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RteSimulator

STATUS_ERRORS: Final[tuple[tuple[int, type[ProviderError]], ...]] = (
    (400, RequestRejected),
    (401, AuthError),
    (403, NotAuthorized),
    (404, NotFound),
    (422, RequestRejected),
    (429, RateLimited),
    (500, ProviderUnavailable),
    (502, ProviderUnavailable),
    (503, ProviderUnavailable),
)
"""Every French source maps an error status the same way (``rte.answers``)."""


@dataclass
class RunningRte:
    """An RTE portal simulator on a free local port, with a client session."""

    sim: RteSimulator
    url: str
    session: aiohttp.ClientSession

    def client(
        self,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        timeout: float = 5.0,
    ) -> RteClient:
        """A client of this simulator that shares its clock."""
        return RteClient(
            self.session,
            client_id,
            client_secret,
            base_url=self.url,
            timeout=timeout,
            clock=self.sim.now,
        )


@asynccontextmanager
async def running_rte(now: datetime) -> AsyncIterator[RunningRte]:
    """Serve a fresh simulator frozen at ``now`` for the block."""
    sim = RteSimulator()
    sim.clock.set(now)
    async with (
        serving(sim.app, access_log=False) as url,
        aiohttp.ClientSession() as session,
    ):
        yield RunningRte(sim, url, session)


# -- hypothesis strategies shared by the French parsers' property tests --------------

SCALARS: Final = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        ["ND", "", " ", "١٢٣", "１２", "1e400", "-5", "NaN", "Infinity", "true", "1,5"]
    )
)
JSON_VALUES: Final = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
"""Any JSON value, wrong types and absurd numbers included."""


@st.composite
def mutated(draw: st.DrawFn, records: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A record of the real shape with some fields replaced, dropped or retyped."""
    record = dict(draw(records))
    keys = sorted(record)
    if keys:
        for key in draw(st.sets(st.sampled_from(keys), max_size=3)):
            record[key] = draw(JSON_VALUES)
        for key in draw(st.sets(st.sampled_from(keys), max_size=2)):
            record.pop(key, None)
    if draw(st.integers(0, 9)) == 0:  # now and then, not a record at all
        return draw(st.sampled_from([[record], None, "record", 3]))
    return record
