"""Run a provider simulator from the command line.

    python -m simulator datadis [--host 127.0.0.1] [--port 8971] [--latency S]
    python -m simulator switchgrid [--host 127.0.0.1] [--port 8972] [--latency S]
    python -m simulator digiwatt [--host 127.0.0.1] [--port 8973] [--latency S]
    python -m simulator esios [--host 127.0.0.1] [--port 8974] [--latency S]
    python -m simulator ree_demanda [--host 127.0.0.1] [--port 8975] [--latency S]
    python -m simulator tempo [--host 127.0.0.1] [--port 8976] [--latency S]
    python -m simulator odre [--host 127.0.0.1] [--port 8977] [--latency S]
    python -m simulator rte [--host 127.0.0.1] [--port 8978] [--latency S]

Each provider is a subcommand registered in :data:`PROVIDERS`; adding one
(``switchgrid``, ``digiwatt``) means adding an entry whose factory builds the
simulator object (anything with ``app``, ``set_latency`` and ``describe``).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import sys
from typing import Protocol

from aiohttp import web

from simulator.common import serving


class Simulated(Protocol):
    """What the runner needs from a provider simulator."""

    @property
    def app(self) -> web.Application:
        """The aiohttp application to serve."""
        ...

    def set_latency(self, seconds: float, endpoint: str = "*") -> None:
        """Delay every answer by ``seconds``."""
        ...

    def describe(self, base_url: str) -> str:
        """Banner printed once the server listens (accounts, URLs)."""
        ...


@dataclass(frozen=True, slots=True)
class Provider:
    """A subcommand: how to build one provider's simulator."""

    help: str
    default_port: int
    factory: Callable[[argparse.Namespace], Simulated]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None


def _datadis(_args: argparse.Namespace) -> Simulated:
    from simulator.datadis import DatadisSimulator

    return DatadisSimulator()


def _switchgrid(_args: argparse.Namespace) -> Simulated:
    from simulator.switchgrid import SwitchgridSimulator

    return SwitchgridSimulator()


def _digiwatt(_args: argparse.Namespace) -> Simulated:
    from simulator.digiwatt import DigiwattSimulator

    return DigiwattSimulator()


def _esios(_args: argparse.Namespace) -> Simulated:
    from simulator.esios import EsiosSimulator

    return EsiosSimulator()


def _ree_demanda(_args: argparse.Namespace) -> Simulated:
    from simulator.ree_demanda import ReeDemandaSimulator

    return ReeDemandaSimulator()


def _tempo(_args: argparse.Namespace) -> Simulated:
    from simulator.tempo import TempoSimulator

    return TempoSimulator()


def _odre(_args: argparse.Namespace) -> Simulated:
    from simulator.odre import OdreSimulator

    return OdreSimulator()


def _rte(_args: argparse.Namespace) -> Simulated:
    from simulator.rte import RteSimulator

    return RteSimulator()


PROVIDERS: dict[str, Provider] = {
    "datadis": Provider(
        help="Datadis (Spain): private API, public search, 24 h rule",
        default_port=8971,
        factory=_datadis,
    ),
    "switchgrid": Provider(
        help="Switchgrid (France, Enedis v2): consent, orders, load curves",
        default_port=8972,
        factory=_switchgrid,
    ),
    "digiwatt": Provider(
        help="Digiwatt (Italy): OAuth2, users, onboarding, appliances, greenness",
        default_port=8973,
        factory=_digiwatt,
    ),
    "esios": Provider(
        help="ESIOS (Spain): PVPC day files, token indicators and forecasts",
        default_port=8974,
        factory=_esios,
    ),
    "ree_demanda": Provider(
        help="REE real-time demand (Spain): generation mix of the five systems",
        default_port=8975,
        factory=_ree_demanda,
    ),
    "tempo": Provider(
        help="RTE Tempo calendar (France, services-rte.com open data)",
        default_port=8976,
        factory=_tempo,
    ),
    "odre": Provider(
        help="ODRÉ éCO2mix (France): 15-minute generation mix and CO2",
        default_port=8977,
        factory=_odre,
    ),
    "rte": Provider(
        help="RTE data portal (France): OAuth2, wind/solar/consumption forecasts, EcoWatt",
        default_port=8978,
        factory=_rte,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """Argument parser with one subcommand per provider."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Run a GridMeter provider simulator (development only).",
    )
    sub = parser.add_subparsers(dest="provider", required=True, metavar="PROVIDER")
    for name, provider in PROVIDERS.items():
        command = sub.add_parser(name, help=provider.help)
        command.add_argument("--host", default="127.0.0.1", help="interface to bind")
        command.add_argument(
            "--port",
            type=int,
            default=provider.default_port,
            help=f"port (default {provider.default_port}; 0 picks a free one)",
        )
        command.add_argument(
            "--latency",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="delay added to every answer",
        )
        if provider.add_arguments is not None:
            provider.add_arguments(command)
    return parser


async def serve(simulator: Simulated, host: str, port: int) -> None:
    """Serve until cancelled (Ctrl-C)."""
    async with serving(simulator.app, host, port) as base_url:
        print(simulator.describe(base_url), flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m simulator``."""
    args = build_parser().parse_args(argv)
    provider = PROVIDERS[args.provider]
    simulator = provider.factory(args)
    if args.latency:
        simulator.set_latency(args.latency)
    try:
        asyncio.run(serve(simulator, args.host, args.port))
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
