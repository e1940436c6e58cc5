"""Every translation key the code raises exists in every language.

Home Assistant shows a bare key (or nothing) for a missing repair or error
text, and no runtime check catches it: read the keys from the source.
"""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "gridmeter"
LANGUAGES = ("en", "es", "fr", "it")

# `translation_domain=DOMAIN, translation_key="x"`: a translated exception.
_EXCEPTION_KEY = re.compile(
    r'translation_domain=DOMAIN,\s*translation_key="(\w+)"', re.S
)


def _strings(language: str) -> dict[str, dict[str, object]]:
    path = PACKAGE / "translations" / f"{language}.json"
    data: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _issue_keys() -> set[str]:
    source = (PACKAGE / "issues.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'translation_key=\s*"(\w+)"', source))
    # A conditional key: translation_key=("a" if ... else "b").
    keys |= set(re.findall(r'^\s*"(contracted_power_\w+)"', source, re.M))
    return keys


def _exception_keys() -> set[str]:
    keys: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        keys |= set(_EXCEPTION_KEY.findall(path.read_text(encoding="utf-8")))
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_issue_has_a_text(language: str) -> None:
    """Each repair issue raised in issues.py has a title in every language."""
    keys = _issue_keys()
    assert {"access_revoked", "no_recent_data"} <= keys
    issues = _strings(language)["issues"]
    missing = sorted(key for key in keys if key not in issues)
    assert not missing, f"{language}: issues without a text: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translated_exception_has_a_text(language: str) -> None:
    """Each exception raised with a translation key has a message."""
    keys = _exception_keys()
    assert "invalid_auth" in keys
    exceptions = _strings(language)["exceptions"]
    missing = sorted(key for key in keys if key not in exceptions)
    assert not missing, f"{language}: exceptions without a text: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_appliance_sensor_has_a_name(language: str) -> None:
    """Each Digiwatt appliance (and an unknown one) gets a translated name.

    The entity key keeps Digiwatt's camelCase name (the unique id as
    released); the translation key is snake case, as hassfest requires.
    """
    from custom_components.gridmeter.providers.digiwatt import Appliance
    from custom_components.gridmeter.sensor import appliance_descriptions

    sensors = _strings(language)["entity"]["sensor"]
    assert isinstance(sensors, dict)
    names = [a.value for a in Appliance] + ["someFutureAppliance"]
    for name in names:
        for description in appliance_descriptions(name):
            key = description.translation_key
            assert key is not None
            assert re.fullmatch(r"[a-z0-9_]+", key), key
            assert key in sensors, f"{language}: {key}"
            assert description.key.startswith(f"appliance_{name}_")
    energy, _share = appliance_descriptions("airConditioner")
    assert energy.translation_key == "appliance_air_conditioner_energy"
    assert energy.key == "appliance_airConditioner_energy"
