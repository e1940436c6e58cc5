"""Base URLs of the public sources: the entry's data, then GRIDMETER_SOURCE_URLS."""

from __future__ import annotations

import json

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.gridmeter.const import CONF_SOURCE_URLS, DOMAIN
from custom_components.gridmeter.sources import SOURCE_URLS_ENV, source_urls


def _entry(urls: object | None = None) -> MockConfigEntry:
    data = {} if urls is None else {CONF_SOURCE_URLS: urls}
    return MockConfigEntry(domain=DOMAIN, data=data)


def test_nothing_set_gives_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """No entry data, no variable: every source keeps its public URL."""
    monkeypatch.delenv(SOURCE_URLS_ENV, raising=False)
    assert source_urls(_entry()) == {}


def test_environment_then_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable fills what the entry does not say; the entry wins."""
    monkeypatch.setenv(
        SOURCE_URLS_ENV,
        json.dumps({"esios": "http://127.0.0.1:1", "odre": "http://127.0.0.1:2"}),
    )
    entry = _entry({"esios": "http://127.0.0.1:9"})
    assert source_urls(entry) == {
        "esios": "http://127.0.0.1:9",
        "odre": "http://127.0.0.1:2",
    }


@pytest.mark.parametrize(
    "raw",
    ["not json", "[1, 2]", '"http://x"', "null", "{"],
)
def test_unreadable_variable_is_ignored(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, raw: str
) -> None:
    """Anything but a JSON object is ignored, with one warning naming the variable."""
    monkeypatch.setenv(SOURCE_URLS_ENV, raw)
    assert source_urls(_entry()) == {}
    assert SOURCE_URLS_ENV in caplog.text


def test_only_http_urls_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """File paths, numbers and other schemes never become a base URL."""
    monkeypatch.setenv(
        SOURCE_URLS_ENV,
        json.dumps(
            {
                "esios": "file:///etc/passwd",
                "rte": 8978,
                "tempo": "https://tempo.example",
                "odre": "ftp://odre.example",
            }
        ),
    )
    assert source_urls(_entry()) == {"tempo": "https://tempo.example"}
