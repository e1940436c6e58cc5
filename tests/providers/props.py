"""Settings shared by the property-based tests of the provider layer."""

from __future__ import annotations

from hypothesis import settings

PROPERTY_TIMEOUT = 30 + settings.default.max_examples
"""Per-test limit (s): each example must finish, however many the profile
tries (about a second an example is already a hang on this layer)."""
