"""HTTP plumbing shared by the provider clients.

One request sent and its transport failures mapped to the typed errors, a body
decoded as JSON, a ``Retry-After`` read: the same for every provider, so each
client only keeps what its API does differently (headers, status mapping).

Nothing an answer says can make this unbounded: a body is read up to
`MAX_ANSWER_BYTES`, JSON deeper than `MAX_JSON_DEPTH` is refused before it is
decoded, and ``Retry-After`` is a finite delay between `MIN_RETRY_AFTER` and
`MAX_RETRY_AFTER`. Large bodies are decoded in a worker thread, so that a
3.5 MB Datadis answer does not hold the caller's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import accumulate
import json
import math
import re
from typing import Any, Final

import aiohttp
from yarl import URL

from .errors import CannotConnect, InvalidResponse, ProviderUnavailable, RequestTimeout

USER_AGENT: Final = "GridMeter/0.1 (+https://github.com/gridmeter/ha-gridmeter)"

MAX_ANSWER_BYTES: Final = 32 * 1024 * 1024
"""The largest answer body read (32 MiB), whatever the provider.

The largest real answers are a 24-month Datadis consumption answer (~3.5 MB)
and a Switchgrid order with two years of inline ten-minute load curve (a few
MB); a bigger body is not an answer GridMeter can use, and reading it whole
would let the provider choose how much memory Home Assistant spends.
"""
MAX_JSON_DEPTH: Final = 64
"""The deepest JSON nesting decoded (real answers nest fewer than 12 levels)."""
THREAD_BYTES: Final = 256 * 1024
"""Bodies larger than this are decoded (and parsed) in a worker thread.

Below it, decoding costs less than the hop to a thread; above it, the event
loop would stall for milliseconds per answer.
"""
MIN_RETRY_AFTER: Final = 1.0
MAX_RETRY_AFTER: Final = 48 * 3600.0
"""``Retry-After`` bounds (seconds): at least a second, at most two days."""

# Strings (whose brackets do not nest) and everything but brackets.
_JSON_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}


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
    max_bytes: int = MAX_ANSWER_BYTES,
) -> Answer:
    """Send one request (with GridMeter's User-Agent); map transport errors.

    Any status is returned as is: what it means is the provider's business.
    A body over `max_bytes` is an InvalidResponse (it is not read further).
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
            raw = await _read_body(response, provider, max_bytes)
            status, retry_after = response.status, response.headers.get("Retry-After")
    except TimeoutError as err:
        raise RequestTimeout(f"{provider} did not answer in time") from err
    except aiohttp.ClientConnectorError as err:
        raise CannotConnect(f"cannot reach {provider}: {type(err).__name__}") from err
    except aiohttp.ClientError as err:
        raise ProviderUnavailable(
            f"cannot reach {provider}: {type(err).__name__}"
        ) from err
    if len(raw) > THREAD_BYTES:
        text = await asyncio.to_thread(raw.decode, "utf-8", "replace")
    else:
        text = raw.decode("utf-8", errors="replace")
    return Answer(status, text, retry_after)


async def _read_body(
    response: aiohttp.ClientResponse, provider: str, max_bytes: int
) -> bytes:
    """Read a body of at most `max_bytes` (the declared length is checked first)."""
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise InvalidResponse(f"{provider} answered more than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            raise InvalidResponse(f"{provider} answered more than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def json_depth(text: str) -> int:
    """Return how deep the arrays and objects of a JSON text nest.

    Brackets inside strings do not count.
    """
    return _bracket_depth(_NOT_BRACKET.sub("", _JSON_STRING.sub("", text)))


def _too_deep(text: str) -> bool:
    """Tell whether a JSON text nests deeper than `MAX_JSON_DEPTH`.

    Counting every bracket, strings' too, bounds the depth from above at C
    speed; strings are removed for the exact depth only when that bound is
    too deep (real answers rarely carry brackets in their strings).
    """
    return (
        _bracket_depth(_NOT_BRACKET.sub("", text)) > MAX_JSON_DEPTH
        and json_depth(text) > MAX_JSON_DEPTH
    )


def _bracket_depth(brackets: str) -> int:
    return max(accumulate(_DEPTH_STEP[char] for char in brackets), default=0)


def decode_json(text: str, provider: str) -> Any:
    """Read JSON whatever the declared content type (InvalidResponse if not).

    A text longer than `MAX_ANSWER_BYTES` or nested deeper than
    `MAX_JSON_DEPTH` is refused before decoding (deep nesting would raise
    RecursionError in the decoder or in whatever walks the result).
    """
    if len(text) > MAX_ANSWER_BYTES:
        raise InvalidResponse(f"{provider} answered a body too large to read")
    if _too_deep(text):
        raise InvalidResponse(f"{provider} answered JSON nested too deeply")
    try:
        return json.loads(text)
    except (RecursionError, ValueError) as err:
        raise InvalidResponse(
            f"{provider} answered something that is not JSON"
        ) from err


async def decode_json_async(text: str, provider: str) -> Any:
    """`decode_json`, in a worker thread when the text is large."""
    if len(text) > THREAD_BYTES:
        return await asyncio.to_thread(decode_json, text, provider)
    return decode_json(text, provider)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Read ``Retry-After``: delay-seconds or an HTTP date (None if neither).

    The delay is bounded to `MIN_RETRY_AFTER`..`MAX_RETRY_AFTER`: a date in
    the past or ``0`` waits a second, ``1e999`` or a date in ten years two
    days; NaN and anything unreadable are None (the caller's default).
    """
    text = (value or "").strip()
    if not text:
        return None
    seconds: float | None
    try:
        seconds = float(text) if text.isascii() else None
    except ValueError:
        seconds = _seconds_until(text, now)
    if seconds is None or math.isnan(seconds):
        return None
    return min(max(seconds, MIN_RETRY_AFTER), MAX_RETRY_AFTER)


def _seconds_until(text: str, now: datetime) -> float | None:
    """Read an HTTP date as seconds from `now` (None if it is not one)."""
    try:
        when = parsedate_to_datetime(text)
    except (IndexError, OverflowError, TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: UTC without a stated zone
        when = when.replace(tzinfo=UTC)
    try:
        return (when - now).total_seconds()
    except OverflowError:
        return None


PARSE_SURPRISES: Final = (
    ArithmeticError,
    AttributeError,
    LookupError,
    RecursionError,
    TypeError,
    ValueError,
)
"""What a parser may raise on a shape nobody planned for (a model refusing a
value, a missing key, a wrong type, a structure too deep to walk): an
unexpected answer, never an error to let out of a client."""


def parse_guarded[T](provider: str, parser: Callable[..., T], *args: Any) -> T:
    """Run `parser` on an answer; any surprise in it is an InvalidResponse."""
    try:
        return parser(*args)
    except PARSE_SURPRISES as err:
        raise InvalidResponse(
            f"{provider} answered an unexpected shape ({type(err).__name__})"
        ) from err
