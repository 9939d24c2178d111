"""Custom resources as the operator holds them in memory: parsed, or why they cannot be.

kopf's indexes store these values (see `handlers.py`), so a RoutingPolicy's reconcile finds
its ModelCatalog and BudgetAllocation without a request. Only what is needed is parsed:
apiVersion, kind, metadata and spec (plus status for budgets, whose ledger the compiler reads).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.api.validation_errors import describe_validation_error

HEADER_FIELDS = ("apiVersion", "kind", "metadata", "spec")


@dataclass(frozen=True)
class InvalidObject:
    """An object the API server accepted but the operator's models refuse."""

    kind: str
    name: str
    problems: tuple[str, ...]

    def describe(self) -> str:
        """`Kind name: path: message; path: message`."""
        return f"{self.kind} {self.name}: " + "; ".join(self.problems)


@dataclass(frozen=True)
class SecretReference:
    """Where a provider's key is read from, and the field that says so."""

    provider: str
    secret: str
    key: str
    field_path: str


CatalogEntry = ModelCatalog | InvalidObject
BudgetEntry = BudgetAllocation | InvalidObject
PolicyEntry = RoutingPolicy | InvalidObject


def _header(body: Mapping[str, Any], *extra: str) -> dict[str, Any]:
    return {field: body[field] for field in (*HEADER_FIELDS, *extra) if field in body}


def _invalid(kind: str, body: Mapping[str, Any], error: ValidationError) -> InvalidObject:
    name = str((body.get("metadata") or {}).get("name", "<unnamed>"))
    problems = tuple(f"{path or '(object)'}: {message}" for path, message in
                     describe_validation_error(error))  # fmt: skip
    return InvalidObject(kind=kind, name=name, problems=problems)


def parse_catalog(body: Mapping[str, Any]) -> CatalogEntry:
    """A ModelCatalog with its status (measured quality); without it when it does not parse."""
    try:
        return ModelCatalog.model_validate(_header(body, "status"))
    except ValidationError:
        pass
    try:
        return ModelCatalog.model_validate(_header(body))
    except ValidationError as error:
        return _invalid("ModelCatalog", body, error)


def parse_policy(body: Mapping[str, Any]) -> PolicyEntry:
    """A RoutingPolicy from an API object (status ignored)."""
    try:
        return RoutingPolicy.model_validate(_header(body))
    except ValidationError as error:
        return _invalid("RoutingPolicy", body, error)


def parse_budget(body: Mapping[str, Any]) -> BudgetEntry:
    """A BudgetAllocation with its status ledger; without it when the status does not parse."""
    try:
        return BudgetAllocation.model_validate(_header(body, "status"))
    except ValidationError:
        pass
    try:
        return BudgetAllocation.model_validate(_header(body))
    except ValidationError as error:
        return _invalid("BudgetAllocation", body, error)


def secret_references(catalog: ModelCatalog) -> tuple[SecretReference, ...]:
    """Every provider credential of the catalog, with the field path that declares it."""
    return tuple(
        SecretReference(
            provider=provider.name,
            secret=provider.credentials.secret_ref.name,
            key=provider.credentials.secret_ref.key,
            field_path=f"spec.providers[{index}].credentials.secretRef",
        )
        for index, provider in enumerate(catalog.spec.providers)
        if provider.credentials is not None
    )


def referenced_secret_names(entry: CatalogEntry | None) -> frozenset[str]:
    """Names of the Secrets a catalog reads keys from (none when it is invalid or absent)."""
    if not isinstance(entry, ModelCatalog):
        return frozenset()
    return frozenset(reference.secret for reference in secret_references(entry))


class SecretState(StrEnum):
    """What the operator knows about a referenced Secret."""

    PRESENT = "present"
    ABSENT = "absent"
    FORBIDDEN = "forbidden"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SecretSnapshot:
    """A referenced Secret as last seen; `data` holds base64 values and is never printed."""

    state: SecretState
    data: Mapping[str, str] = field(default_factory=dict, repr=False)
    resource_version: str | None = None
