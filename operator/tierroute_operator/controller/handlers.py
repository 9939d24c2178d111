"""kopf handlers: each a few lines. Indexes keep the objects in memory; event handlers queue.

Nothing here decides anything: indexes store parsed objects (`entries.py`) and who references
whom; event handlers tell the Controller what changed. Handlers return None (kopf would store a
returned value under status.<handler id>).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kopf

from tierroute_operator.api.meta import GROUP, VERSION
from tierroute_operator.controller import cluster_view as names
from tierroute_operator.controller.cluster_view import ClusterView
from tierroute_operator.controller.controller import Controller
from tierroute_operator.controller.entries import parse_budget, parse_catalog
from tierroute_operator.controller.learned_router_reference import learned_router_config_map
from tierroute_operator.controller.resources import MANAGED_BY, MANAGED_BY_LABEL

Indexed = dict[tuple[str, str], Any]
ControllerFactory = Callable[[ClusterView], Controller]

CATALOGS = (GROUP, VERSION, "modelcatalogs")
BUDGETS = (GROUP, VERSION, "budgetallocations")
POLICIES = (GROUP, VERSION, "routingpolicies")


def _version(body: kopf.Body) -> str | None:
    value = body.get("metadata", {}).get("resourceVersion")
    return str(value) if value is not None else None


def _plain(body: kopf.Body) -> dict[str, Any]:
    """The object as a plain dict (its nested values are the watch event's own)."""
    return {field: body[field] for field in body}


def _deleted(event: kopf.RawEvent) -> bool:
    return event.get("type") == "DELETED"


def build_registry(
    connection: Callable[[], kopf.ConnectionInfo],
    make_controller: ControllerFactory,
    stopping: Callable[[], None],
) -> kopf.OperatorRegistry:
    """A kopf registry with the operator's login, lifecycle, index and event handlers.

    `stopping` is called on cleanup (kopf's own SIGTERM handling does not set the stop flag).
    """
    registry = kopf.OperatorRegistry()
    running: list[Controller] = []

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        return connection()

    @kopf.on.startup(registry=registry)
    async def startup(**indices: Any) -> None:
        running.append(make_controller(ClusterView(indices)))
        running[0].start()

    @kopf.on.cleanup(registry=registry)
    async def cleanup(**_: Any) -> None:
        for controller in running:
            await controller.stop()
        stopping()

    _register_indexes(registry)
    _register_events(registry, running)
    return registry


def _register_indexes(registry: kopf.OperatorRegistry) -> None:
    @kopf.index(*CATALOGS, id=names.CATALOGS, registry=registry)
    async def catalogs(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> Indexed:
        return {(namespace or "", name): parse_catalog(body)}

    @kopf.index(*CATALOGS, id=names.CATALOGS_BY_SECRET, registry=registry)
    async def catalogs_by_secret(
        namespace: str | None, name: str, spec: kopf.Spec, **_: Any
    ) -> Indexed:
        providers = spec.get("providers") or []
        references = [(p.get("credentials") or {}).get("secretRef") or {} for p in providers]
        return {(namespace or "", ref["name"]): name for ref in references if ref.get("name")}

    @kopf.index(*BUDGETS, id=names.BUDGETS, registry=registry)
    async def budgets(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> Indexed:
        return {(namespace or "", name): parse_budget(body)}

    @kopf.index(*POLICIES, id=names.POLICIES, registry=registry)
    async def policies(namespace: str | None, name: str, **_: Any) -> Indexed:
        return {(namespace or "", name): name}

    @kopf.index(*POLICIES, id=names.POLICIES_BY_CATALOG, registry=registry)
    async def policies_by_catalog(
        namespace: str | None, name: str, spec: kopf.Spec, **_: Any
    ) -> Indexed:
        catalog = (spec.get("catalogRef") or {}).get("name")
        return {(namespace or "", catalog): name} if catalog else {}

    @kopf.index(*POLICIES, id=names.POLICIES_BY_BUDGET, registry=registry)
    async def policies_by_budget(
        namespace: str | None, name: str, spec: kopf.Spec, **_: Any
    ) -> Indexed:
        budget = (spec.get("budgetRef") or {}).get("name")
        return {(namespace or "", budget): name} if budget else {}

    @kopf.index(*POLICIES, id=names.POLICIES_BY_CONFIG_MAP, registry=registry)
    async def policies_by_config_map(
        namespace: str | None, name: str, body: kopf.Body, **_: Any
    ) -> Indexed:
        config_map = learned_router_config_map(body)
        return {(namespace or "", config_map): name} if config_map else {}


def _register_events(registry: kopf.OperatorRegistry, running: list[Controller]) -> None:
    @kopf.on.event(*POLICIES, registry=registry)
    async def policy_event(
        namespace: str | None, name: str, body: kopf.Body, event: kopf.RawEvent, **_: Any
    ) -> None:
        running[0].policy_changed(namespace or "", name, _plain(body), _deleted(event))

    @kopf.on.event(*CATALOGS, registry=registry)
    async def catalog_event(
        namespace: str | None, name: str, body: kopf.Body, event: kopf.RawEvent, **_: Any
    ) -> None:
        running[0].catalog_changed(namespace or "", name, _plain(body), _deleted(event))

    @kopf.on.event(*BUDGETS, registry=registry)
    async def budget_event(
        namespace: str | None, name: str, body: kopf.Body, event: kopf.RawEvent, **_: Any
    ) -> None:
        running[0].budget_changed(namespace or "", name, _plain(body), _deleted(event))

    @kopf.on.event("v1", "configmaps", labels={MANAGED_BY_LABEL: MANAGED_BY}, registry=registry)
    async def config_map_event(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> None:
        running[0].config_map_changed(namespace or "", name, _version(body))
