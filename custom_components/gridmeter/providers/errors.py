"""Typed errors raised by every provider client.

The integration maps these to Home Assistant's exceptions in one place; a
client never raises anything else for a failed request (aiohttp and JSON
errors are translated here). Messages never carry secrets, and provider
bodies are passed through `redact` because some providers echo identifiers
(NIF, CUPS, PRM, POD) back in their error texts.
"""

from __future__ import annotations

import re

# Shapes of identifiers that must not reach logs or exception texts.
_REDACT_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bES\d{16}[A-Z]{2}(?:\d[A-Z])?\b", re.IGNORECASE),  # CUPS
    re.compile(r"\bIT\d{3}E\d{8}[A-Z0-9]?\b", re.IGNORECASE),  # POD
    re.compile(r"\b\d{14}\b"),  # PRM
    re.compile(r"\b[XYZ]?\d{7,8}[A-Z]\b", re.IGNORECASE),  # DNI / NIE
    re.compile(r"\b[ABCDEFGHJNPQRSUVW]\d{7}[0-9A-J]\b", re.IGNORECASE),  # CIF
    re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"),  # JWT
    re.compile(r"(?i)(bearer|token|password|secret)([\"'=:\s]+)[^\s\"'&,]+"),
)


def redact(text: str, limit: int = 200) -> str:
    """Return `text` shortened, with identifiers and secrets masked."""
    for pattern in _REDACT_PATTERNS:
        if pattern.groups == 2:
            text = pattern.sub(r"\1\2**REDACTED**", text)
        else:
            text = pattern.sub("**REDACTED**", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ProviderError(Exception):
    """Base class of every error a provider client raises."""


class AuthError(ProviderError):
    """The credentials (or token) were rejected; the user must act."""


class RateLimited(ProviderError):
    """The provider refused the request because of its rate rules.

    `retry_after` is in seconds; None when the provider did not say.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        """Keep how long to wait, if known."""
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """The provider could not answer now (5xx, connection error, outage)."""


class CannotConnect(ProviderUnavailable):
    """The request never reached the provider (DNS, refused, TLS)."""


class RequestTimeout(ProviderUnavailable):
    """The provider did not answer in time."""


class DistributorError(ProviderUnavailable):
    """The hub answered, but a distributor behind it failed (Datadis)."""


class InvalidResponse(ProviderError):
    """The provider answered something that cannot be understood."""


class RequestRejected(ProviderError):
    """The provider rejected the request's parameters (a 4xx other than auth)."""


class NotAuthorized(ProviderError):
    """The account is not authorised to read this supply point."""


class NoMeterPoints(ProviderError):
    """The account has no supply points."""


class NotFound(ProviderError):
    """The requested object does not exist (any more)."""


class ConsentPending(ProviderError):
    """The holder has not signed the data-sharing consent yet."""


class ConsentRevoked(ProviderError):
    """The data-sharing consent was refused, revoked or has expired."""


class ServiceNotActivated(ProviderError):
    """The data exists only after a service is activated at the distributor.

    Example: an Enedis load curve that was never collected for this meter.
    """


class AlreadyQueried(RateLimited):
    """The same query was already sent within the provider's rate window.

    Raised by a client *instead of* sending, so that a rule like Datadis's
    "identical query within 24 h answers 429" is never broken. `failed` is
    True when the earlier attempt failed (5xx, timeout) rather than being
    refused, so a caller may ask a *different* (smaller) query instead.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, *, failed: bool
    ) -> None:
        """Keep whether the earlier attempt failed or was refused."""
        super().__init__(message, retry_after)
        self.failed = failed
