"""Partial updates of free-form maps (the `metadata` of tickets, contacts, companies)."""

from __future__ import annotations

from typing import Any


def merge_map(current: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    """Keys in the patch are set; a null value removes the key; others are kept. A null
    patch clears the map."""
    if patch is None:
        return {}
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
