"""Reusable pieces for every provider simulator.

* :class:`Clock` — the simulated "now" (system clock by default, freezegun
  friendly, can be frozen or advanced);
* :class:`RequestRecorder` / :class:`RequestLog` — what clients really sent;
* :class:`FaultRegistry` — per-endpoint failures, hangs, malformed bodies and
  latency;
* :mod:`simulator.common.noise` — deterministic hash-based noise;
* :func:`start` — serve an app on a host/port (port 0 allowed) and get its
  base URL (:func:`serving` — the same for an ``async with`` block); :class:`Harness` — the log and fault middlewares;
* :class:`SimulatorBase` — clock, fault knobs and the ``/_sim`` controls every
  simulator shares.
"""

from . import noise
from .base import SimulatorBase, parse_instant, require_instant
from .clock import Clock, NowSource, system_now
from .faults import ANY_ENDPOINT, Fault, FaultRegistry, MalformedMode
from .request_log import RequestLog, RequestRecorder
from .server import (
    CONTROL_PREFIX,
    HTML_ERROR_PAGE,
    IDENTITY_KEY,
    Harness,
    corrupt,
    is_control,
    json_bytes,
    serving,
    start,
)

__all__ = [
    "ANY_ENDPOINT",
    "CONTROL_PREFIX",
    "HTML_ERROR_PAGE",
    "IDENTITY_KEY",
    "Clock",
    "Fault",
    "FaultRegistry",
    "Harness",
    "MalformedMode",
    "NowSource",
    "RequestLog",
    "RequestRecorder",
    "SimulatorBase",
    "corrupt",
    "is_control",
    "json_bytes",
    "noise",
    "parse_instant",
    "require_instant",
    "serving",
    "start",
    "system_now",
]
