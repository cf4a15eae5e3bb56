"""Typed reads of a platform's JSON: a field is used only when it has the expected shape (an
API that sends ``null``, a number or a list where an object belongs loses that field, not the
item)."""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def dict_or_none(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
