"""The default rules of DESIGN.md §3, one per purpose, from the purposes' class attributes.

Used by the data migration (with the historical models) and by `care_rules_ensure_defaults`."""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Any


def holdout_salt(purpose: str) -> int:
    """A fixed salt per purpose, so hold-out groups differ between purposes."""
    return zlib.crc32(purpose.encode()) % 10000


def default_rule_fields(purpose) -> dict[str, Any]:
    return {
        "purpose": purpose.key,
        "name": str(purpose.default_name),
        "enabled": purpose.default_enabled,
        "priority": purpose.default_priority,
        "due_days": purpose.default_due_days,
        "due_hours": purpose.default_due_hours,
        "methods": dict(purpose.default_methods),
        "params": dict(purpose.default_params),
        "script_template": purpose.default_script,
        "assignment": "owner_first",
        "holdout_share": Decimal(purpose.default_holdout_share if purpose.holdout else "0"),
        "holdout_salt": holdout_salt(purpose.key),
        "version": 1,
    }


def rule_snapshot(rule) -> dict[str, Any]:
    """What a CareRuleVersion keeps of a rule (JSON-ready)."""
    return {
        "purpose": rule.purpose,
        "name": rule.name,
        "enabled": rule.enabled,
        "priority": rule.priority,
        "due_days": rule.due_days,
        "due_hours": rule.due_hours,
        "methods": rule.methods,
        "params": rule.params,
        "audience_id": getattr(rule, "audience_id", None),
        "script_template": rule.script_template,
        "assignment": rule.assignment,
        "holdout_share": str(rule.holdout_share),
    }


def ensure_default_rules(rule_model, version_model, *, user=None) -> list:
    """Create the default rule of every purpose that has no rule; returns the created rules."""
    from careloop.care.purposes import all_purposes

    have = set(rule_model.objects.values_list("purpose", flat=True))
    created = []
    for purpose in all_purposes():
        if purpose.key in have:
            continue
        rule = rule_model.objects.create(**default_rule_fields(purpose), updated_by=user)
        version_model.objects.create(
            rule=rule, version=1, snapshot=rule_snapshot(rule), changed_by=user
        )
        created.append(rule)
    return created
