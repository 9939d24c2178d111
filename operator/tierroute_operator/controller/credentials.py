"""Which provider keys a catalog needs, read from the Secrets it references (pure).

Values stay base64 strings copied from the source Secret's `data`: the operator never decodes,
prints or hashes a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tierroute_operator.api import ModelCatalog
from tierroute_operator.controller import reasons
from tierroute_operator.controller.entries import SecretSnapshot, SecretState, secret_references


@dataclass(frozen=True)
class ReferenceProblem:
    """A reference that cannot be followed: why (a condition reason) and where."""

    reason: str
    message: str


@dataclass(frozen=True)
class Credentials:
    """Provider name → base64 key, plus the references that could not be followed."""

    data: Mapping[str, str] = field(default_factory=dict, repr=False)
    problems: tuple[ReferenceProblem, ...] = ()


def resolve_credentials(
    catalog: ModelCatalog, secrets: Mapping[str, SecretSnapshot], namespace: str
) -> Credentials:
    """The keys of every provider of `catalog` that declares credentials."""
    data: dict[str, str] = {}
    problems: list[ReferenceProblem] = []
    where = f"ModelCatalog {catalog.metadata.name}"
    for reference in secret_references(catalog):
        snapshot = secrets.get(reference.secret, SecretSnapshot(SecretState.UNKNOWN))
        secret = f"Secret {reference.secret!r}"
        name_path = f"{where}: {reference.field_path}.name"
        if snapshot.state is SecretState.ABSENT:
            problems.append(
                ReferenceProblem(
                    reasons.REFERENCE_NOT_FOUND,
                    f"{name_path}: {secret} not found in namespace {namespace}",
                )
            )
        elif snapshot.state is SecretState.FORBIDDEN:
            problems.append(
                ReferenceProblem(
                    reasons.REFERENCE_FORBIDDEN,
                    f"{name_path}: the operator may not read {secret} in namespace {namespace}: "
                    "add it to the resourceNames of its Role (docs/operations.md, RBAC)",
                )
            )
        elif snapshot.state is SecretState.UNKNOWN:
            problems.append(
                ReferenceProblem(reasons.REFERENCE_PENDING, f"{name_path}: {secret} not read yet")
            )
        elif reference.key not in snapshot.data:
            problems.append(
                ReferenceProblem(
                    reasons.REFERENCE_NOT_FOUND,
                    f"{where}: {reference.field_path}.key: {secret} has no key {reference.key!r}",
                )
            )
        else:
            data[reference.provider] = snapshot.data[reference.key]
    return Credentials(data=data, problems=tuple(problems))
