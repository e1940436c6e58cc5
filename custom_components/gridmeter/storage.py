"""What GridMeter remembers between restarts: one typed, versioned store per account.

Each hub describes its stored state as a dataclass (`hubs/<hub>/state.py`)
with an explicit schema version and the migrations from every earlier
version. Documents are keyed by a hash of the account's unique id (never the
NIF itself), so the config flow can hand its login and its answers over to
the entry it creates.

A renamed or retyped field must come with a new version and a migration: a
test compares each schema's fingerprint (its fields, recursively) with the
one recorded for its version, so a silent rename that would drop ledger or
contract state fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
import hashlib
import logging
import types
from typing import Any, Final, Union, get_args, get_origin, get_type_hints, override

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

SAVE_DELAY: Final = 5.0

type Migration = Callable[[dict[str, Any]], dict[str, Any]]

RAW_JSON: Final = "raw_json"
RAW: Final = {RAW_JSON: True}
"""Field metadata of a state field that is already a JSON document."""


def account_key(provider: str, unique_id: str) -> str:
    """Return the store key of an account (a hash: no identifier in file names)."""
    digest = hashlib.sha256(f"{provider}:{unique_id}".encode()).hexdigest()[:20]
    return f"{DOMAIN}.{provider}_{digest}"


@dataclass(frozen=True, slots=True)
class StateSchema[S]:
    """A hub's stored state: its model, its version and how to migrate to it."""

    model: type[S]
    version: int
    migrations: Mapping[int, Migration] = field(default_factory=dict)
    """Version `n` → the function turning a version-`n` document into `n + 1`."""

    def migrate(self, version: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """Bring a document written by `version` up to this schema's version."""
        document = dict(data)
        for step in range(version, self.version):
            document = self.migrations[step](document)
        return document

    def load(self, data: Mapping[str, Any] | None) -> S:
        """Rebuild the state; a field that cannot be read keeps its default."""
        return from_json(self.model, data or {})

    def dump(self, state: S) -> dict[str, Any]:
        """Return the state as a fresh JSON document (safe to serialise later).

        A field marked `RAW` is already a JSON document (the query ledger,
        which may hold many answers): it is copied, not walked.
        """
        return {
            item.name: (
                dict(value)
                if item.metadata.get(RAW_JSON) and isinstance(value, Mapping)
                else to_json(value)
            )
            for item in dataclasses.fields(state)  # type: ignore[arg-type]
            for value in (getattr(state, item.name),)
        }


class TypedStore[S](Store[dict[str, Any]]):
    """A store whose document is a typed, versioned state (`StateSchema`).

    The document may be large (remembered answers, price history), so it is
    serialised in a worker thread; `async_delay_save_state` hands the store a
    snapshot that nothing mutates afterwards.
    """

    def __init__(self, hass: HomeAssistant, key: str, schema: StateSchema[S]) -> None:
        """Open the store at its schema's version."""
        super().__init__(
            hass,
            schema.version,
            key,
            private=True,
            atomic_writes=True,
            serialize_in_event_loop=False,
        )
        self.schema = schema

    @override
    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """Migrate a document written by an earlier version of GridMeter."""
        _LOGGER.debug(
            "Migrating a stored account from version %s to %s",
            old_major_version,
            self.schema.version,
        )
        return self.schema.migrate(old_major_version, old_data)

    async def async_load_state(self) -> S:
        """Return the stored state (a fresh one when nothing is stored)."""
        return self.schema.load(await self.async_load())

    def async_delay_save_state(self, state: S) -> None:
        """Save a snapshot of the state a few seconds from now."""
        snapshot = self.schema.dump(state)
        self.async_delay_save(lambda: snapshot, SAVE_DELAY)

    async def async_save_state(self, state: S) -> None:
        """Save the state now."""
        await self.async_save(self.schema.dump(state))


class AccountStore[S](TypedStore[S]):
    """The store of one provider account, typed by its hub's schema."""

    def __init__(
        self,
        hass: HomeAssistant,
        provider: str,
        unique_id: str,
        schema: StateSchema[S],
    ) -> None:
        """Open the account's store (its key hashes the account's unique id)."""
        super().__init__(hass, account_key(provider, unique_id), schema)


async def async_remove_account(
    hass: HomeAssistant, provider: str, unique_id: str
) -> None:
    """Forget an account's stored state, whatever its version."""
    await Store[Any](hass, 1, account_key(provider, unique_id)).async_remove()


def to_json(value: Any) -> Any:
    """Encode models (dataclasses, dates, enums, tuples, sets) as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_json(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, set | frozenset):
        return sorted(to_json(item) for item in value)
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    return value


_COLLECTIONS: Final = (tuple, frozenset, list, set)


def _decode(hint: Any, value: Any) -> Any:
    """Decode one JSON value into the type `hint` describes (ValueError if not)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
        origin = get_origin(hint)
    if value is None:
        return None
    if origin in _COLLECTIONS:
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        item_hint = get_args(hint)[0]
        return origin(_decode(item_hint, item) for item in value)
    if origin in (dict, Mapping) or hint is dict:
        if not isinstance(value, dict):
            raise ValueError(f"expected an object, got {type(value).__name__}")
        args = get_args(hint)
        key_hint, value_hint = args if len(args) == 2 else (str, Any)
        return {
            _decode_key(key_hint, key): _decode(value_hint, item)
            for key, item in value.items()
        }
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, Mapping):
                raise ValueError(f"expected an object, got {type(value).__name__}")
            return from_json(hint, value)
        if issubclass(hint, Enum):
            return hint(value)
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
        if hint is time:
            return time.fromisoformat(value)
        if hint is timedelta:
            return timedelta(seconds=float(value))
        if hint is bool:
            if not isinstance(value, bool):
                raise ValueError("expected a boolean")
            return value
        if hint is float:
            return float(value)
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("expected an integer")
            return value
        if hint is str:
            if not isinstance(value, str):
                raise ValueError("expected a string")
            return value
    return value


def _decode_key(hint: Any, key: Any) -> Any:
    """Decode an object key: JSON keys are strings, whatever `to_json` was given.

    A `dict[date, …]` comes back with dates, a `dict[int, …]` with integers.
    """
    if hint is int:
        if isinstance(key, int) and not isinstance(key, bool):
            return key
        if not isinstance(key, str) or not key.lstrip("-").isdecimal():
            raise ValueError("expected an integer key")
        return int(key)
    if hint is Any or hint is str:
        return str(key)
    return _decode(hint, key)


def from_json[T](cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a model dataclass from `to_json` output.

    Unknown keys are ignored; a field that is missing or cannot be read keeps
    its default (a field without default makes the whole model unreadable:
    ValueError). A damaged store then loses one field, not the account.
    """
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for model_field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = model_field.name
        if name not in data:
            continue
        try:
            kwargs[name] = _decode(hints[name], data[name])
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as err:
            if (
                model_field.default is dataclasses.MISSING
                and model_field.default_factory is dataclasses.MISSING
            ):
                raise ValueError(f"{cls.__name__}.{name} is unreadable") from err
            _LOGGER.warning(
                "Stored %s.%s is unreadable and was reset: %s",
                cls.__name__,
                name,
                type(err).__name__,
            )
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ValueError(f"{cls.__name__} is unreadable") from err


def schema_fingerprint(model: type[Any]) -> str:
    """Describe a model's fields recursively (names and types), as one string."""
    seen: set[type[Any]] = set()

    def describe(hint: Any) -> str:
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            if hint in seen:
                return hint.__name__
            seen.add(hint)
            hints = get_type_hints(hint)
            fields = ", ".join(
                f"{f.name}: {describe(hints[f.name])}" for f in dataclasses.fields(hint)
            )
            return f"{hint.__name__}({fields})"
        if isinstance(hint, type) and issubclass(hint, Enum):
            return f"{hint.__name__}[{'|'.join(str(m.value) for m in hint)}]"
        args = get_args(hint)
        if args:
            origin = get_origin(hint)
            name = getattr(origin, "__name__", str(origin))
            return f"{name}[{', '.join(describe(arg) for arg in args)}]"
        return getattr(hint, "__name__", str(hint))

    return describe(model)
