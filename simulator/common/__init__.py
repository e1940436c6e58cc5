"""Reusable pieces for every provider simulator.

* :class:`Clock` — the simulated "now" (system clock by default, freezegun
  friendly, can be frozen or advanced);
* :class:`RequestRecorder` / :class:`RequestLog` — what clients really sent;
* :class:`FaultRegistry` — per-endpoint failures, hangs, malformed bodies and
  latency;
* :mod:`simulator.common.noise` — deterministic hash-based noise;
* :func:`start` — serve an app on a host/port (port 0 allowed) and get its
  base URL; :class:`Harness` — the log and fault middlewares.
"""

from . import noise
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
    "corrupt",
    "is_control",
    "json_bytes",
    "noise",
    "start",
    "system_now",
]
