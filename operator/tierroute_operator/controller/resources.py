"""Names the operator reads and writes: API paths, generated object names, labels."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tierroute_operator.api.meta import GROUP, VERSION

FIELD_MANAGER = "tierroute-operator"
HASH_ANNOTATION = "tierroute.io/hash"
POLICY_LABEL = "tierroute.io/policy"
NAME_LABEL = "app.kubernetes.io/name"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "tierroute-operator"
ROUTING_KEY = "routing.json"
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"


class Kind(StrEnum):
    """The custom resources the operator reconciles."""

    ROUTING_POLICY = "RoutingPolicy"
    MODEL_CATALOG = "ModelCatalog"
    BUDGET_ALLOCATION = "BudgetAllocation"


PLURALS: dict[Kind, str] = {
    Kind.ROUTING_POLICY: "routingpolicies",
    Kind.MODEL_CATALOG: "modelcatalogs",
    Kind.BUDGET_ALLOCATION: "budgetallocations",
}


@dataclass(frozen=True, order=True)
class ObjectKey:
    """Which object a piece of work is about."""

    kind: Kind
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


def custom_object_path(kind: Kind, namespace: str, name: str) -> str:
    """API path of one custom resource."""
    return f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURALS[kind]}/{name}"


def core_object_path(plural: str, namespace: str, name: str | None = None) -> str:
    """API path of a core/v1 object (or collection when `name` is None)."""
    collection = f"/api/v1/namespaces/{namespace}/{plural}"
    return collection if name is None else f"{collection}/{name}"


def config_map_name(policy: str) -> str:
    """The ConfigMap holding a policy's routing table."""
    return f"{policy}-routing"


def credentials_secret_name(policy: str) -> str:
    """The Secret holding the provider keys a policy's gateways mount."""
    return f"{policy}-credentials"


def policy_of_generated(name: str) -> str | None:
    """The policy a generated ConfigMap name belongs to (`x-routing` → `x`)."""
    suffix = "-routing"
    return name[: -len(suffix)] if name.endswith(suffix) and len(name) > len(suffix) else None


def standard_labels(policy: str) -> dict[str, str]:
    """Labels every generated object carries."""
    return {NAME_LABEL: "tierroute", MANAGED_BY_LABEL: MANAGED_BY, POLICY_LABEL: policy}
