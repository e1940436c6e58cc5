"""GridMeter in a real browser: what a newcomer does, checked step by step.

Run by ``scripts/e2e`` once ``scripts/develop --run`` has Home Assistant (with
a Digiwatt entry) and the three simulators running; it reads where they are
from the GRIDMETER_* variables that scripts/develop sets. It drives Debian's
Chromium through Playwright:

1. log in with the owner that scripts/develop created;
2. Settings > Devices & services > Add integration > GridMeter lists the three
   hubs with their English names;
3. the Datadis form refuses a NIF with a wrong control letter (its translated
   error), then creates the entry;
4. the Switchgrid flow opens the simulator's consent page in a new tab; after
   signing there the dialog goes on by itself and creates the entry;
5. in Spanish (the user's language switched on the profile page) the same menu
   shows the Spanish names;
6. the Energy dashboard, given the Datadis flat's consumption statistic as its
   grid connection, shows for a past day the total the simulator served;
7. every house's green-window calendar (Spain, France, Italy) has a window
   in the next 24 hours, the Spanish and French ones with their basis;
8. no "Login attempt failed" or "Invalid config" notification was raised.

Every step waits on page state (selectors, texts, websocket answers), never
on fixed sleeps, and leaves a screenshot in the folder printed at the start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta
import json
import os
from pathlib import Path
import re
import sys
import tempfile
import time
from typing import Any
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

from playwright.sync_api import BrowserContext, Locator, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "custom_components" / "gridmeter" / "translations"
# Debian's package (E2E_CHROMIUM: another Chromium build, e.g. GitHub's Chrome).
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# This machine's closed network refuses Chromium's own background connections
# (updates, sync, QUIC probes); these flags keep it from trying.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIME_ZONE = "Europe/Madrid"  # config/configuration.yaml's, so days match
UI_TIMEOUT_MS = 30_000
# The first import of the Datadis account (two supplies, 24 months) runs in
# the background after the entry is created.
HISTORY_TIMEOUT_S = 300.0
# The Datadis simulator's account and the supply whose day is checked.
DATADIS_USER = "12345678Z"
DATADIS_WRONG_NIF = "12345678A"  # 12345678's control letter is Z
DATADIS_PASSWORD = "gridmeter-demo"  # noqa: S105 (the simulator's demo account)
DATADIS_CUPS = "ES0031408273645190LY0F"  # the Madrid flat
DAYS_BACK = 3  # Datadis publishes with a delay of a day or two
# "Finish", or "Skip and finish" when the new devices could get areas.
FINISH = re.compile(r"finish$", re.IGNORECASE)
SWITCHGRID = {
    "api_token": "sg-demo-token",
    "name": "Bertrand",
    "prm": "19876543210987",
    "first_name": "Julien",
    "last_name": "Bertrand",
    "email": "julien.bertrand@example.com",
    "phone": "+33612345678",
}


def translations(language: str) -> dict[str, Any]:
    """Return GridMeter's translations in `language`."""
    data: dict[str, Any] = json.loads((TRANSLATIONS / f"{language}.json").read_text())
    return data


@dataclass
class Run:
    """The browser session, where screenshots go, and what the steps share."""

    page: Page
    context: BrowserContext
    url: str
    shots: Path
    sims: dict[str, str]
    taken: list[Path] = field(default_factory=list)

    def shot(self, name: str, page: Page | None = None) -> None:
        """Save a screenshot named after the step."""
        path = self.shots / f"{len(self.taken) + 1:02d}-{name}.png"
        (page or self.page).screenshot(path=path, full_page=True)
        self.taken.append(path)

    def ws(self, message: dict[str, Any]) -> Any:
        """Send a websocket command through the frontend's own connection."""
        return self.page.evaluate(
            "message => document.querySelector('home-assistant').hass.callWS(message)",
            message,
        )

    def api(self, method: str, path: str) -> Any:
        """Call the REST API through the frontend's own session."""
        return self.page.evaluate(
            "([method, path]) => document.querySelector('home-assistant')"
            ".hass.callApi(method, path)",
            [method, path],
        )


def sim_json(url: str) -> Any:
    """GET a simulator's control route and decode its JSON."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def wait_until[T](what: str, probe: Callable[[], T | None], timeout: float) -> T:
    """Call `probe` until it returns something (an answer from the page or HA)."""
    deadline = time.monotonic() + timeout
    while (result := probe()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)  # between two websocket questions, not a wait for the UI
    return result


# --- steps ---------------------------------------------------------------------


def log_in(run: Run, username: str, password: str) -> None:
    """Log in through Home Assistant's login page."""
    run.page.goto(run.url)
    run.page.locator("input[name=username]").fill(username)
    run.page.locator("input[name=password]").fill(password)
    run.shot("login")
    run.page.get_by_role("button", name="Log in").click()
    expect(run.page.locator("ha-sidebar")).to_contain_text("Developer")  # the owner
    run.shot("logged-in")


def open_gridmeter_flow(run: Run) -> Locator:
    """Open Settings > Devices & services > Add integration > GridMeter."""
    run.page.goto(f"{run.url}/config/integrations/dashboard")
    run.page.get_by_role("button", name="Add integration").click()
    search = run.page.locator("dialog-add-integration input").first
    search.fill("GridMeter")
    run.page.locator(
        "dialog-add-integration ha-integration-list-item", has_text="GridMeter"
    ).click()
    return run.page.locator("dialog-data-entry-flow")


def check_menu(run: Run, flow: Locator, language: str) -> None:
    """Check that the flow's first step lists the three hubs in `language`."""
    menu = translations(language)["config"]["step"]["user"]
    labels = list(menu["menu_options"].values())
    items = flow.locator("ha-list-item")
    expect(items).to_have_text(labels)
    expect(flow).to_contain_text(menu["title"])
    expect(flow).to_contain_text(menu["description"])  # markdown, drawn later
    run.shot(f"hubs-{language}")


def hubs_in_english(run: Run) -> None:
    """Check that the add-integration dialog lists Datadis, Switchgrid, Digiwatt."""
    check_menu(run, open_gridmeter_flow(run), "en")


def submit(flow: Locator) -> None:
    """Press the dialog's Submit button."""
    flow.get_by_role("button", name="Submit").click()


def finish(
    run: Run, flow: Locator, title: str, name: str, timeout_ms: float = UI_TIMEOUT_MS
) -> None:
    """Wait for the success step of entry `title`, screenshot it, close it.

    The frontend shows "Created configuration for <title>" when the entry has
    no device yet, else "Name and assign" with its devices; either way its
    button finishes.
    """
    done = flow.get_by_text(f"Created configuration for {title}").or_(
        flow.get_by_text("Name and assign")
    )
    expect(done.first).to_be_visible(timeout=timeout_ms)
    run.shot(name)
    flow.get_by_role("button", name=FINISH).click()
    expect(flow.get_by_role("button", name=FINISH)).to_have_count(0)


def loaded_entry(run: Run, prefix: str) -> dict[str, Any]:
    """Return the loaded GridMeter entry whose title starts with `prefix`."""

    def probe() -> dict[str, Any] | None:
        entries = run.ws({"type": "config_entries/get", "domain": "gridmeter"})
        return next(
            (
                entry
                for entry in entries
                if entry["title"].startswith(prefix) and entry["state"] == "loaded"
            ),
            None,
        )

    return wait_until(f"a loaded '{prefix}' entry", probe, 60)


def datadis_entry(run: Run) -> None:
    """Create the Datadis entry in the form: a wrong NIF first, then the right one."""
    strings = translations("en")["config"]
    flow = open_gridmeter_flow(run)
    flow.locator(
        "ha-list-item", has_text=strings["step"]["user"]["menu_options"]["datadis"]
    ).click()

    def fill(nif: str) -> None:
        flow.locator("input[name=username]").fill(nif)
        flow.locator("input[name=password]").fill(DATADIS_PASSWORD)
        base_url = flow.locator("input[name=base_url]")
        if not base_url.is_visible():
            flow.locator("ha-expansion-panel").click()
        base_url.fill(run.sims["datadis"])
        submit(flow)

    fill(DATADIS_WRONG_NIF)
    expect(flow.locator("ha-alert")).to_contain_text(strings["error"]["invalid_nif"])
    run.shot("datadis-wrong-nif")
    # The form comes back with the password emptied, as it should.
    fill(DATADIS_USER)
    finish(run, flow, "Datadis ···678Z", "datadis-created")
    loaded_entry(run, "Datadis ")


def switchgrid_consent(run: Run) -> None:
    """Sign the Switchgrid consent in a new tab; the dialog goes on by itself."""
    strings = translations("en")["config"]
    flow = open_gridmeter_flow(run)
    flow.locator(
        "ha-list-item", has_text=strings["step"]["user"]["menu_options"]["switchgrid"]
    ).click()
    flow.locator("input[name=api_token]").fill(SWITCHGRID["api_token"])
    flow.locator("ha-expansion-panel").click()
    flow.locator("input[name=base_url]").fill(run.sims["switchgrid"] + "/enedis/v2")
    submit(flow)
    flow.locator("input[name=name]").fill(SWITCHGRID["name"])
    flow.locator("input[name=prm]").fill(SWITCHGRID["prm"])
    submit(flow)
    for name in ("first_name", "last_name", "email", "phone"):
        flow.locator(f"input[name={name}]").fill(SWITCHGRID[name])
    run.shot("switchgrid-signer")
    # A progress step while Switchgrid checks the address, then the external
    # step, whose page the frontend opens in a new tab by itself.
    with run.context.expect_page(timeout=90_000) as new_tab:
        submit(flow)
    expect(flow).to_contain_text("Open website")
    run.shot("switchgrid-consent-step")
    tab = new_tab.value
    sign = tab.get_by_role("button", name="Signer")
    for _ in range(30):
        # While Enedis still checks the address the page says so (409): a
        # person reloads it.
        expect(tab.locator("h1")).to_be_visible()
        if (
            sign.is_visible()
            or "Vérification en cours" not in tab.locator("h1").inner_text()
        ):
            break
        tab.reload()
    run.shot("switchgrid-signing-page", tab)
    sign.click()
    expect(tab.locator("h1")).to_contain_text("Merci")
    run.shot("switchgrid-signed", tab)
    tab.close()
    # The entry is created once its set-up has run, and that set-up reads the
    # statistics only after the writes already queued, i.e. after the Datadis
    # entry's 24-month import: on a busy machine that is minutes.
    finish(
        run,
        flow,
        "Enedis ···0987",
        "switchgrid-created",
        timeout_ms=HISTORY_TIMEOUT_S * 1000,
    )
    loaded_entry(run, "Enedis ")


def set_language(run: Run, search: str, item: re.Pattern[str], heading: str) -> None:
    """Choose the user's language on Profile > Localization."""
    run.page.goto(f"{run.url}/profile/localization")
    run.page.locator("ha-pick-language-row ha-language-picker ha-picker-field").click()
    run.page.locator("ha-pick-language-row input").fill(search)
    run.page.locator("ha-pick-language-row ha-combo-box-item", has_text=item).click()
    expect(run.page.locator("ha-pick-language-row")).to_contain_text(heading)


def hubs_in_spanish(run: Run) -> None:
    """Check the menu's Spanish names in Spanish; back to English afterwards."""
    set_language(run, "Español", re.compile(r"^\s*Español\s+Spanish\s*$"), "Idioma")
    run.shot("profile-spanish")
    run.page.goto(f"{run.url}/config/integrations/dashboard")
    run.page.get_by_role("button", name="Añadir integración").click()
    run.page.locator("dialog-add-integration input").first.fill("GridMeter")
    run.page.locator(
        "dialog-add-integration ha-integration-list-item", has_text="GridMeter"
    ).click()
    check_menu(run, run.page.locator("dialog-data-entry-flow"), "es")
    set_language(
        run,
        "English",
        re.compile(r"^\s*English\s+inglés\s*$", re.IGNORECASE),
        "Language",
    )


def _local_day(day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(TIME_ZONE)
    start = datetime.combine(day, clock(0), zone)
    end = datetime.combine(day + timedelta(days=1), clock(0), zone)
    return start, end


def energy_dashboard(run: Run) -> None:
    """Check a past day's grid total on the Energy dashboard against the truth."""
    day = datetime.now(ZoneInfo(TIME_ZONE)).date() - timedelta(days=DAYS_BACK)
    start, end = _local_day(day)
    query = urllib.parse.urlencode(
        {"cups": DATADIS_CUPS, "start": start.isoformat(), "end": end.isoformat()}
    )
    truth = sim_json(f"{run.sims['datadis']}/_sim/truth?{query}")
    assert len(truth) >= 23, f"the simulator serves {len(truth)} hours of {day}"
    expected = sum(row["consumption"] for row in truth)

    ids = run.ws({"type": "recorder/list_statistic_ids", "statistic_type": "sum"})
    meter = DATADIS_CUPS[:20].lower()
    statistic = next(
        item["statistic_id"]
        for item in ids
        if item["statistic_id"] == f"gridmeter:datadis_{meter}_consumption"
    )

    def imported() -> float | None:
        rows = run.ws(
            {
                "type": "recorder/statistics_during_period",
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "statistic_ids": [statistic],
                "period": "hour",
                "types": ["change"],
            }
        ).get(statistic, [])
        return sum(row["change"] for row in rows) if len(rows) == len(truth) else None

    wait_until(f"the statistics of {day}", imported, HISTORY_TIMEOUT_S)
    run.ws(
        {
            "type": "energy/save_prefs",
            "energy_sources": [
                {
                    "type": "grid",
                    "stat_energy_from": statistic,
                    "stat_energy_to": None,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                    "stat_compensation": None,
                    "entity_energy_price_export": None,
                    "number_energy_price_export": None,
                    "cost_adjustment_day": 0,
                }
            ],
            "device_consumption": [],
        }
    )
    run.page.goto(f"{run.url}/energy")
    label = run.page.locator("hui-energy-period-selector")
    previous = run.page.get_by_role("button", name="Previous")
    for back in range(1, DAYS_BACK + 1):
        previous.click()
        shown = datetime.now(ZoneInfo(TIME_ZONE)).date() - timedelta(days=back)
        expect(label).to_contain_text(f"{shown:%b} {shown.day}")
    total = run.page.locator("hui-energy-sources-table-card tr", has_text="Grid total")
    expect(total).to_contain_text("kWh")

    def drawn() -> float | None:
        match = re.search(r"([\d.,]+)\s*kWh", total.inner_text())
        if match is None:
            return None
        value = float(match.group(1).replace(",", ""))
        # Equal to the truth as far as the card shows it (its last digit).
        half_step = 0.5 * 10 ** -len(match.group(1).partition(".")[2])
        return value if abs(value - expected) <= half_step + 1e-9 else None

    shown_total = wait_until(
        f"the dashboard's total for {day} to be {expected:.3f} kWh", drawn, 30
    )
    run.shot("energy-dashboard")
    print(f"  {day}: dashboard {shown_total} kWh, simulator {expected:.3f} kWh")


def green_calendar(run: Run) -> None:
    """Check every house's green-window calendar (Spain, France, Italy).

    Each calendar has a window in the next 24 hours (the rule always gives
    one when the grid has shares); the Spanish and French ones say their
    basis; the calendar page shows one of today's events.
    """
    states = run.ws({"type": "get_states"})
    calendars = sorted(
        state["entity_id"]
        for state in states
        if state["entity_id"].startswith("calendar.")
        and state["entity_id"].endswith("_green_windows")
    )
    assert len(calendars) >= 3, f"green-window calendars: {calendars}"
    now = datetime.now(ZoneInfo(TIME_ZONE))
    today_start, today_end = _local_day(now.date())
    query = urllib.parse.urlencode(
        {"start": now.isoformat(), "end": (now + timedelta(hours=24)).isoformat()}
    )
    with_basis = 0
    today: list[str] = []
    for calendar in calendars:
        events = run.api("GET", f"calendars/{calendar}?{query}")
        assert events, f"{calendar} has no window in the next 24 hours"
        summary = events[0]["summary"]
        with_basis += summary.endswith(("· estimate", "· forecast", "· measured"))
        today += [
            event["summary"]
            for event in events
            if datetime.fromisoformat(event["start"]["dateTime"]) < today_end
            and datetime.fromisoformat(event["end"]["dateTime"]) > today_start
        ]
        print(f"  {calendar}: {len(events)} window(s) ahead, e.g. '{summary}'")
    assert with_basis >= 2, "the Spanish and French windows say their basis"
    run.page.goto(f"{run.url}/calendar")
    run.page.get_by_role("button", name="Today").wait_for()
    if today:
        expect(
            run.page.locator(".fc-event").filter(has_text=today[0]).first
        ).to_be_visible()
    run.shot("green-windows-calendar")


def no_stray_notifications(run: Run) -> None:
    """Check that no failed login (a readiness probe) or invalid config was raised."""
    notifications = run.ws({"type": "persistent_notification/get"})
    titles = [str(item.get("title")) for item in notifications]
    bad = [
        title
        for title in titles
        if re.search(r"login attempt|invalid config", title, re.I)
    ]
    assert not bad, f"unexpected notifications: {bad}"
    print(f"  notifications: {titles or 'none'}")


# --- runner ----------------------------------------------------------------------


def main() -> int:
    """Run every step; print each one's duration; exit 1 at the first failure."""
    url = os.environ["GRIDMETER_HA_URL"]
    creds = json.loads(Path(os.environ["GRIDMETER_CREDENTIALS"]).read_text())
    sims = {
        name: os.environ[f"GRIDMETER_SIM_{name.upper()}"]
        for name in ("datadis", "switchgrid", "digiwatt")
    }
    shots = Path(
        os.environ.get("E2E_SCREENSHOTS") or tempfile.mkdtemp(prefix="gridmeter-e2e-")
    )
    shots.mkdir(parents=True, exist_ok=True)
    print(f"e2e: screenshots in {shots}")
    steps: list[tuple[str, Callable[[Run], None]]] = [
        ("log in", lambda run: log_in(run, creds["username"], creds["password"])),
        ("three hubs in English", hubs_in_english),
        ("Datadis entry through the form", datadis_entry),
        ("Switchgrid consent in a new tab", switchgrid_consent),
        ("three hubs in Spanish", hubs_in_spanish),
        ("Energy dashboard equals the simulator", energy_dashboard),
        ("green-window calendar", green_calendar),
        ("no stray notifications", no_stray_notifications),
    ]
    if only := os.environ.get("E2E_STEPS"):  # e.g. "1 6 7" while writing a step
        chosen = {int(number) for number in only.split()}
        steps = [step for number, step in enumerate(steps, 1) if number in chosen]
    started = time.monotonic()
    with (
        sync_playwright() as playwright,
        tempfile.TemporaryDirectory(prefix="gridmeter-e2e-profile-") as profile,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            headless=True,
            locale="en-US",
            timezone_id=TIME_ZONE,
            viewport={"width": 1280, "height": 900},
            # The frontend's service worker, once installed, takes over the
            # page and reloads it at a moment of its own (a dialog open then
            # vanishes); a person's browser installed it long ago.
            service_workers="block",
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        run = Run(page=page, context=context, url=url, shots=shots, sims=sims)
        try:
            for number, (name, step) in enumerate(steps, 1):
                step_started = time.monotonic()
                print(f"e2e: {number}/{len(steps)} {name} ...", flush=True)
                try:
                    step(run)
                except Exception:
                    run.shot(f"FAILED-{number}")
                    print(f"e2e: {name} FAILED; see {run.taken[-1]}", flush=True)
                    raise
                print(f"e2e: {name} ok ({time.monotonic() - step_started:.1f}s)")
        finally:
            context.close()
    print(f"e2e: screenshots ({len(run.taken)}) in {shots}:")
    for path in run.taken:
        print(f"  {path.name}")
    print(f"e2e: browser steps took {time.monotonic() - started:.1f}s")
    print(f"e2e: {len(steps)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
