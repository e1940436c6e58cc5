"""The HTTP plumbing shared by the provider clients."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.http import decode_json, retry_after_seconds

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        (" 7.5 ", 7.5),
        ("-5", 1),
        ("0", 1),
        ("Tue, 10 Nov 2026 09:01:30 GMT", 90),
        ("Tue, 10 Nov 2026 08:00:00 GMT", 1),
        ("Tue, 10 Nov 2026 09:01:30", 90),
        ("Tue, 10 Nov 2026 09:01:00 -0000", 60),
        ("Tue, 10 Nov 2026 10:05:00 +0100", 300),
        ("soon", None),
        # Bounded to 1 s..48 h; NaN is unreadable (issue 8: ValueError or
        # OverflowError in timedelta before).
        ("NaN", None),
        ("nan", None),
        ("1e999", 48 * 3600),
        ("Infinity", 48 * 3600),
        ("-Infinity", 1),
        ("864000", 48 * 3600),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 48 * 3600),
        ("Mon, 01 Jan 0001 00:00:00 +0100", 1),
        ("٣٠", None),
        (" ", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_forms(value: str | None, seconds: float | None) -> None:
    """Delay-seconds or an HTTP date (relative to `now`), within 1 s..48 h;
    None for anything else.
    """
    assert retry_after_seconds(value, NOW) == seconds


def test_decode_json_names_the_provider() -> None:
    """A body that is not JSON is an InvalidResponse naming who sent it."""
    assert decode_json('{"a": [1]}', "Datadis") == {"a": [1]}
    with pytest.raises(InvalidResponse, match=r"^Digiwatt answered something"):
        decode_json("<html>", "Digiwatt")
