#!/usr/bin/env python3
"""Check offline what hassfest and HACS validation check beyond translations.

    .venv/bin/python scripts/check_integration.py [custom_components/gridmeter]

Run by scripts/test next to ../shared/tools/check-translations (which covers
the translation and icon key rules). Exit 0 when every rule holds, 1 with one
line per problem. The rules, from hassfest (home-assistant/core
script/hassfest/manifest.py, services.py) and HACS (hacs/integration
custom_components/hacs/utils/validate.py, validate/hacsjson.py):

manifest.json
- only keys hassfest knows for a custom integration; ``domain`` and ``name``
  first, then the others in alphabetical order;
- ``domain`` equals the folder name; ``version`` parses (CalVer, SemVer,
  SimpleVer, BuildVer or PEP 440, as AwesomeVersion does);
- ``documentation`` and ``issue_tracker`` are https URLs, and documentation
  is not on home-assistant.io (reserved for core integrations);
- ``codeowners`` are GitHub handles (``@name``); ``iot_class`` is one of
  hassfest's; ``config_flow: true`` comes with a config_flow.py; the keys
  HACS requires (codeowners, documentation, issue_tracker, version) exist.
services.yaml (when there is one, or when a translation names a service)
- every service and field has a name and a description in translations/en.json
  (``services.<service>.name|description``, ``.fields.<field>.name|description``),
  and translations and icons.json name no service or field that is not there.
hacs.json (beside custom_components/)
- only the keys HACS's schema allows, ``name`` present, and ``filename``
  whenever ``zip_release`` is true.
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
from typing import Any
from urllib.parse import urlparse

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import yaml

# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA (manifest.py).
MANIFEST_KEYS = frozenset(
    {
        "after_dependencies",
        "bluetooth",
        "codeowners",
        "config_flow",
        "dependencies",
        "dhcp",
        "disabled",
        "documentation",
        "domain",
        "homekit",
        "import_executor",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "loggers",
        "mqtt",
        "name",
        "requirements",
        "single_config_entry",
        "ssdp",
        "usb",
        "version",
        "zeroconf",
    }
)
IOT_CLASSES = frozenset(
    {
        "assumed_state",
        "calculated",
        "cloud_polling",
        "cloud_push",
        "local_polling",
        "local_push",
    }
)
HACS_MANIFEST_KEYS = ("codeowners", "documentation", "issue_tracker", "version")
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
# HACS_MANIFEST_JSON_SCHEMA (hacs/utils/validate.py): extra keys are refused.
HACS_JSON_KEYS = frozenset(
    {
        "content_in_root",
        "country",
        "filename",
        "hacs",
        "hide_default_branch",
        "homeassistant",
        "name",
        "persistent_directory",
        "render_readme",
        "zip_release",
    }
)


def _https(value: Any) -> bool:
    parsed = urlparse(str(value))
    return parsed.scheme == "https" and bool(parsed.netloc)


def manifest_problems(integration: Path) -> list[str]:
    """Return hassfest's and HACS's manifest problems."""
    where = f"{integration}/manifest.json"
    manifest: dict[str, Any] = json.loads((integration / "manifest.json").read_text())
    problems = [
        f"{where}: unknown key '{key}'" for key in manifest if key not in MANIFEST_KEYS
    ]
    keys = list(manifest)
    if keys[:2] != ["domain", "name"] or keys[2:] != sorted(keys[2:]):
        problems.append(
            f"{where}: keys must be domain, name, then alphabetical order (hassfest)"
        )
    if manifest.get("domain") != integration.name:
        problems.append(
            f"{where}: domain '{manifest.get('domain')}' is not the folder name"
        )
    problems.extend(
        f"{where}: '{key}' is missing (HACS and hassfest need it)"
        for key in HACS_MANIFEST_KEYS
        if key not in manifest
    )
    if "version" in manifest:
        version = AwesomeVersion(str(manifest["version"]))
        if version.strategy not in VERSION_STRATEGIES:
            problems.append(f"{where}: version '{manifest['version']}' does not parse")
    problems.extend(
        f"{where}: {key} must be an https URL"
        for key in ("documentation", "issue_tracker")
        if key in manifest and not _https(manifest[key])
    )
    if urlparse(str(manifest.get("documentation", ""))).netloc.endswith(
        "home-assistant.io"
    ):
        problems.append(f"{where}: documentation on home-assistant.io is for core only")
    problems.extend(
        f"{where}: code owner '{owner}' is not a GitHub handle (@name)"
        for owner in manifest.get("codeowners", [])
        if not str(owner).startswith("@")
    )
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append(f"{where}: iot_class must be one of {sorted(IOT_CLASSES)}")
    if manifest.get("config_flow") and not (integration / "config_flow.py").exists():
        problems.append(f"{where}: config_flow is true but there is no config_flow.py")
    return problems


def services_problems(integration: Path) -> list[str]:
    """Return services.yaml problems against translations/en.json and icons.json."""
    path = integration / "services.yaml"
    declared: dict[str, Any] = (
        yaml.safe_load(path.read_text()) if path.exists() else None
    ) or {}
    services = {
        name: set((body or {}).get("fields") or {}) for name, body in declared.items()
    }
    strings = json.loads((integration / "translations" / "en.json").read_text())
    translated: dict[str, Any] = strings.get("services") or {}
    problems: list[str] = []
    for name, fields in services.items():
        where = f"{integration}/translations/en.json: services.{name}"
        text = translated.get(name) or {}
        problems.extend(
            f"{where}.{part} is missing"
            for part in ("name", "description")
            if not text.get(part)
        )
        for field in sorted(fields):
            field_text = (text.get("fields") or {}).get(field) or {}
            problems.extend(
                f"{where}.fields.{field}.{part} is missing"
                for part in ("name", "description")
                if not field_text.get(part)
            )
        problems.extend(
            f"{where}.fields.{field} is not a field of services.yaml"
            for field in (text.get("fields") or {})
            if field not in fields
        )
    problems.extend(
        f"{integration}/translations/en.json: service '{name}' is not in services.yaml"
        for name in translated
        if name not in services
    )
    icons_path = integration / "icons.json"
    icons = json.loads(icons_path.read_text()) if icons_path.exists() else {}
    problems.extend(
        f"{icons_path}: service '{name}' is not in services.yaml"
        for name in icons.get("services") or {}
        if name not in services
    )
    return problems


def hacs_json_problems(hacs_json: Path) -> list[str]:
    """Return HACS's hacs.json schema problems."""
    if not hacs_json.exists():
        return [f"{hacs_json} is missing"]
    data: dict[str, Any] = json.loads(hacs_json.read_text())
    problems = [
        f"{hacs_json}: unknown key '{key}' (HACS refuses it)"
        for key in data
        if key not in HACS_JSON_KEYS
    ]
    if not data.get("name"):
        problems.append(f"{hacs_json}: 'name' is required")
    if data.get("zip_release") and not data.get("filename"):
        problems.append(f"{hacs_json}: zip_release is true, but filename is not set")
    return problems


def main() -> int:
    """Check the integration given on the command line."""
    integration = Path(
        sys.argv[1] if len(sys.argv) > 1 else "custom_components/gridmeter"
    )
    problems = [
        *manifest_problems(integration),
        *services_problems(integration),
        *hacs_json_problems(integration.parent.parent / "hacs.json"),
    ]
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(
        f"{integration}: manifest, services and hacs.json pass hassfest's and HACS's rules"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
