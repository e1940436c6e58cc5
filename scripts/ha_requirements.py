#!/usr/bin/env python3
"""Keep the dev environment on Home Assistant's own package versions.

    .venv/bin/python scripts/ha_requirements.py            # print what is expected
    .venv/bin/python scripts/ha_requirements.py --check    # exit 1 when pyproject differs
    .venv/bin/python scripts/ha_requirements.py --write    # rewrite pyproject, then `uv lock`

Home Assistant installs the requirements of the integrations it sets up when it
starts (with ``uv pip install --constraint package_constraints.txt``). A venv
synced from uv.lock without them made every ``scripts/develop`` install
default_config's packages again, and a locked version that differs from Home
Assistant's constraint (bleak, dbus-fast) was downgraded by Home Assistant and
upgraded again by the next ``uv sync``. So pyproject.toml carries:

- ``[tool.uv] constraint-dependencies``: the requirement lines of the installed
  Home Assistant's ``package_constraints.txt``, so uv resolves the dev
  environment to the versions Home Assistant itself would install;
- the ``develop`` dependency group: every requirement Home Assistant installs
  when it starts ``config/configuration.yaml`` and completes onboarding, found
  by asking Home Assistant's own requirements manager (its installer is
  replaced by a recorder here, nothing is installed).

``--check`` (run by scripts/test) fails when either list is out of date, e.g.
after a Home Assistant bump; ``--write`` rewrites both in pyproject.toml.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import re
import sys
import tempfile
from typing import Any

from homeassistant import bootstrap, config as conf_util, loader, requirements
from homeassistant.const import BASE_PLATFORMS
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
CONFIG = ROOT / "config" / "configuration.yaml"
MANIFEST = ROOT / "custom_components" / "gridmeter" / "manifest.json"
GROUP = "develop"
# Integrations that onboarding's core-config step sets up by itself
# (homeassistant/components/onboarding/views.py, CoreConfigOnboardingView).
ONBOARDING_INTEGRATIONS = ("google_translate", "met", "radio_browser", "shopping_list")
BEGIN = "# BEGIN ha_requirements.py"
END = "# END ha_requirements.py"


def ha_constraints() -> list[str]:
    """Return the requirement lines of Home Assistant's package_constraints.txt."""
    path = Path(requirements.__file__).with_name(requirements.CONSTRAINT_FILE)
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


async def _startup_requirements() -> set[str]:
    """Return what Home Assistant installs to start the dev config and onboard."""
    manifest = json.loads(MANIFEST.read_text())
    recorded: set[str] = set()

    def record(reqs: list[str], _kwargs: Any) -> tuple[set[str], set[str]]:
        recorded.update(reqs)
        return set(reqs), set()

    requirements._install_requirements_if_missing = record  # noqa: SLF001
    with tempfile.TemporaryDirectory() as config_dir:
        Path(config_dir, "configuration.yaml").write_text(CONFIG.read_text())
        hass = HomeAssistant(config_dir)
        loader.async_setup(hass)
        config = await conf_util.async_hass_config_yaml(hass)
        domains = {
            *(cv.domain_key(key) for key in config),
            *bootstrap.CORE_INTEGRATIONS,
            *bootstrap.DEFAULT_INTEGRATIONS,
            *BASE_PLATFORMS,
            *ONBOARDING_INTEGRATIONS,
            *manifest.get("dependencies", []),
            *manifest.get("after_dependencies", []),
        }
        recorded.update(manifest.get("requirements", []))
        for domain in sorted(domains):
            try:
                await requirements.async_get_integration_with_requirements(hass, domain)
            except loader.IntegrationNotFound:
                continue
        await hass.async_stop(force=True)
    return recorded


def startup_requirements() -> list[str]:
    """Return the sorted startup requirements, one per distribution."""
    found = asyncio.run(_startup_requirements())
    return sorted(found, key=lambda req: Requirement(req).name.lower())


def _toml_list(items: list[str], indent: str = "    ") -> str:
    return "".join(f'{indent}"{item}",\n' for item in items)


def expected_block() -> str:
    """Return the pyproject.toml block this script owns."""
    return (
        f"{BEGIN} (do not edit: scripts/ha_requirements.py --write)\n"
        f"# Every requirement Home Assistant installs when scripts/develop starts\n"
        f"# it and completes onboarding, so that it installs nothing itself.\n"
        f"{GROUP} = [\n{_toml_list(startup_requirements())}]\n"
        f"{END}\n"
    ), (
        f"{BEGIN} (do not edit: scripts/ha_requirements.py --write)\n"
        f"# homeassistant/package_constraints.txt of the locked Home Assistant.\n"
        f"constraint-dependencies = [\n{_toml_list(ha_constraints())}]\n"
        f"{END}\n"
    )


BLOCK = re.compile(rf"{re.escape(BEGIN)}.*?{re.escape(END)}\n", re.DOTALL)


def main() -> int:
    """Print, check or write the pinned lists."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    args = parser.parse_args()

    expected = list(expected_block())
    text = PYPROJECT.read_text()
    current = BLOCK.findall(text)
    if args.write:
        if len(current) != len(expected):
            print(f"pyproject.toml needs {len(expected)} '{BEGIN}' blocks")
            return 1
        blocks = iter(expected)
        PYPROJECT.write_text(BLOCK.sub(lambda _match: next(blocks), text))
        print("pyproject.toml updated; now run: uv lock")
        return 0
    if args.check:
        if current == expected:
            print("dev environment pins match Home Assistant's constraints")
            return 0
        print(
            "pyproject.toml's develop group or constraint-dependencies differ from "
            "the installed Home Assistant; run scripts/ha_requirements.py --write "
            "and uv lock"
        )
        return 1
    sys.stdout.write("".join(expected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
