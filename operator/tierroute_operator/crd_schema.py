"""Structural OpenAPI v3 schemas for CRDs, derived from the pydantic API models.

Pydantic emits JSON Schema 2020-12 with `$defs`/`$ref` and `anyOf` for optional fields; the
API server wants a structural schema: every node typed, no references, no `anyOf`. This module
inlines references, keeps the non-null branch of optionals, turns `const` into a one-value
enum and drops what Kubernetes does not accept (`title`, `propertyNames`, `default: null`).
Defaults the API server should apply are kept; empty-list defaults are dropped as noise, and an
object-typed default becomes `{}` so that the server fills in the nested defaults itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tierroute_operator.api.cel import VALIDATIONS

JsonDict = dict[str, Any]

_DROPPED_KEYS = frozenset({"title", "propertyNames", "examples", "$defs"})
_KEPT_KEYS = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "items",
        "additionalProperties",
        "enum",
        "default",
        "format",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "nullable",
    }
)


class CrdSchemaError(ValueError):
    """A pydantic schema construct with no structural equivalent."""


def structural_schema(model: type[BaseModel], *, keep_defaults: bool = True) -> JsonDict:
    """The structural schema of `model` (camelCase names, everything inlined)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    definitions: dict[str, JsonDict] = raw.get("$defs", {})
    return _convert(raw, definitions, keep_defaults, path=model.__name__)


def _convert(node: JsonDict, definitions: dict[str, JsonDict], keep: bool, path: str) -> JsonDict:
    node = _resolve(node, definitions, path)
    result: JsonDict = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS or (key == "additionalProperties" and value is False):
            continue
        if key == "const":
            result["enum"] = [value]
        elif key == "properties":
            result[key] = {
                name: _convert(child, definitions, keep, f"{path}.{name}")
                for name, child in value.items()
            }
        elif key in ("items", "additionalProperties"):
            result[key] = _convert(value, definitions, keep, f"{path}[]")
        elif key == "default":
            _set_default(result, value, node, keep)
        elif key in _KEPT_KEYS or key.startswith("x-kubernetes-"):
            result[key] = value
        else:
            raise CrdSchemaError(f"{path}: schema keyword {key!r} has no structural equivalent")
    if "type" not in result:
        result["type"] = _infer_type(result, path)
    return _ordered(result)


def _ordered(node: JsonDict) -> JsonDict:
    """Keys in reading order: description, type, constraints, then nested schemas."""
    nested = ("properties", "additionalProperties", "items", "required")
    head = [key for key in ("description", "type") if key in node]
    middle = sorted(key for key in node if key not in head and key not in nested)
    tail = [key for key in nested if key in node]
    return {key: node[key] for key in [*head, *middle, *tail]}


def _resolve(node: JsonDict, definitions: dict[str, JsonDict], path: str) -> JsonDict:
    """Inline `$ref` and collapse `anyOf: [X, null]` into X, merging sibling keywords."""
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return _resolve(_merge(target, siblings), definitions, path)
    if "anyOf" in node:
        branches = [branch for branch in node["anyOf"] if branch != {"type": "null"}]
        if len(branches) != 1:
            raise CrdSchemaError(f"{path}: a union of several types is not structural")
        siblings = {key: value for key, value in node.items() if key != "anyOf"}
        if siblings.get("default", ...) is None:
            del siblings["default"]
        return _resolve(_merge(branches[0], siblings), definitions, path)
    for forbidden in ("oneOf", "allOf", "not"):
        if forbidden in node:
            raise CrdSchemaError(f"{path}: {forbidden!r} is not structural")
    return node


def _merge(base: JsonDict, overrides: JsonDict) -> JsonDict:
    """`base` with `overrides` applied; CEL rules of both are kept."""
    merged = {**base, **overrides}
    if VALIDATIONS in base and VALIDATIONS in overrides:
        merged[VALIDATIONS] = [*base[VALIDATIONS], *overrides[VALIDATIONS]]
    return merged


def _set_default(result: JsonDict, value: Any, node: JsonDict, keep: bool) -> None:
    if not keep or value is None or value in ([], {}):
        return
    if isinstance(value, dict) and "properties" in node:
        result["default"] = {}
        return
    result["default"] = value


def _infer_type(node: JsonDict, path: str) -> str:
    if "properties" in node or "additionalProperties" in node:
        return "object"
    if "items" in node:
        return "array"
    enum = node.get("enum")
    if enum and all(isinstance(value, str) for value in enum):
        return "string"
    raise CrdSchemaError(f"{path}: cannot tell the type of this schema node")
