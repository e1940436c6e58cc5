"""Deterministic, hash-based noise: no global random state anywhere.

Every value is a pure function of its keys, so a simulator produces the same
household on every run, in every process, whatever order things are asked in.
Keys are ints or strings; strings are hashed once (cached) with BLAKE2b.
"""

from __future__ import annotations

from functools import lru_cache
import hashlib
import math

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_TWO_POW_53 = float(1 << 53)

type Key = int | str


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread 64-bit integer hash."""
    z = (value + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


@lru_cache(maxsize=4096)
def _text_key(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def hash64(*keys: Key) -> int:
    """Combine keys into one 64-bit hash (order matters)."""
    acc = 0x243F6A8885A308D3
    for key in keys:
        part = _text_key(key) if isinstance(key, str) else key & _MASK
        acc = mix64(acc ^ part)
    return acc


def unit(*keys: Key) -> float:
    """Uniform value in ``[0, 1)`` determined by ``keys``."""
    return (hash64(*keys) >> 11) / _TWO_POW_53


def signed(*keys: Key) -> float:
    """Uniform value in ``[-1, 1)`` determined by ``keys``."""
    return 2.0 * unit(*keys) - 1.0


def triangular(*keys: Key) -> float:
    """Value in ``(-1, 1)`` peaked at 0 (sum of two uniforms), cheap and bounded."""
    h = hash64(*keys)
    a = (h >> 32) / 4294967296.0
    b = (h & 0xFFFFFFFF) / 4294967296.0
    return a + b - 1.0


def normal(*keys: Key) -> float:
    """Return a standard normal value (Box-Muller) determined by ``keys``."""
    h = hash64(*keys)
    u1 = ((h >> 32) + 0.5) / 4294967296.0
    u2 = (h & 0xFFFFFFFF) / 4294967296.0
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def chance(probability: float, *keys: Key) -> bool:
    """Return True with the given probability, deterministically."""
    return unit(*keys) < probability


def garbage_bytes(length: int, *keys: Key) -> bytes:
    """Deterministic bytes that are not valid UTF-8 JSON (for malformed answers)."""
    out = bytearray(b"\x1f\x8b\x08\x00")  # looks like the start of a gzip stream
    counter = 0
    while len(out) < length:
        out.extend(hash64(*keys, counter).to_bytes(8, "big"))
        counter += 1
    return bytes(out[:length])


def quads(*keys: Key) -> tuple[float, float, float, float]:
    """Four uniforms in ``[0, 1)`` (16-bit resolution) from one hash: fast noise."""
    h = hash64(*keys)
    scale = 1.0 / 65536.0
    return (
        (h >> 48) * scale,
        ((h >> 32) & 0xFFFF) * scale,
        ((h >> 16) & 0xFFFF) * scale,
        (h & 0xFFFF) * scale,
    )
