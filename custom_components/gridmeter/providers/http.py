"""HTTP plumbing shared by the provider clients.

One request sent and its transport failures mapped to the typed errors, a body
decoded as JSON, a ``Retry-After`` read: the same for every provider, so each
client only keeps what its API does differently (headers, status mapping).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
from typing import Any, Final

import aiohttp
from yarl import URL

from .errors import CannotConnect, InvalidResponse, ProviderUnavailable, RequestTimeout

USER_AGENT: Final = "GridMeter/0.1 (+https://github.com/gridmeter/ha-gridmeter)"


@dataclass(frozen=True, slots=True)
class Answer:
    """A provider's answer: its status, body text and ``Retry-After`` header."""

    status: int
    text: str
    retry_after: str | None


async def send(
    session: aiohttp.ClientSession,
    provider: str,
    method: str,
    url: str | URL,
    *,
    headers: Mapping[str, str],
    timeout: aiohttp.ClientTimeout,
    data: Mapping[str, str] | None = None,
    json_body: Any = None,
) -> Answer:
    """Send one request (with GridMeter's User-Agent); map transport errors.

    Any status is returned as is: what it means is the provider's business.
    """
    try:
        async with session.request(
            method,
            url,
            headers={"User-Agent": USER_AGENT, **headers},
            data=data,
            json=json_body,
            timeout=timeout,
        ) as response:
            raw = await response.read()
            return Answer(
                response.status,
                raw.decode("utf-8", errors="replace"),
                response.headers.get("Retry-After"),
            )
    except TimeoutError as err:
        raise RequestTimeout(f"{provider} did not answer in time") from err
    except aiohttp.ClientConnectorError as err:
        raise CannotConnect(f"cannot reach {provider}: {type(err).__name__}") from err
    except aiohttp.ClientError as err:
        raise ProviderUnavailable(
            f"cannot reach {provider}: {type(err).__name__}"
        ) from err


def decode_json(text: str, provider: str) -> Any:
    """Read JSON whatever the declared content type (InvalidResponse if not)."""
    try:
        return json.loads(text)
    except ValueError as err:
        raise InvalidResponse(
            f"{provider} answered something that is not JSON"
        ) from err


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Read ``Retry-After``: delay-seconds or an HTTP date (None if neither)."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: UTC without a stated zone
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)
