"""Pydantic validation errors turned into (JSON path, message) pairs a user can act on."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from tierroute_operator.api.issues import InvalidFieldsError, join_path

_MAX_SHOWN = 60


def json_path(location: tuple[int | str, ...]) -> str:
    """`("spec", "models", 3, "pricing")` → `spec.models[3].pricing`."""
    path = ""
    for part in location:
        if part == "[key]":
            continue
        path = join_path(path, f"[{part}]" if isinstance(part, int) else str(part))
    return path


def describe_validation_error(error: ValidationError) -> list[tuple[str, str]]:
    """Every problem of a pydantic error as (camelCase JSON path, message naming the value)."""
    problems: list[tuple[str, str]] = []
    details = error.errors(include_url=False)
    for detail in details:
        if _length_after_dropped_items(detail, details):
            continue
        path = json_path(detail["loc"])
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, InvalidFieldsError):
            problems += [(join_path(path, issue.path), issue.message) for issue in cause.issues]
        else:
            problems.append((path, _message(detail)))
    return problems


def _length_after_dropped_items(detail: ErrorDetails, details: list[ErrorDetails]) -> bool:
    """A list-length error caused only by invalid items being left out, which misleads.

    Pydantic checks a list's length after dropping the items that failed, so one bad model
    also reports "should have at least 1 item"; the item's own error says it all.
    """
    if detail["type"] not in ("too_short", "too_long"):
        return False
    location = detail["loc"]
    return any(
        len(other["loc"]) > len(location) and other["loc"][: len(location)] == location
        for other in details
    )


def _message(detail: ErrorDetails) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "string_type" and isinstance(detail["input"], int | float):
        return f'must be a string: quote the number in YAML ("{detail["input"]}")'
    if kind in ("value_error", "assertion_error"):
        return str(detail["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{detail['msg']} (got {_shown(detail['input'])})"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
