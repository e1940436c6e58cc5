"""What GridMeter remembers between restarts, one store per provider account.

The store holds the query ledger (every rate-ruled query and its answer for
24 h), the login token, the last known supply points, contracts and peaks,
and which months have been imported. It is keyed by a hash of the account's
unique id (never the NIF itself), so the config flow can hand its login and
its answers over to the entry it creates.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from datetime import date, datetime, time
from enum import Enum
import hashlib
import types
from typing import Any, Final, Union, get_args, get_origin, get_type_hints

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 5.0


def account_key(provider: str, unique_id: str) -> str:
    """Return the store key of an account (a hash: no identifier in file names)."""
    digest = hashlib.sha256(f"{provider}:{unique_id}".encode()).hexdigest()[:20]
    return f"{DOMAIN}.{provider}_{digest}"


def account_store(
    hass: HomeAssistant, provider: str, unique_id: str
) -> Store[dict[str, Any]]:
    """Return the store of a provider account.

    The document holds up to a megabyte of remembered answers, so it is
    serialised in a worker thread; callers hand `async_delay_save` a snapshot
    that nothing mutates afterwards.
    """
    return Store(
        hass,
        STORAGE_VERSION,
        account_key(provider, unique_id),
        private=True,
        atomic_writes=True,
        serialize_in_event_loop=False,
    )


def to_json(value: Any) -> Any:
    """Encode models (dataclasses, dates, enums, tuples) as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_json(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    return value


def _decode(hint: Any, value: Any) -> Any:
    """Decode one JSON value into the type `hint` describes."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
        origin = get_origin(hint)
    if value is None:
        return None
    if origin in (tuple, frozenset, list):
        item_hint = get_args(hint)[0]
        items = [_decode(item_hint, item) for item in value]
        return origin(items)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return from_json(hint, value)
        if issubclass(hint, Enum):
            return hint(value)
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
        if hint is time:
            return time.fromisoformat(value)
        if hint is float:
            return float(value)
    return value


def from_json[T](cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a model dataclass from `to_json` output (unknown keys ignored)."""
    hints = get_type_hints(cls)
    kwargs = {
        field.name: _decode(hints[field.name], data[field.name])
        for field in dataclasses.fields(cls)  # type: ignore[arg-type]
        if field.name in data
    }
    return cls(**kwargs)
