"""Read access to kopf's in-memory indexes of the three custom resources.

The index functions live in `handlers.py`; their ids are the names below. kopf keeps them
current from its watches and runs no handler before they are filled, so a restarted operator
never mistakes "not listed yet" for "not found".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import kopf

from tierroute_operator.controller.entries import BudgetEntry, CatalogEntry
from tierroute_operator.controller.resources import Kind, ObjectKey

CATALOGS = "catalogs"
BUDGETS = "budgets"
POLICIES = "policies"
POLICIES_BY_CATALOG = "policies_by_catalog"
POLICIES_BY_BUDGET = "policies_by_budget"
CATALOGS_BY_SECRET = "catalogs_by_secret"
POLICIES_BY_CONFIG_MAP = "policies_by_config_map"
INDEX_NAMES = (
    CATALOGS, BUDGETS, POLICIES, POLICIES_BY_CATALOG, POLICIES_BY_BUDGET, CATALOGS_BY_SECRET,
    POLICIES_BY_CONFIG_MAP,
)  # fmt: skip

NamedKey = tuple[str, str]  # (namespace, name)
V = TypeVar("V")


def _first(index: kopf.Index[NamedKey, V], key: NamedKey) -> V | None:
    store = index.get(key)
    return next(iter(store), None) if store else None


def _names(index: kopf.Index[NamedKey, str], key: NamedKey) -> list[str]:
    store = index.get(key)
    return sorted(set(store)) if store else []


class ClusterView:
    """What the indexes know: objects by name and who references whom."""

    def __init__(self, indices: Mapping[str, Any]) -> None:
        missing = [name for name in INDEX_NAMES if name not in indices]
        if missing:
            raise RuntimeError(f"kopf indexes missing: {', '.join(missing)}")
        self._catalogs: kopf.Index[NamedKey, CatalogEntry] = indices[CATALOGS]
        self._budgets: kopf.Index[NamedKey, BudgetEntry] = indices[BUDGETS]
        self._policies: kopf.Index[NamedKey, str] = indices[POLICIES]
        self._by_catalog: kopf.Index[NamedKey, str] = indices[POLICIES_BY_CATALOG]
        self._by_budget: kopf.Index[NamedKey, str] = indices[POLICIES_BY_BUDGET]
        self._by_secret: kopf.Index[NamedKey, str] = indices[CATALOGS_BY_SECRET]
        self._by_config_map: kopf.Index[NamedKey, str] = indices[POLICIES_BY_CONFIG_MAP]

    def catalog(self, namespace: str, name: str) -> CatalogEntry | None:
        """The ModelCatalog of that name, parsed, if it exists."""
        return _first(self._catalogs, (namespace, name))

    def budget(self, namespace: str, name: str) -> BudgetEntry | None:
        """The BudgetAllocation of that name, parsed, if it exists."""
        return _first(self._budgets, (namespace, name))

    def policies_using_catalog(self, namespace: str, catalog: str) -> list[str]:
        """Names of the RoutingPolicies whose spec.catalogRef names `catalog`."""
        return _names(self._by_catalog, (namespace, catalog))

    def policies_using_budget(self, namespace: str, budget: str) -> list[str]:
        """Names of the RoutingPolicies whose spec.budgetRef names `budget`."""
        return _names(self._by_budget, (namespace, budget))

    def catalogs_using_secret(self, namespace: str, secret: str) -> list[str]:
        """Names of the ModelCatalogs that read a key from Secret `secret`."""
        return _names(self._by_secret, (namespace, secret))

    def policies_using_config_map(self, namespace: str, config_map: str) -> list[str]:
        """Names of the RoutingPolicies whose learned router lives in ConfigMap `config_map`."""
        return _names(self._by_config_map, (namespace, config_map))

    def referenced_config_maps(self) -> set[NamedKey]:
        """Every (namespace, ConfigMap) some RoutingPolicy reads its learned router from."""
        return set(self._by_config_map.keys())

    def referenced_secrets(self) -> set[NamedKey]:
        """Every (namespace, Secret) some ModelCatalog reads a key from."""
        return set(self._by_secret.keys())

    def all_objects(self) -> list[ObjectKey]:
        """Every indexed object, for a periodic full resync."""
        keys = [ObjectKey(Kind.MODEL_CATALOG, *key) for key in self._catalogs]
        keys += [ObjectKey(Kind.BUDGET_ALLOCATION, *key) for key in self._budgets]
        keys += [ObjectKey(Kind.ROUTING_POLICY, *key) for key in self._policies]
        return keys
