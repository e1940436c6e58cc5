"""Red Eléctrica's real-time demand service: the measured generation mix."""

from .client import DEFAULT_BASE_URL, FEEDS, Feed, ReeDemandaClient
from .parsing import NON_RENEWABLE, RENEWABLE, MixDay

__all__ = [
    "DEFAULT_BASE_URL",
    "FEEDS",
    "NON_RENEWABLE",
    "RENEWABLE",
    "Feed",
    "MixDay",
    "ReeDemandaClient",
]
