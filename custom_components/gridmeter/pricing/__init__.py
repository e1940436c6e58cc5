"""The price engine: what each hour of energy cost, and what returned energy earned.

Pure Python, provider-neutral, no Home Assistant import and no I/O.

Prices. A supply's price book is a list of dated price sets (`PriceSet`):
a plan (`Plan`), the local date from whose 00:00 the set applies, energy
prices in €/kWh by period, an optional tax percentage added on top (0 when
not given), an optional compensation price in €/kWh for energy returned to
the grid and optional power-term prices in €/kW/year. The set in force at
an hour is the latest whose date is on or before the hour's local date (the
supply's time zone); hours before the first set have no price.

Which price an hour gets:

- ``es_single``, ``fr_base``, ``it_single``: the one price.
- ``es_20td``, ``fr_hphc``, ``it_f123``: the price of the tariff period,
  by the supply's calendar (2.0TD P1/P2/P3 with national holidays, Ceuta and
  Melilla's hours and the Canary time zone; the contract's off-peak hours;
  ARERA's F1/F2/F3 bands).
- ``es_pvpc``: Red Eléctrica's PVPC price of that UTC hour.
- ``fr_tempo``: the colour of the Tempo day (06:00 → 06:00 Paris time) ×
  HP/HC, off-peak being 22:00 → 06:00 Paris time every day.

Cost. For each hour, cost = kWh × price in force × (1 + tax / 100), in
whole micro-euros (nearest, 0.000001 €). When a register is split by tariff
period (``consumption_p1`` …), each period series is priced with its own
period's price (an hour's 30-minute halves may belong to two periods) and
the hour's total ``cost`` is the exact sum of the rounded ``cost_<period>``
rows (a period has a row where its energy series has one, so money series
are as sparse as the energy they price); otherwise the total is priced at
the calendar's period of the hour.
Compensation = kWh returned × the set's compensation price (no tax added),
built the same way from ``return`` and ``return_<period>``. An hour whose
price is not known (no set yet, PVPC not published, Tempo colour unknown)
gets no row: it is reported in `MoneyRows.missing`, never guessed.
"""

from .book import InvalidPriceBook, PriceBook
from .cost import (
    MONEY_OF,
    MissingPrice,
    MoneyRows,
    current_price,
    first_change,
    money_rows,
    money_series,
    power_saving,
    tempo_colour_at,
    tempo_period,
)
from .plans import (
    PLAN_RULES,
    POWER_PERIODS,
    SINGLE_PERIOD,
    TEMPO_PERIODS,
    Country,
    Plan,
    PlanRule,
    PriceSet,
    SupplyTariff,
    plan_fits,
    power_periods,
)
from .serial import (
    parse_price_book,
    parse_price_set,
    price_book_to_list,
    price_set_to_dict,
)
from .validation import (
    MAX_ENERGY_PRICE,
    MAX_POWER_PRICE,
    MAX_TAX_PERCENT,
    PriceErrorKey,
    PriceSetError,
    check_price_set,
    check_price_sets,
    energy_field,
    power_field,
)

__all__ = [
    "MAX_ENERGY_PRICE",
    "MAX_POWER_PRICE",
    "MAX_TAX_PERCENT",
    "MONEY_OF",
    "PLAN_RULES",
    "POWER_PERIODS",
    "SINGLE_PERIOD",
    "TEMPO_PERIODS",
    "Country",
    "InvalidPriceBook",
    "MissingPrice",
    "MoneyRows",
    "Plan",
    "PlanRule",
    "PriceBook",
    "PriceErrorKey",
    "PriceSet",
    "PriceSetError",
    "SupplyTariff",
    "check_price_set",
    "check_price_sets",
    "current_price",
    "energy_field",
    "first_change",
    "money_rows",
    "money_series",
    "parse_price_book",
    "parse_price_set",
    "plan_fits",
    "power_field",
    "power_periods",
    "power_saving",
    "price_book_to_list",
    "price_set_to_dict",
    "tempo_colour_at",
    "tempo_period",
]
