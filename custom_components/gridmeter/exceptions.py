"""Provider errors as Home Assistant's translated exceptions, in one place.

Every coordinator update (the daily run of each hub, Digiwatt's realtime
load) maps the typed errors of `providers/errors.py` through here, so the
same failure reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import DOMAIN
from .providers.errors import (
    AuthError,
    ConsentRevoked,
    NotAuthorized,
    ProviderError,
    RateLimited,
    redact,
)


def update_error(err: ProviderError, hub: str) -> UpdateFailed | ConfigEntryAuthFailed:
    """Return the translated exception an update raises for a provider error."""
    if isinstance(err, AuthError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        )
    if isinstance(err, ConsentRevoked):
        return UpdateFailed(
            translation_domain=DOMAIN, translation_key="consent_invalid"
        )
    if isinstance(err, NotAuthorized):
        return UpdateFailed(translation_domain=DOMAIN, translation_key="not_authorized")
    if isinstance(err, RateLimited):
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={"provider": hub},
        )
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="communication_error",
        translation_placeholders={"error": redact(str(err))},
    )


def unexpected_error() -> UpdateFailed:
    """Return the translated exception of an answer GridMeter could not handle."""
    return UpdateFailed(translation_domain=DOMAIN, translation_key="unexpected_error")


@contextmanager
def translated_errors(hub: str) -> Iterator[None]:
    """Raise provider errors escaping the block as translated exceptions."""
    try:
        yield
    except ProviderError as err:
        raise update_error(err, hub) from err
