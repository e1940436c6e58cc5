#!/usr/bin/env python3
"""Drive a local Home Assistant through its REST API for scripts/develop and scripts/e2e.

Runs with the project's venv Python (it checks passwords with Home Assistant's
bcrypt and repairs them with Home Assistant's ``auth`` script).

    develop_flow.py [--credentials FILE] prepare [--config DIR]
    develop_flow.py [--url URL] [--credentials FILE] onboard [--timeout S] [--log FILE]
                    [--print-credentials]
    develop_flow.py [--url URL] [--credentials FILE] add-entry PROVIDER [PROVIDER ...]
                    [--set FIELD=VALUE ...] [--simulator PROVIDER=URL ...]

``prepare`` runs while Home Assistant is stopped: it decides the owner's
password and stores it in FILE (JSON, mode 600; default
config/.develop-credentials) before any account exists, and when DIR already
has accounts whose ``dev`` password FILE does not hold (an earlier run
interrupted, the file deleted, onboarding done by hand) it sets a new one with
Home Assistant's own ``auth`` script. So the stored credentials always open the
instance, and no probe ever fails a login (which would raise a "Login attempt
failed" notification).

``onboard`` waits for Home Assistant (a progress line with what its log says it
is installing or setting up; ``--timeout``, default 900 s), creates the owner
if no account exists, logs in, waits until ``/api/core/state`` says RUNNING (as
the Supervisor does), then finishes the other onboarding steps (core config,
analytics, integration) that are not done. Every later command onboards first.

``add-entry`` creates a GridMeter config entry for each PROVIDER through the
real config-flow API, exactly as the UI does: start the flow, pick PROVIDER in
the menu, then answer every form from the provider's answers below (``--set``
adds or overrides one, for every PROVIDER; the value is read as JSON when it
parses, else as text; ``--simulator`` points PROVIDER at its simulator).
Answers are flat: a field inside a section is answered by its own name. Fields
without an answer keep their default, single selects take the first option and
multi-selects take all options, so a new form step is answered without changes
here. A progress step (SHOW_PROGRESS) is polled until it moves on; an external
step (EXTERNAL_STEP) runs the provider's hook (for Switchgrid: sign the consent
on the simulator's page, as a person would) and is then polled until it moves
on. A provider is skipped when an entry of that provider exists already
(recognised by its title prefix). Then every supply of the provider's entries
gets its demo prices (``PRICES``) through the prices subentry flow, unless it
has them already, so the Energy dashboard shows euros for the history.

Exit codes: 0 done (or nothing to do), 1 failure (of any PROVIDER), 3 the
GridMeter flow handler is not available (the integration is missing or failed
to load).
"""

from __future__ import annotations

import argparse
import base64
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
import json
import os
from pathlib import Path
import re
import secrets
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

DOMAIN = "gridmeter"
DEFAULT_URL = "http://localhost:8123"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CREDENTIALS = ROOT / "config" / ".develop-credentials"
OWNER = {"name": "Developer", "username": "dev", "language": "en"}
EXIT_NO_HANDLER = 3
# Integrations that onboarding sets up on its own and that only try to reach
# the internet (weather, internet radio); a development instance has no use for
# them, so they are removed right after onboarding.
ONBOARDING_NOISE = ("google_translate", "met", "radio_browser")

# How long the whole conversation of one flow may take, and how often a
# progress or external step is polled.
FLOW_TIMEOUT = 300.0
POLL_EVERY = 1.0


class FlowError(Exception):
    """A step of the conversation with Home Assistant failed."""


@dataclass(frozen=True, slots=True)
class Provider:
    """How to add one provider's entry against its simulator."""

    title_prefix: str
    """Titles of this provider's entries start with it (``data`` is not exposed)."""
    answers: dict[str, Any]
    """Answers for the provider's forms, keyed by field name (``base_url`` aside)."""
    api_path: str = ""
    """The API's path on the simulator (the ``base_url`` answer is URL + path)."""
    on_external: Callable[[dict[str, Any]], None] | None = None
    """What a person does on an external step (called once with the step)."""
    on_existing: (
        Callable[[HomeAssistant, list[dict[str, Any]], dict[str, Any]], None] | None
    ) = None
    """Called with the provider's entries and answers when it is skipped."""


class _FormParser(HTMLParser):
    """Collect the forms of a page: action, method and their input values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": values.get("action", ""),
                    "method": values.get("method", "get").upper(),
                    "fields": {},
                }
            )
        elif tag in ("input", "button") and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value", "")


def _http(
    url: str,
    form: dict[str, str] | None = None,
    *,
    payload: Any = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    timeout: float = 30,
) -> tuple[int, str]:
    """GET a page, or POST a form or JSON to it; return the status and the text.

    ``method`` defaults to GET, or POST when there is a form or a payload.
    """
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    if form is not None:
        req.data = urllib.parse.urlencode(form).encode()
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    elif payload is not None:
        req.data = json.dumps(payload).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        raise FlowError(f"{req.get_method()} {url}: {err}") from err


def sign_switchgrid_consent(step: dict[str, Any], wait: float = 30) -> None:
    """Sign the consent on the simulator's hosted page, as a person would.

    Open the page the external step points to, and submit its (only) POST
    form: the "Signer" button. The page answers 409 while Switchgrid still
    checks the address; it is opened again until the form is there.
    """
    url = step.get("url") or ""
    if not url.startswith(("http://", "https://")):
        raise FlowError(f"the consent step has no page to open: {url!r}")
    print(f"GridMeter flow: opening the consent page {url}")
    deadline = time.monotonic() + wait
    while True:
        status, page = _http(url)
        parser = _FormParser()
        parser.feed(page)
        forms = [form for form in parser.forms if form["method"] == "POST"]
        if status == 200 and forms:
            break
        if time.monotonic() > deadline:
            raise FlowError(f"the consent page shows no form ({status}): {page[:200]}")
        time.sleep(POLL_EVERY)
    form = forms[0]
    action = urllib.parse.urljoin(url, form["action"] or url)
    status, page = _http(action, form["fields"])
    if status >= 400:
        raise FlowError(f"signing at {action} answered {status}: {page[:200]}")
    print(f"GridMeter flow: signed the consent ({action} answered {status})")


def _camel(option: str) -> str:
    """Return the API's name of a form option (``heat_pump`` -> ``heatPump``)."""
    head, *rest = option.split("_")
    return head + "".join(word.capitalize() for word in rest)


def restore_digiwatt_user(
    hass: HomeAssistant, entries: list[dict[str, Any]], answers: dict[str, Any]
) -> None:
    """Register the entry's user again with a restarted Digiwatt simulator.

    The simulator keeps its users in memory, so after a restart it answers
    "User not found" to the entry made by an earlier run, which then stays in
    setup_retry. Create and onboard the user again with the same answers (as
    the flow did), then reload the entry. Nothing happens when the user exists.
    """
    pod = str(answers["pod"])
    ours = [entry for entry in entries if str(entry.get("title")).endswith(pod[-4:])]
    if not ours:
        return
    base = str(answers["base_url"]).rstrip("/")
    account = str(answers["account_number"])
    status, text = _http(
        f"{base}/auth/token",
        {
            "client_id": str(answers["client_id"]),
            "client_secret": str(answers["client_secret"]),
            "grant_type": "client_credentials",
        },
    )
    if status != 200:
        raise FlowError(f"Digiwatt token answered {status}: {text[:200]}")
    auth = {"Authorization": f"Bearer {json.loads(text)['access_token']}"}
    status, text = _http(
        f"{base}/users",
        payload={
            "pod": pod,
            "account_number": account,
            "company_code": answers["company_code"],
        },
        headers=auth,
    )
    if status == 409:
        return  # the simulator knows the user: nothing was lost
    if status >= 400:
        raise FlowError(f"creating the Digiwatt user answered {status}: {text[:200]}")
    quantities = {name: answers.get(name, 1) for name in answers["appliances"]}
    status, text = _http(
        f"{base}/users/{account}/onboarding",
        payload={
            "house": {
                "type": answers["house_type"],
                "dimesion": answers["size_m2"],  # sic, the documented spelling
                "province": answers["province"],
            },
            "residents": {
                key: answers[key] for key in ("adults", "children", "elderlies")
            },
            "appliances": [
                {"appliance": _camel(name), "quantity": count}
                for name, count in quantities.items()
            ],
        },
        headers=auth,
    )
    if status >= 400:
        raise FlowError(f"onboarding the Digiwatt user answered {status}: {text[:200]}")
    print(
        f"GridMeter digiwatt: the simulator had forgotten {account}; registered again"
    )
    for entry in ours:
        if entry.get("state") != "loaded":
            hass.expect(
                "POST", f"/api/config/config_entries/entry/{entry['entry_id']}/reload"
            )
            print(f"GridMeter digiwatt: reloaded '{entry.get('title')}'")


# Where scripts/develop starts each simulator (--simulator changes it).
SIMULATORS: dict[str, str] = {
    "datadis": "http://127.0.0.1:8971",
    "switchgrid": "http://127.0.0.1:8972",
    "digiwatt": "http://127.0.0.1:8973",
}
# Each provider's simulator and answers. Add a provider here (and start its
# simulator in scripts/develop) to make it available.
PROVIDERS: dict[str, Provider] = {
    "datadis": Provider(
        title_prefix="Datadis ",
        answers={
            "username": "12345678Z",
            "password": "gridmeter-demo",
        },
    ),
    # The Lyon HP/HC house of the Switchgrid simulator (simulator/switchgrid).
    "switchgrid": Provider(
        title_prefix="Enedis ",
        answers={
            "api_token": "sg-demo-token",
            "test_env": False,
            "name": "Bertrand",
            "prm": "19876543210987",
            "first_name": "Julien",
            "last_name": "Bertrand",
            "email": "julien.bertrand@example.com",
            "phone": "+33612345678",
            "genre": "m",
            "injection": False,
        },
        api_path="/enedis/v2",
        on_external=sign_switchgrid_consent,
    ),
    # The Bologna house of the Digiwatt simulator: in its catalogue, but no
    # Digiwatt user yet, so the flow creates and onboards it.
    "digiwatt": Provider(
        title_prefix="Digiwatt ",
        answers={
            "client_id": "gridmeter-demo",
            "client_secret": "digiwatt-demo-secret",
            "pod": "IT001E23456789",
            "account_number": "2345678901",
            "company_code": "DGW01",
            "house_type": "detached",
            "size_m2": 160,
            "province": "BO",
            "adults": 2,
            "children": 2,
            "elderlies": 1,
            "appliances": [
                "fridge",
                "induction_cooktop",
                "oven",
                "microwave",
                "washing_machine",
                "dishwasher",
                "television",
                "heat_pump",
                "electric_vehicle",
                "charging_station",
                "solar_panel",
                "solar_battery",
            ],
            # digiwatt_appliances: one quantity per chosen appliance (default 1)
            "fridge": 2,
            "television": 2,
        },
        on_existing=restore_digiwatt_user,
    ),
}


# Demo prices of each provider's supplies, added as a "prices" subentry (one
# dated price set per supply) through the real subentry flow, so that the
# Energy dashboard shows euros for the whole imported history. Fixed-price
# plans only: no price simulator (ESIOS, Tempo) is needed. By provider, the
# plans in order of preference (the flow offers only those that fit the
# supply's tariff), each with its answers; taxes are the user's own figure
# (Spain IEE + IVA 21 %, France TVA 20 %, Italy IVA 22 %).
PRICES_FROM = "2020-01-01"
"""Before any supply's 24 months of history: every hour is priced."""
PRICES: dict[str, dict[str, dict[str, Any]]] = {
    "datadis": {
        "es_20td": {
            "energy_p1": 0.1859,
            "energy_p2": 0.1212,
            "energy_p3": 0.0824,
            "power_p1": 26.93,
            "power_p2": 0.84,
            "compensation": 0.05,
            "tax_percent": 21.0,
        },
        "es_single": {"energy_base": 0.1405, "compensation": 0.05, "tax_percent": 21.0},
    },
    "switchgrid": {
        "fr_hphc": {
            "energy_hp": 0.2081,
            "energy_hc": 0.1635,
            "power_base": 17.47,
            "compensation": 0.04,
            "tax_percent": 20.0,
        },
        "fr_base": {"energy_base": 0.1952, "compensation": 0.04, "tax_percent": 20.0},
    },
    "digiwatt": {
        "it_f123": {
            "energy_f1": 0.1452,
            "energy_f2": 0.1318,
            "energy_f3": 0.1127,
            "compensation": 0.06,
            "tax_percent": 22.0,
        },
        "it_single": {"energy_base": 0.1301, "compensation": 0.06, "tax_percent": 22.0},
    },
}
# How long an entry may take to be loaded with its supplies before its prices
# are added.
PRICES_WAIT = 120.0


def price_answers(provider: str, offered: list[str]) -> tuple[str, dict[str, Any]]:
    """Return the plan to choose among those offered and its prices form answers.

    FlowError when none of the provider's demo plans is offered.
    """
    for plan, answers in PRICES.get(provider, {}).items():
        if plan in offered:
            return plan, {"valid_from": PRICES_FROM, **answers}
    raise FlowError(f"no demo prices for the plans offered: {offered}")


class HomeAssistant:
    """A tiny client of Home Assistant's REST API."""

    def __init__(self, url: str, token: str | None = None) -> None:
        """Remember where Home Assistant is and how to authenticate."""
        self.url = url.rstrip("/")
        self.token = token

    @property
    def client_id(self) -> str:
        """Return the OAuth client id, which is the instance's own URL."""
        return f"{self.url}/"

    def request(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        form: dict[str, str] | None = None,
        auth: bool = True,
        timeout: float = 60,
    ) -> tuple[int, Any]:
        """Send one request; return the status and the decoded JSON body."""
        headers = {"Accept": "application/json"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        status, text = _http(
            self.url + path,
            form,
            payload=payload,
            headers=headers,
            method=method,
            timeout=timeout,
        )
        try:
            decoded = json.loads(text) if text else None
        except ValueError:
            decoded = text
        return status, decoded

    def expect(
        self, method: str, path: str, payload: dict[str, Any] | None = None, **kw: Any
    ) -> Any:
        """Send a request that must succeed; return its JSON body."""
        status, body = self.request(method, path, payload, **kw)
        if status >= 400:
            raise FlowError(f"{method} {path} answered {status}: {body}")
        return body

    def tokens(self, grant: dict[str, str]) -> dict[str, Any]:
        """Exchange an auth code or a refresh token at /auth/token."""
        result = self.expect(
            "POST",
            "/auth/token",
            form={**grant, "client_id": self.client_id},
            auth=False,
        )
        if not isinstance(result, dict) or "access_token" not in result:
            raise FlowError(f"/auth/token gave no access token: {result}")
        self.token = result["access_token"]
        return result

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Log in with the username and password (the UI's login flow)."""
        redirect = f"{self.url}/?auth_callback=1"
        flow = self.expect(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": redirect,
            },
            auth=False,
        )
        result = self.expect(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise FlowError(f"login refused: {result.get('errors') or result}")
        return self.tokens(
            {"grant_type": "authorization_code", "code": result["result"]}
        )


def load_credentials(path: Path) -> dict[str, Any]:
    """Return the stored credentials, or an empty dict."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_credentials(path: Path, data: dict[str, Any]) -> None:
    """Store the credentials, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)


def _stored_users(config_dir: Path) -> dict[str, str]:
    """Return the local accounts in config_dir: username -> bcrypt hash (base64)."""
    path = config_dir / ".storage" / "auth_provider.homeassistant"
    try:
        users = json.loads(path.read_text())["data"]["users"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {
        str(user["username"]): str(user["password"])
        for user in users
        if isinstance(user, dict) and "username" in user and "password" in user
    }


def _password_matches(password: str, stored_hash: str) -> bool:
    """Check a password against Home Assistant's stored hash, offline.

    The same check as homeassistant/auth/providers/homeassistant.py, without
    a login attempt: a failed login would raise a "Login attempt failed"
    notification in the instance.
    """
    import bcrypt  # the venv's (Home Assistant depends on it)

    try:
        return bcrypt.checkpw(password.encode()[:72], base64.b64decode(stored_hash))
    except ValueError:
        return False


def prepare(config_dir: Path, credentials_path: Path) -> dict[str, Any]:
    """Make the stored credentials work for config_dir, before Home Assistant starts.

    Run while Home Assistant is stopped. A first run only decides the owner's
    password (kept in ``credentials_path`` before the owner is created, so that
    nothing can lose it). When config_dir already has accounts (an earlier run,
    finished or not, or onboarding done by hand) and the stored password does
    not open the ``dev`` account, a new password is stored first and then set
    with Home Assistant's own ``auth`` script (``hass --script auth``).
    """
    creds = load_credentials(credentials_path)
    username = OWNER["username"]
    if creds.get("username") != username or not creds.get("password"):
        creds = {"username": username, "password": secrets.token_urlsafe(12)}
    users = _stored_users(config_dir)
    if not users or (
        username in users and _password_matches(creds["password"], users[username])
    ):
        save_credentials(credentials_path, creds)
        return creds
    creds["password"] = secrets.token_urlsafe(12)
    save_credentials(credentials_path, creds)
    command = "change_password" if username in users else "add"
    print(
        f"onboarding: {credentials_path.name} does not open the '{username}' account "
        f"of {config_dir}; setting a new password ({command})"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "homeassistant",
            "--script",
            "auth",
            "--config",
            str(config_dir),
            command,
            username,
            creds["password"],
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return creds


class Progress:
    """One status line while waiting: rewritten in place on a terminal."""

    def __init__(self, what: str, log: Path | None) -> None:
        """Describe what is awaited; ``log`` is Home Assistant's log file."""
        self.what = what
        self.log = log
        self.started = time.monotonic()
        self.tty = sys.stdout.isatty()
        self.last_print = 0.0

    def _latest_activity(self) -> str:
        """Return the newest setup or install line of Home Assistant's log."""
        if self.log is None:
            return ""
        try:
            with self.log.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - 65536))
                tail = handle.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        for line in reversed(tail):
            if match := _ACTIVITY.search(line):
                return match.group(0)
        return ""

    def update(self, state: str) -> None:
        """Show the state (at most every 10 s when stdout is not a terminal)."""
        now = time.monotonic()
        if not self.tty and now - self.last_print < 10:
            return
        self.last_print = now
        activity = self._latest_activity()
        line = f"{self.what}: {state}, {now - self.started:.0f}s"
        if activity:
            line += f" ({activity})"
        if self.tty:
            print(f"\r\033[K{line[:150]}", end="", flush=True)
        else:
            print(line, flush=True)

    def done(self, message: str) -> None:
        """End the status line with a final message."""
        if self.tty:
            print("\r\033[K", end="")
        print(f"{message} after {time.monotonic() - self.started:.0f}s", flush=True)


_ACTIVITY = re.compile(
    r"(Attempting install of \S+|Setting up \S+|Setup of domain \S+)"
)


def _probe(hass: HomeAssistant, path: str, **kw: Any) -> tuple[int, Any]:
    """GET a path; status 0 while nothing answers or the answer is late."""
    try:
        return hass.request("GET", path, timeout=10, **kw)
    except FlowError:
        return 0, None


def wait_for(
    progress: Progress,
    deadline: float,
    check: Callable[[], str | None],
) -> None:
    """Call ``check`` until it returns None (ready); it returns the state shown."""
    while (state := check()) is not None:
        if time.monotonic() > deadline:
            print()
            raise FlowError(
                f"{progress.what}: still {state} after "
                f"{time.monotonic() - progress.started:.0f}s"
            )
        progress.update(state)
        time.sleep(POLL_EVERY)


def onboard(
    hass: HomeAssistant,
    credentials_path: Path,
    *,
    timeout: float = 900,
    log: Path | None = None,
) -> dict[str, Any]:
    """Wait for Home Assistant, finish onboarding and log in; return the credentials.

    Readiness is probed without credentials only where that is no login
    attempt (``/auth/providers``: 400 while no user exists, 200 after), then
    with the owner's token on ``/api/core/state``, the call Home Assistant's
    Supervisor makes, until the state is RUNNING: the first start installs
    packages and sets up default_config for minutes, so no request here has
    a short cut-off. The owner's password is stored (``prepare``) before the
    owner is created.
    """
    deadline = time.monotonic() + timeout
    creds = load_credentials(credentials_path)
    if not creds.get("password"):
        raise FlowError(f"{credentials_path} has no password (run 'prepare' first)")
    progress = Progress("waiting for Home Assistant", log)

    providers: tuple[int, Any] = (0, None)

    def http_up() -> str | None:
        nonlocal providers
        providers = _probe(hass, "/auth/providers", auth=False)
        return None if providers[0] in (200, 400) else "starting its web server"

    wait_for(progress, deadline, http_up)

    if providers[0] == 400:  # no user yet: onboarding's first step

        def onboarding_up() -> str | None:
            status, _ = _probe(hass, "/api/onboarding", auth=False)
            return None if status == 200 else "loading onboarding"

        wait_for(progress, deadline, onboarding_up)
        print(f"\nonboarding: creating the owner account '{creds['username']}'")
        try:
            status, body = hass.request(
                "POST",
                "/api/onboarding/users",
                {**OWNER, "password": creds["password"], "client_id": hass.client_id},
                auth=False,
                # Home Assistant answers once the person integration is set
                # up, i.e. after default_config's packages.
                timeout=max(deadline - time.monotonic(), 60),
            )
        except FlowError as err:
            # The owner may exist by now: its password is stored, log in below.
            print(f"onboarding: {err}; logging in with the stored password")
        else:
            if status >= 400 and status != 403:  # 403: done meanwhile
                raise FlowError(f"POST /api/onboarding/users answered {status}: {body}")

    hass.login(creds["username"], creds["password"])

    def running() -> str | None:
        status, body = _probe(hass, "/api/core/state")
        if status != 200 or not isinstance(body, dict):
            return "starting"
        state = str(body.get("state", "starting")).lower()
        if state == "not_running":  # bootstrap still sets up integrations
            state = "setting up integrations"
        if (body.get("recorder_state") or {}).get("migration_in_progress"):
            return f"{state}, database migration"
        return None if state == "running" else state

    wait_for(progress, deadline, running)
    progress.done("Home Assistant is running")

    status, body = hass.request("GET", "/api/onboarding", auth=False)
    steps: dict[str, bool] = {}
    if status == 200 and isinstance(body, list):
        steps = {step["step"]: step["done"] for step in body}
    for step, path, payload in (
        ("core_config", "/api/onboarding/core_config", None),
        ("analytics", "/api/onboarding/analytics", None),
        (
            "integration",
            "/api/onboarding/integration",
            {
                "client_id": hass.client_id,
                "redirect_uri": f"{hass.url}/?auth_callback=1",
            },
        ),
    ):
        if not steps.get(step, True):
            print(f"onboarding: finishing step '{step}'")
            status, body = hass.request("POST", path, payload)
            if status >= 400 and status != 403:  # 403: done meanwhile
                raise FlowError(f"POST {path} answered {status}: {body}")
    if not steps.get("core_config", True):
        remove_onboarding_noise(hass)
    return creds


def remove_onboarding_noise(hass: HomeAssistant, wait: float = 8) -> None:
    """Delete the internet-only entries that onboarding creates by itself."""
    deadline = time.monotonic() + wait
    removed: set[str] = set()
    while time.monotonic() < deadline and len(removed) < len(ONBOARDING_NOISE):
        status, entries = hass.request("GET", "/api/config/config_entries/entry")
        for entry in entries if status == 200 and isinstance(entries, list) else []:
            if entry.get("domain") in ONBOARDING_NOISE:
                hass.request(
                    "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
                )
                removed.add(entry["domain"])
                print(
                    f"onboarding: removed the '{entry['domain']}' entry (no internet)"
                )
        time.sleep(1)


def _parse_value(text: str) -> Any:
    """Read a --set value as JSON when it parses, else as plain text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _selector_options(field: dict[str, Any]) -> tuple[list[Any], bool]:
    """Return the options of a select field and whether it takes several."""
    selector = field.get("selector") or {}
    if "select" in selector:
        config = selector["select"] or {}
        options = [
            option["value"] if isinstance(option, dict) else option
            for option in config.get("options", [])
        ]
        return options, bool(config.get("multiple"))
    if field.get("type") == "select":
        options = [
            option[0] if isinstance(option, list) else option
            for option in field.get("options", [])
        ]
        return options, False
    if field.get("type") == "multi_select":
        # voluptuous_serialize gives {value: label} for cv.multi_select.
        return list(field.get("options", {})), True
    return [], False


def answer_fields(
    fields: list[dict[str, Any]], answers: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Fill in serialized form fields; return the input and unanswered fields.

    A section (``"type": "expandable"``) is answered from the same flat
    answers and sent as a nested dict, as the frontend does.
    """
    user_input: dict[str, Any] = {}
    missing: list[str] = []
    for field in fields:
        name = field["name"]
        if field.get("type") == "expandable":
            nested, nested_missing = answer_fields(field.get("schema") or [], answers)
            if isinstance(answers.get(name), dict):
                nested.update(answers[name])
            if nested or field.get("required"):
                user_input[name] = nested
            missing.extend(f"{name}.{item}" for item in nested_missing)
            continue
        if name in answers:
            user_input[name] = answers[name]
            continue
        if "default" in field:
            continue  # Home Assistant fills in the default
        options, multiple = _selector_options(field)
        if options:
            user_input[name] = options if multiple else options[0]
        elif field.get("required"):
            missing.append(name)
    return user_input, missing


def answer_form(
    step: dict[str, Any], answers: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Fill in a form step; return the input and the fields left unanswered."""
    return answer_fields(step.get("data_schema") or [], answers)


def _field_names(fields: list[dict[str, Any]]) -> list[str]:
    """Return the field names of a form, sections as ``section.field``."""
    names: list[str] = []
    for field in fields:
        if field.get("type") == "expandable":
            names.extend(
                f"{field['name']}.{name}"
                for name in _field_names(field.get("schema") or [])
            )
        else:
            names.append(field["name"])
    return names


def describe(result: dict[str, Any]) -> str:
    """Return a one-line description of a flow result."""
    kind = result.get("type")
    step = result.get("step_id")
    if kind == "form":
        fields = _field_names(result.get("data_schema") or [])
        return f"form '{step}' with fields {fields} errors={result.get('errors')}"
    if kind == "menu":
        return f"menu '{step}' with options {result.get('menu_options')}"
    if kind == "abort":
        return f"abort: {result.get('reason')} {result.get('description_placeholders') or ''}"
    if kind == "create_entry":
        entry = result.get("result") or {}
        return f"create_entry '{entry.get('title', result.get('title'))}'"
    if kind == "progress":
        return f"progress '{step}' ({result.get('progress_action')})"
    if kind == "external":
        return f"external step '{step}' at {result.get('url')}"
    return f"{kind} '{step}': {json.dumps(result)[:300]}"


def provider_entries(hass: HomeAssistant, provider: str) -> list[dict[str, Any]]:
    """Return the GridMeter entries of `provider` (by their title prefix)."""
    status, entries = hass.request(
        "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
    )
    if status != 200 or not isinstance(entries, list):
        raise FlowError(f"listing the GridMeter entries answered {status}: {entries}")
    prefix = PROVIDERS[provider].title_prefix
    return [
        entry for entry in entries if str(entry.get("title", "")).startswith(prefix)
    ]


def _flow_state(hass: HomeAssistant, flow_id: str) -> dict[str, Any] | None:
    """GET the flow (which also lets it move on); None when it is gone."""
    status, result = hass.request("GET", f"/api/config/config_entries/flow/{flow_id}")
    if status == 404:
        return None
    if status >= 400 or not isinstance(result, dict):
        raise FlowError(f"GET flow {flow_id} answered {status}: {result}")
    return result


def wait_while(
    hass: HomeAssistant, result: dict[str, Any], deadline: float
) -> dict[str, Any] | None:
    """Poll a progress or external step until the flow moves on.

    Returns the flow's next result (None when the flow is gone: something else
    finished it).
    """
    kind, step_id = result.get("type"), result.get("step_id")
    started = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(POLL_EVERY)
        current = _flow_state(hass, result["flow_id"])
        if current is None or current.get("type") != kind:
            waited = time.monotonic() - started
            print(f"GridMeter flow: '{step_id}' moved on after {waited:.1f}s")
            return current
    raise FlowError(f"the flow stayed on '{step_id}' ({kind})")


def add_entry(
    hass: HomeAssistant, provider: str, overrides: dict[str, Any], simulator: str
) -> int:
    """Create a GridMeter entry for `provider` (simulator at that URL) unless one exists."""
    spec = PROVIDERS[provider]
    answers = {
        **spec.answers,
        "base_url": simulator + spec.api_path,
        **overrides,
    }
    existing = provider_entries(hass, provider)
    if existing:
        titles = ", ".join(
            f"'{entry.get('title')}' ({entry.get('state')})" for entry in existing
        )
        print(f"GridMeter {provider}: an entry exists already ({titles}); skipped")
        if spec.on_existing is not None:
            spec.on_existing(hass, existing, answers)
        return 0
    started = time.monotonic()
    status, result = hass.request(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": True},
    )
    if status in (400, 404) and "handler" in json.dumps(result).lower():
        print(
            "GridMeter: Home Assistant has no 'gridmeter' config flow (the "
            "integration is missing or failed to load; see the log); "
            "skipping the entry."
        )
        return EXIT_NO_HANDLER
    if status >= 400:
        raise FlowError(f"starting the flow answered {status}: {result}")

    seen: dict[str, int] = {}
    deadline = time.monotonic() + FLOW_TIMEOUT
    while time.monotonic() < deadline:
        if result is None:
            # The flow finished on its own (a background task moved it on
            # between two polls): its entry tells how it ended.
            created = provider_entries(hass, provider)
            if not created:
                raise FlowError("the flow ended without creating an entry")
            result = {"type": "create_entry", "result": created[0]}
        kind = result.get("type")
        flow_id = result.get("flow_id")
        step_id = result.get("step_id") or ""
        print(f"GridMeter flow: {describe(result)}")
        seen[step_id] = seen.get(step_id, 0) + 1
        if seen[step_id] > 3:
            raise FlowError(f"the flow keeps returning to step '{step_id}'")

        if kind == "create_entry":
            entry = result.get("result") or {}
            print(
                f"GridMeter {provider}: created entry '{entry.get('title')}' "
                f"(entry_id {entry.get('entry_id')}, state {entry.get('state')}) "
                f"in {time.monotonic() - started:.1f}s"
            )
            return 0
        if kind == "abort":
            if result.get("reason") == "already_configured":
                print(f"GridMeter {provider}: this account is configured already")
                return 0
            raise FlowError(f"the flow aborted: {result.get('reason')}")
        if kind == "menu":
            options = result.get("menu_options") or []
            names = list(options) if isinstance(options, (list, dict)) else []
            if provider not in names:
                raise FlowError(f"'{provider}' is not in the menu {names}")
            payload: dict[str, Any] = {"next_step_id": provider}
        elif kind == "form":
            if result.get("errors") and seen[step_id] > 1:
                raise FlowError(
                    f"step '{step_id}' refused the answers: {result['errors']}"
                )
            payload, missing = answer_form(result, answers)
            if missing:
                raise FlowError(
                    f"step '{step_id}' needs {missing}; add them to PROVIDERS in "
                    f"{Path(__file__).name} or pass --set FIELD=VALUE"
                )
        elif kind == "progress":
            result = wait_while(hass, result, deadline)
            continue
        elif kind == "external":
            if spec.on_external is None:
                print(
                    f"GridMeter flow: external step; open {result.get('url')} "
                    "and finish there (waiting)"
                )
            else:
                spec.on_external(result)
            result = wait_while(hass, result, deadline)
            continue
        elif kind in ("progress_done", "external_done"):
            payload = {}  # continue with the next step, as the frontend does
        else:
            raise FlowError(f"unexpected flow result: {json.dumps(result)}")
        status, result = hass.request(
            "POST", f"/api/config/config_entries/flow/{flow_id}", payload
        )
        if status == 404 and kind in ("progress_done", "external_done"):
            result = None  # finished meanwhile by the flow's own task
        elif status >= 400 or not isinstance(result, dict):
            raise FlowError(f"step '{step_id}' answered {status}: {result}")
    raise FlowError(f"the flow did not finish within {FLOW_TIMEOUT:.0f}s")


def _wait_loaded(hass: HomeAssistant, provider: str) -> list[dict[str, Any]]:
    """Wait until every entry of `provider` has left set-up; return them."""
    deadline = time.monotonic() + PRICES_WAIT
    while True:
        entries = provider_entries(hass, provider)
        if all(entry.get("state") != "setup_in_progress" for entry in entries):
            return entries
        if time.monotonic() > deadline:
            return entries
        time.sleep(POLL_EVERY)


def price_flow(
    hass: HomeAssistant, entry_id: str, provider: str, meter: str | None
) -> tuple[str, list[str]]:
    """Add one supply's demo prices through the prices subentry flow.

    `meter` answers the supply step (None: the first supply offered). Returns
    how it ended (``created``, ``exists``, or an abort reason) and the supplies
    the supply step offered (empty when the entry has one supply).
    """
    base = "/api/config/config_entries/subentries/flow"
    status, result = hass.request(
        "POST", base, {"handler": [entry_id, "prices"], "show_advanced_options": True}
    )
    supplies: list[str] = []
    for _ in range(4):
        if status >= 400 or not isinstance(result, dict):
            raise FlowError(f"the prices flow answered {status}: {result}")
        kind, step_id = result.get("type"), result.get("step_id")
        if kind == "create_entry":
            return "created", supplies
        if kind == "abort":
            return str(result.get("reason")), supplies
        fields = result.get("data_schema") or []
        if step_id == "user":
            supplies = [str(option) for option in _selector_options(fields[0])[0]]
            payload: dict[str, Any] = {"meter_id": meter or supplies[0]}
        elif step_id == "plan":
            plan, answers = price_answers(provider, _selector_options(fields[0])[0])
            payload = {"plan": plan}
        elif step_id == "prices":
            if result.get("errors"):
                hass.request("DELETE", f"{base}/{result['flow_id']}")
                if result["errors"] == {"valid_from": "date_overlap"}:
                    return "exists", supplies
                raise FlowError(f"the demo prices were refused: {result['errors']}")
            payload, missing = answer_form(result, answers)
            if missing:
                raise FlowError(f"the prices form needs {missing}")
        else:
            raise FlowError(f"unexpected prices step: {describe(result)}")
        status, result = hass.request("POST", f"{base}/{result['flow_id']}", payload)
    raise FlowError("the prices flow did not finish")


def add_prices(hass: HomeAssistant, provider: str) -> None:
    """Give every supply of the provider's loaded entries its demo prices.

    A supply that has them already (a set from the same date) is left alone,
    so running this again changes nothing.
    """
    for entry in _wait_loaded(hass, provider):
        title = entry.get("title")
        if entry.get("state") != "loaded":
            print(f"GridMeter {provider}: '{title}' is not loaded; no prices added")
            continue
        deadline = time.monotonic() + PRICES_WAIT
        while True:
            outcome, supplies = price_flow(hass, entry["entry_id"], provider, None)
            # Just set up: the supplies may still be on their way.
            if outcome != "no_supplies" or time.monotonic() > deadline:
                break
            time.sleep(POLL_EVERY)
        outcomes = [outcome] + [
            price_flow(hass, entry["entry_id"], provider, meter)[0]
            for meter in supplies[1:]
        ]
        print(f"GridMeter {provider}: prices of '{title}': {', '.join(outcomes)}")


def add_entries(
    hass: HomeAssistant,
    providers: list[str],
    overrides: dict[str, Any],
    simulators: dict[str, str],
) -> int:
    """Add an entry for each provider; a failure does not stop the others."""
    failed: list[str] = []
    for provider in providers:
        try:
            code = add_entry(hass, provider, overrides, simulators[provider])
        except FlowError as err:
            print(f"error: GridMeter {provider}: {err}", file=sys.stderr)
            failed.append(provider)
            continue
        if code == EXIT_NO_HANDLER:
            return code
        try:
            add_prices(hass, provider)
        except FlowError as err:
            print(f"error: GridMeter {provider} prices: {err}", file=sys.stderr)
            failed.append(provider)
    if failed:
        print(f"GridMeter: no entry for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    """Parse the command line and run the command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("HASS_URL", DEFAULT_URL))
    parser.add_argument("--credentials", type=Path, default=DEFAULT_CREDENTIALS)
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="decide or repair the owner's credentials")
    prep.add_argument("--config", type=Path, default=DEFAULT_CREDENTIALS.parent)
    onboarding = sub.add_parser("onboard", help="wait for Home Assistant, onboard")
    onboarding.add_argument(
        "--print-credentials", action="store_true", help="print the user and password"
    )
    add = sub.add_parser("add-entry", help="create a GridMeter entry via the flow")
    add.add_argument("provider", nargs="+", choices=list(PROVIDERS))
    add.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    add.add_argument(
        "--simulator",
        action="append",
        default=[],
        metavar="PROVIDER=URL",
        help="where PROVIDER's simulator listens (default: its usual port)",
    )
    for command in (onboarding, add):
        command.add_argument(
            "--timeout", type=float, default=900, help="seconds to wait for startup"
        )
        command.add_argument("--log", type=Path, help="Home Assistant's log file")
    args = parser.parse_args()

    hass = HomeAssistant(args.url)
    try:
        if args.command == "prepare":
            prepare(args.config, args.credentials)
            return 0
        creds = onboard(hass, args.credentials, timeout=args.timeout, log=args.log)
        if args.command == "onboard":
            if args.print_credentials:
                print(f"user: {creds['username']}")
                print(f"password: {creds['password']}")
            return 0
        overrides = {}
        for item in args.set:
            field, _, value = item.partition("=")
            overrides[field] = _parse_value(value)
        simulators = dict(SIMULATORS)
        for item in args.simulator:
            provider, _, url = item.partition("=")
            simulators[provider] = url.rstrip("/")
        return add_entries(hass, args.provider, overrides, simulators)
    except FlowError as err:
        print(f"\nerror: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
