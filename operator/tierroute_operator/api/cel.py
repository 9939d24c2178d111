"""Kubernetes schema extensions attached to pydantic fields and models.

The CRD generator copies these `x-kubernetes-*` keys into the structural schema unchanged:
CEL rules (`x-kubernetes-validations`) for cross-field checks the API server runs at apply
time, and list types that make the API server itself refuse duplicate keys. Every CEL rule
has a Python twin in the model's validators, so offline validation and the API server agree.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]

VALIDATIONS = "x-kubernetes-validations"


def rule(
    expression: str,
    message: str | None = None,
    *,
    message_expression: str | None = None,
    field_path: str | None = None,
    reason: str | None = None,
) -> JsonDict:
    """One CEL validation rule, with the message an API client sees when it fails."""
    result: JsonDict = {"rule": expression}
    if message is not None:
        result["message"] = message
    if message_expression is not None:
        result["messageExpression"] = message_expression
    if field_path is not None:
        result["fieldPath"] = field_path
    if reason is not None:
        result["reason"] = reason
    return result


def validations(*rules: JsonDict) -> JsonDict:
    """Schema extras holding CEL rules."""
    return {VALIDATIONS: list(rules)}


def list_map(*keys: str) -> JsonDict:
    """A list of objects keyed by `keys`: the API server refuses two entries with one key."""
    return {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys)}


LIST_SET: JsonDict = {"x-kubernetes-list-type": "set"}
"""A list of unique scalars: the API server refuses a repeated value."""

LIST_MAP_BY_NAME: JsonDict = list_map("name")
"""The usual list of named entries: names are unique."""


def merge_extras(*parts: JsonDict) -> JsonDict:
    """Combine schema extras, concatenating their CEL rules."""
    merged: JsonDict = {}
    for part in parts:
        for key, value in part.items():
            if key == VALIDATIONS and key in merged:
                merged[key] = [*merged[key], *value]
            else:
                merged[key] = value
    return merged
