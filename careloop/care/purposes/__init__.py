"""The registry of care purposes (关怀目的): one module each, ordered by precedence.

`@register` adds a `Purpose` subclass; `all_purposes()` lists them highest precedence first;
`purpose_choices()` feeds the model fields' choices, so a new purpose needs no migration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from careloop.care.purposes.base import Purpose

_REGISTRY: dict[str, Purpose] = {}

# Modules imported on first use (one line per purpose; order does not matter, precedence does).
MODULES = (
    "complaint_followup",
    "resolution_check",
    "churn_rescue",
    "emotion_care",
    "detractor_followup",
    "activation",
    "wakeup",
    "retention",
    "birthday",
    "holiday",
    "announcement",
)
_loaded = False


def register(cls: type[Purpose]) -> type[Purpose]:
    """Class decorator: one instance per key."""
    _REGISTRY[cls.key] = cls()
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    import importlib

    for name in MODULES:
        importlib.import_module(f"careloop.care.purposes.{name}")
    _loaded = True


def get(key: str) -> Purpose:
    _load()
    return _REGISTRY[key]


def all_purposes() -> list[Purpose]:
    """Highest precedence (lowest number) first."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda p: p.precedence)


def purpose_choices() -> list[tuple[str, str]]:
    return [(p.key, p.label) for p in all_purposes()]


def precedence_of(key: str) -> int:
    return get(key).precedence
