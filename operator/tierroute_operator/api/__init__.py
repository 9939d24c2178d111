"""The tierroute.io/v1alpha1 API: pydantic models of the three custom resources.

The CRDs (`tierroute crds`), `kubectl explain` text and docs/crd-reference.md are generated
from these models; `tierroute validate` and the compiler read manifests into them.
"""

from __future__ import annotations

from tierroute_operator.api.budget_allocation import BudgetAllocation
from tierroute_operator.api.meta import API_VERSION, GROUP, VERSION
from tierroute_operator.api.model_catalog import ModelCatalog
from tierroute_operator.api.routing_policy import RoutingPolicy

Resource = ModelCatalog | RoutingPolicy | BudgetAllocation
"""Any of the three custom resources."""

KINDS: dict[str, type[ModelCatalog] | type[RoutingPolicy] | type[BudgetAllocation]] = {
    "ModelCatalog": ModelCatalog,
    "RoutingPolicy": RoutingPolicy,
    "BudgetAllocation": BudgetAllocation,
}
"""The model class of each kind."""

__all__ = [
    "API_VERSION",
    "GROUP",
    "KINDS",
    "VERSION",
    "BudgetAllocation",
    "ModelCatalog",
    "Resource",
    "RoutingPolicy",
]
