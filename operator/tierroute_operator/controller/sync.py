"""The shell around the pure core: read the cluster, call the core, write what it decided.

One `sync` call reconciles one object. Writes go in an order that never leaves a gateway
half-configured: the credentials Secret first (a new table may name a new provider key), then
the ConfigMap, then status, then Events. Failures leave through `errors.py`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tierroute_operator.controller.budget_status import reconcile_budget
from tierroute_operator.controller.catalog_status import reconcile_catalog
from tierroute_operator.controller.cluster_view import ClusterView
from tierroute_operator.controller.entries import (
    CatalogEntry,
    SecretSnapshot,
    parse_catalog,
    referenced_secret_names,
)
from tierroute_operator.controller.errors import api_failure, raise_for_failure
from tierroute_operator.controller.events import event_body
from tierroute_operator.controller.kubernetes_client import ApiError, KubernetesClient
from tierroute_operator.controller.learned_router_reference import (
    ConfigMapSnapshot,
    ConfigMapState,
    learned_router_config_map,
)
from tierroute_operator.controller.metrics import OperatorMetrics
from tierroute_operator.controller.outcomes import EventNote
from tierroute_operator.controller.own_writes import OwnWrites
from tierroute_operator.controller.reconcile import (
    PolicyInputs,
    PolicyPlan,
    apply_failed_status,
    reconcile_policy,
)
from tierroute_operator.controller.resources import (
    Kind,
    ObjectKey,
    config_map_name,
    core_object_path,
    credentials_secret_name,
    custom_object_path,
)
from tierroute_operator.controller.secret_watch import SecretWatches

logger = logging.getLogger("tierroute.operator.sync")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclasses.dataclass
class Syncer:
    """Reconciles one object at a time against the API server."""

    client: KubernetesClient
    view: ClusterView
    secrets: SecretWatches
    writes: OwnWrites
    metrics: OperatorMetrics
    identity: str
    clock: Clock = utc_now

    async def sync(self, key: ObjectKey, seen: Mapping[str, Any] | None = None) -> None:
        """Bring the cluster in line with one object; raises kopf errors to ask for a retry.

        `seen` is the object as a watch event just showed it (saves a read); when it is stale,
        the status patch's resourceVersion precondition fails and the retry reads it afresh.
        """
        body = dict(seen) if seen is not None else await self._read_own(key)
        if body is None:
            return
        if key.kind is Kind.ROUTING_POLICY:
            await self._sync_policy(key, body)
        elif key.kind is Kind.MODEL_CATALOG:
            await self._sync_catalog(key, body)
        else:
            await self._sync_budget(key, body)

    async def _sync_policy(self, key: ObjectKey, body: dict[str, Any]) -> None:
        inputs = await self._policy_inputs(key, body)
        try:
            inputs = dataclasses.replace(
                inputs,
                config_map=await self.client.get(
                    core_object_path("configmaps", key.namespace, config_map_name(key.name))
                ),
                credentials=await self.client.get(
                    core_object_path("secrets", key.namespace, credentials_secret_name(key.name))
                ),
            )
            plan = reconcile_policy(inputs)
            await self._write_generated(key, plan)
        except ApiError as error:
            message = _write_failure_message(key, error)
            await self._write_status(key, body, apply_failed_status(inputs, message))
            await self._post_events(key, body, (EventNote("Warning", "ApplyFailed", message),))
            raise api_failure(error, str(key)) from error
        await self._write_status(key, body, plan.status)
        await self._post_events(key, body, plan.events)
        raise_for_failure(plan.failure, str(key))

    async def _policy_inputs(self, key: ObjectKey, body: Mapping[str, Any]) -> PolicyInputs:
        spec = body.get("spec") or {}
        catalog_name = (spec.get("catalogRef") or {}).get("name")
        budget_name = (spec.get("budgetRef") or {}).get("name")
        catalog = self.view.catalog(key.namespace, catalog_name) if catalog_name else None
        budget = self.view.budget(key.namespace, budget_name) if budget_name else None
        return PolicyInputs(
            body=body,
            catalog=catalog,
            budget=budget,
            secrets=await self._secrets_of(key.namespace, catalog),
            config_map=None,
            credentials=None,
            now=self.clock(),
            learned_router=await self._learned_router_of(key, body),
        )

    async def _learned_router_of(
        self, key: ObjectKey, body: Mapping[str, Any]
    ) -> ConfigMapSnapshot | None:
        """The ConfigMap holding the policy's learned router, read now (None: it has none)."""
        name = learned_router_config_map(body)
        if name is None:
            return None
        try:
            config_map = await self.client.get(core_object_path("configmaps", key.namespace, name))
        except ApiError as error:
            if error.status == 403:
                return ConfigMapSnapshot(ConfigMapState.FORBIDDEN)
            raise api_failure(error, f"{key} learned router ConfigMap {name}") from error
        if config_map is None:
            return ConfigMapSnapshot(ConfigMapState.ABSENT)
        return ConfigMapSnapshot(ConfigMapState.PRESENT, config_map)

    async def _sync_catalog(self, key: ObjectKey, body: dict[str, Any]) -> None:
        secrets = await self._secrets_of(key.namespace, parse_catalog(body))
        plan = reconcile_catalog(body, secrets, now=self.clock())
        await self._write_status(key, body, plan.status)
        await self._post_events(key, body, plan.events)
        raise_for_failure(plan.failure, str(key))

    async def _sync_budget(self, key: ObjectKey, body: dict[str, Any]) -> None:
        plan = reconcile_budget(body, now=self.clock())
        await self._write_status(key, body, plan.status)
        await self._post_events(key, body, plan.events)
        raise_for_failure(plan.failure, str(key))

    async def _read_own(self, key: ObjectKey) -> dict[str, Any] | None:
        try:
            return await self.client.get(custom_object_path(key.kind, key.namespace, key.name))
        except ApiError as error:
            raise api_failure(error, str(key)) from error

    async def _secrets_of(
        self, namespace: str, catalog: CatalogEntry | None
    ) -> dict[str, SecretSnapshot]:
        names = sorted(referenced_secret_names(catalog))
        return {name: await self.secrets.snapshot(namespace, name) for name in names}

    async def _write_generated(self, key: ObjectKey, plan: PolicyPlan) -> None:
        if plan.secret is not None:
            name = credentials_secret_name(key.name)
            await self.client.apply(core_object_path("secrets", key.namespace, name), plan.secret)
            self.metrics.writes.labels("secret").inc()
        if plan.config_map is not None:
            name = config_map_name(key.name)
            path = core_object_path("configmaps", key.namespace, name)
            stored = await self.client.apply(path, plan.config_map)
            self.metrics.writes.labels("configmap").inc()
            version = (stored.get("metadata") or {}).get("resourceVersion")
            self.writes.record("ConfigMap", key.namespace, name, version)
            logger.info("%s: ConfigMap %s now holds %s", key, name, plan.table_hash)

    async def _write_status(
        self, key: ObjectKey, body: Mapping[str, Any], status: Mapping[str, Any] | None
    ) -> None:
        if status is None:
            return
        path = custom_object_path(key.kind, key.namespace, key.name) + "/status"
        version = body["metadata"].get("resourceVersion")
        patch = {"metadata": {"resourceVersion": version}, "status": status}
        try:
            stored = await self.client.merge_patch(path, patch)
        except ApiError as error:
            raise api_failure(error, f"{key} status") from error
        self.metrics.writes.labels("status").inc()
        written = (stored.get("metadata") or {}).get("resourceVersion")
        self.writes.record(key.kind.value, key.namespace, key.name, written)

    async def _post_events(
        self, key: ObjectKey, body: Mapping[str, Any], events: tuple[EventNote, ...]
    ) -> None:
        for note in events:
            log = logger.warning if note.type == "Warning" else logger.info
            log("%s: %s: %s", key, note.reason, note.message)
            try:
                await self.client.create(
                    core_object_path("events", key.namespace),
                    event_body(body, note, self.identity, self.clock()),
                )
            except ApiError as error:
                logger.warning("%s: posting Event %s failed: %s", key, note.reason, error)
                continue
            self.metrics.writes.labels("event").inc()


def _write_failure_message(key: ObjectKey, error: ApiError) -> str:
    hint = ""
    if error.status == 403:
        hint = (
            f" (RBAC: the operator must be allowed to get, create and patch ConfigMap "
            f"{config_map_name(key.name)} and Secret {credentials_secret_name(key.name)}; "
            "see docs/operations.md)"
        )
    return (
        f"Writing the generated objects failed: API {error.status} {error.reason}: "
        f"{error.message}{hint}"
    )
