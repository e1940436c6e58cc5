"""Development-only simulators of the metering data hubs GridMeter talks to.

Each provider gets an aiohttp application that speaks the provider's real API
(paths, parameters, formats, status codes and quirks) over a deterministic,
fictional set of households, and that can be told to misbehave. Tests drive
the integration's real HTTP clients against them; a person can run one with
``python -m simulator <provider>``. Nothing here is shipped with the
integration.
"""
