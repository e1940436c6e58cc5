"""Red Eléctrica transport: bounded byte answers and one status mapping.

`providers.http.send` decodes every body as text, but ESIOS serves the PVPC
archive as a ZIP (binary) for ranges, and since July 2026 for single days
too. `send_raw` is the same request with GridMeter's User-Agent and the same
transport error mapping, returning bytes, read up to a cap so that no answer
can make the client allocate without bound.

`raise_for_status` maps an answer that is not 2xx to the typed errors; the
REE real-time demand client (`providers.ree_demanda`) shares it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, NoReturn

import aiohttp
from yarl import URL

from ..errors import (
    AuthError,
    CannotConnect,
    InvalidResponse,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    redact,
)
from ..http import USER_AGENT, retry_after_seconds

_CHUNK_BYTES: Final = 64 * 1024
MAX_RETRY_AFTER: Final = 3600.0
"""Longest wait a 429 may ask for (seconds); longer asks are capped."""


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """A provider's answer: status, body bytes and ``Retry-After``."""

    status: int
    body: bytes
    retry_after: str | None

    @property
    def text(self) -> str:
        """The body as text (invalid UTF-8 replaced)."""
        return self.body.decode("utf-8", errors="replace")


async def send_raw(
    session: aiohttp.ClientSession,
    provider: str,
    url: str | URL,
    *,
    headers: Mapping[str, str],
    timeout: aiohttp.ClientTimeout,
    max_bytes: int,
) -> RawAnswer:
    """GET `url`; return at most `max_bytes` of body (InvalidResponse if more)."""
    try:
        async with session.get(
            url, headers={"User-Agent": USER_AGENT, **headers}, timeout=timeout
        ) as response:
            body = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
                body += chunk
                if len(body) > max_bytes:
                    raise InvalidResponse(
                        f"{provider} answered more than {max_bytes} bytes"
                    )
            return RawAnswer(
                response.status, bytes(body), response.headers.get("Retry-After")
            )
    except TimeoutError as err:
        raise RequestTimeout(f"{provider} did not answer in time") from err
    except aiohttp.ClientConnectorError as err:
        raise CannotConnect(f"cannot reach {provider}: {type(err).__name__}") from err
    except aiohttp.ClientError as err:
        raise ProviderUnavailable(
            f"cannot reach {provider}: {type(err).__name__}"
        ) from err


def raise_for_status(
    provider: str,
    status: int,
    text: str,
    retry_after: str | None,
    *,
    token_sent: bool,
    now: datetime | None = None,
) -> NoReturn:
    """Raise the typed error of a status that is not 2xx.

    401/403 is an AuthError only when a token was sent: without one it is a
    refusal of the request, which the user cannot fix.
    """
    detail = redact(text)
    if status in (401, 403) and token_sent:
        raise AuthError(f"{provider} rejected the token ({status})")
    if status == 404:
        raise NotFound(f"{provider} answered 404: {detail}")
    if status == 429:
        wait = retry_after_seconds(retry_after, now or datetime.now(UTC))
        raise RateLimited(
            f"{provider} asked to slow down",
            None if wait is None else min(wait, MAX_RETRY_AFTER),
        )
    if status >= 500:
        raise ProviderUnavailable(f"{provider} answered {status}: {detail}")
    raise RequestRejected(f"{provider} refused the request ({status}): {detail}")
