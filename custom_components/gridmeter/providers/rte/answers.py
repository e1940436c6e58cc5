"""Answers of the French grid sources: JSON bodies and error statuses.

RTE's data portal, services-rte.com and ODRÉ (Opendatasoft) all answer
errors with a status and, usually, a small JSON body: the portal's
``{"error", "error_description"}``, Opendatasoft's ``{"error_code",
"message"}``. One mapping serves the three clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
import json
from typing import Any, Final, NoReturn

from ..errors import (
    AuthError,
    InvalidResponse,
    NotAuthorized,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    redact,
)
from ..http import Answer, decode_json, retry_after_seconds

MAX_RETRY_AFTER: Final = 86_400.0
"""A ``Retry-After`` further than a day is read as a day (a date far ahead
must not park a source for ever)."""

_DETAIL_KEYS: Final = ("error_description", "message", "error", "error_code")


def read_json(text: str, provider: str) -> Any:
    """Decode a body as JSON; InvalidResponse for garbage or absurd nesting."""
    try:
        return decode_json(text, provider)
    except RecursionError as err:
        raise InvalidResponse(f"{provider} answered JSON nested too deep") from err


def error_detail(text: str) -> str:
    """Return the message of an error body (or its raw text), redacted."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return redact(text)
    if isinstance(body, Mapping):
        for key in _DETAIL_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return redact(value)
    return redact(text)


def bounded_retry_after(answer: Answer, now: datetime) -> float | None:
    """Read ``Retry-After`` (seconds or HTTP date), capped at a day."""
    seconds = retry_after_seconds(answer.retry_after, now)
    return None if seconds is None else min(seconds, MAX_RETRY_AFTER)


def raise_for_status(
    provider: str, what: str, answer: Answer, now: datetime
) -> NoReturn:
    """Raise the typed error of a non-2xx answer to ``what``."""
    status = answer.status
    detail = error_detail(answer.text)
    if status == 401:
        raise AuthError(f"{provider} rejected the credentials for {what}: {detail}")
    if status == 403:
        raise NotAuthorized(f"{provider} refused {what}: {detail}")
    if status == 404:
        raise NotFound(f"{provider} has nothing at {what}: {detail}")
    if status == 429:
        raise RateLimited(
            f"{provider} is rate limiting {what}: {detail}",
            retry_after=bounded_retry_after(answer, now),
        )
    if status >= 500:
        raise ProviderUnavailable(f"{provider} answered {status} to {what}: {detail}")
    if 400 <= status < 500:
        raise RequestRejected(f"{provider} answered {status} to {what}: {detail}")
    raise InvalidResponse(f"{provider} answered an unexpected {status} to {what}")
