"""Digiwatt refinements of the shared typed errors.

Both are `RequestRejected` (HTTP 409), so code that only knows the shared
errors still handles them; the integration can tell them apart to react.
"""

from __future__ import annotations

from ..errors import RequestRejected


class UserExists(RequestRejected):
    """Creating a user answered 409: the account number is already registered."""


class OnboardingRequired(RequestRejected):
    """A data endpoint answered 409: the household questionnaire is missing."""
