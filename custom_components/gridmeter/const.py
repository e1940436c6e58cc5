"""Constants of the GridMeter integration."""

from __future__ import annotations

from datetime import time, timedelta
import logging
import re
from typing import Final

DOMAIN: Final = "gridmeter"
LOGGER: Final = logging.getLogger(__package__)

CONF_PROVIDER: Final = "provider"
CONF_AUTHORIZED_NIF: Final = "authorized_nif"
CONF_BASE_URL: Final = "base_url"
CONF_REFRESH_TIME: Final = "refresh_time"
CONF_SUPPLIES: Final = "supplies"
CONF_EXCLUDED_SUPPLIES: Final = "excluded_supplies"
"""Supplies the user deselected in the options: every other one is followed,
so a supply that appears later is added (CONF_SUPPLIES alone would freeze the
list)."""

PROVIDER_DATADIS: Final = "datadis"
PROVIDER_SWITCHGRID: Final = "switchgrid"
PROVIDER_DIGIWATT: Final = "digiwatt"

# Digiwatt entries
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"  # noqa: S105 - a key name
CONF_POD: Final = "pod"
CONF_ACCOUNT_NUMBER: Final = "account_number"
CONF_COMPANY_CODE: Final = "company_code"
CONF_HOUSEHOLD: Final = "household"
CONF_PROVINCE: Final = "province"
CONF_INSIGHTS_PERIOD: Final = "insights_period"
CONF_LIVE_INTERVAL: Final = "live_interval"

# Switchgrid entries
CONF_API_TOKEN: Final = "api_token"  # noqa: S105 - a key name
CONF_TEST_ENV: Final = "test_env"
CONF_PRM: Final = "prm"
CONF_ASK_ID: Final = "ask_id"
CONF_CONSENT_ID: Final = "consent_id"
CONF_INJECTION: Final = "injection"
CONF_ADDRESS_LINES: Final = "address_lines"
CONF_HOLDER: Final = "holder"
CONF_SIGNER: Final = "signer"
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_OFF_PEAK: Final = "off_peak_hours"

# Where side sources (prices, grid signals) are read: their public addresses
# unless an entry says otherwise (development and tests point them at the
# simulators; no form offers it).
CONF_SOURCE_URLS: Final = "source_urls"

# Datadis publishes yesterday's data overnight; read it after the morning
# publication, at a minute of 06:30-07:29 that is fixed per installation so
# that GridMeter users do not all call at once.
DEFAULT_REFRESH_TIME: Final = time(6, 30)
# Enedis publishes yesterday's data around 08:00 Paris time.
SWITCHGRID_REFRESH_TIME: Final = time(8, 30)
REFRESH_JITTER: Final = timedelta(minutes=59)
# After a failed sync, try again this much later (what was already asked is
# never re-sent within 24 h: the query ledger answers for it).
RETRY_DELAY: Final = timedelta(hours=2)

# The seed's rule: warn when no new data has arrived for 14 days.
STALE_DATA_AFTER: Final = timedelta(days=14)
# Contracted power is "out of proportion" when the 12-month peak uses less
# than this share of it, or exceeds it.
POWER_OVERSIZED_RATIO: Final = 0.5
POWER_UNDERSIZED_RATIO: Final = 1.0
# Standard contractable powers in Spain (kW), to suggest a real value.
STANDARD_POWERS_KW: Final = (
    1.15,
    1.725,
    2.3,
    3.45,
    4.6,
    5.75,
    6.9,
    8.05,
    9.2,
    10.35,
    11.5,
    14.49,
)


def option_key(name: str) -> str:
    """Return a provider's camelCase name as a translation / option key.

    Home Assistant's translation keys are lower-case snake case (hassfest),
    while Digiwatt's appliance names are camelCase:
    "airConditioner" → "air_conditioner".
    """
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Green windows from the national grid (Spain, France): the hub options.
CONF_GREEN: Final = "green_windows"
CONF_GREEN_THRESHOLD: Final = "green_threshold"
"""Renewable share (%) at or above which an hour is green."""
CONF_GREEN_MIN_HOURS: Final = "green_min_hours"
CONF_ESIOS_TOKEN: Final = "esios_token"  # noqa: S105 - a key, not a secret
CONF_RTE_CLIENT_ID: Final = "rte_client_id"
CONF_RTE_CLIENT_SECRET: Final = "rte_client_secret"  # noqa: S105 - a key
GREEN_SECRETS: Final = frozenset(
    {CONF_ESIOS_TOKEN, CONF_RTE_CLIENT_ID, CONF_RTE_CLIENT_SECRET}
)
"""Options diagnostics must redact."""
