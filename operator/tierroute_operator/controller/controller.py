"""Work distribution: events become keys in a work queue, workers reconcile them.

kopf's event handlers call the `*_changed` methods; a Secret watch calls `secret_changed`, a
learned-router ConfigMap watch `learned_router_changed`.
Each maps the change to the objects that must be reconciled again (a ModelCatalog change
concerns every RoutingPolicy that references it) and queues them. Workers take keys one at a
time and honour kopf's error types: PermanentError waits for the next change, TemporaryError
is retried after its delay. A periodic resync queues everything, so nothing depends on an
event having been seen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf

from tierroute_operator.controller.cluster_view import ClusterView
from tierroute_operator.controller.config_map_watch import ConfigMapWatches
from tierroute_operator.controller.health import HealthState
from tierroute_operator.controller.metrics import OperatorMetrics
from tierroute_operator.controller.own_writes import OwnWrites
from tierroute_operator.controller.resources import Kind, ObjectKey, policy_of_generated
from tierroute_operator.controller.sync import Syncer
from tierroute_operator.controller.work_queue import WorkQueue

logger = logging.getLogger("tierroute.operator.controller")

MAX_RETRY_S = 300.0


@dataclass
class Controller:
    """The queue, the workers and the mapping from changes to work."""

    syncer: Syncer
    metrics: OperatorMetrics
    health: HealthState
    workers: int = 4
    resync_s: float = 300.0
    learned_routers: ConfigMapWatches | None = None
    queue: WorkQueue[ObjectKey] = field(default_factory=WorkQueue)
    _failures: dict[ObjectKey, int] = field(default_factory=dict)
    _bodies: dict[ObjectKey, Mapping[str, Any]] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def view(self) -> ClusterView:
        """The indexes."""
        return self.syncer.view

    @property
    def writes(self) -> OwnWrites:
        """The resourceVersions of the operator's own writes."""
        return self.syncer.writes

    def start(self) -> None:
        """Start the workers and the resync timer."""
        self.syncer.secrets.track(self.view.referenced_secrets())
        self._track_learned_routers()
        for number in range(self.workers):
            self._tasks.append(asyncio.create_task(self._work(), name=f"worker {number}"))
        self._tasks.append(asyncio.create_task(self._resync(), name="resync"))
        self.health.started = True

    async def stop(self) -> None:
        """Stop the workers and the Secret watches."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.queue.close()
        await self.syncer.secrets.close()
        if self.learned_routers is not None:
            await self.learned_routers.close()

    def enqueue(self, key: ObjectKey, body: Mapping[str, Any] | None = None) -> None:
        """Reconcile `key` soon; `body` is the object as an event just showed it, if known."""
        if body is not None:
            self._bodies[key] = body
        self.queue.add(key)
        self.metrics.queue_depth.set(len(self.queue))

    def policy_changed(
        self, namespace: str, name: str, body: Mapping[str, Any], deleted: bool
    ) -> None:
        """A RoutingPolicy was listed, added, changed or deleted."""
        key = ObjectKey(Kind.ROUTING_POLICY, namespace, name)
        self._track_learned_routers()
        if deleted:
            self.writes.forget(Kind.ROUTING_POLICY, namespace, name)
            self._bodies.pop(key, None)
            return
        if not self.writes.is_own(Kind.ROUTING_POLICY, namespace, name, _version(body)):
            self.enqueue(key, body)

    def catalog_changed(
        self, namespace: str, name: str, body: Mapping[str, Any], deleted: bool
    ) -> None:
        """A ModelCatalog changed: it and every policy using it are reconciled."""
        self.syncer.secrets.track(self.view.referenced_secrets())
        if self.writes.is_own(Kind.MODEL_CATALOG, namespace, name, _version(body)):
            return
        if not deleted:
            self.enqueue(ObjectKey(Kind.MODEL_CATALOG, namespace, name), body)
        for policy in self.view.policies_using_catalog(namespace, name):
            self.enqueue(ObjectKey(Kind.ROUTING_POLICY, namespace, policy))

    def budget_changed(
        self, namespace: str, name: str, body: Mapping[str, Any], deleted: bool
    ) -> None:
        """A BudgetAllocation changed: it and every policy charging it are reconciled."""
        if self.writes.is_own(Kind.BUDGET_ALLOCATION, namespace, name, _version(body)):
            return
        if not deleted:
            self.enqueue(ObjectKey(Kind.BUDGET_ALLOCATION, namespace, name), body)
        for policy in self.view.policies_using_budget(namespace, name):
            self.enqueue(ObjectKey(Kind.ROUTING_POLICY, namespace, policy))

    def config_map_changed(self, namespace: str, name: str, version: str | None) -> None:
        """A generated ConfigMap was edited or deleted by someone: its policy puts it back."""
        policy = policy_of_generated(name)
        if policy is None or self.writes.is_own("ConfigMap", namespace, name, version):
            return
        self.enqueue(ObjectKey(Kind.ROUTING_POLICY, namespace, policy))

    def secret_changed(self, namespace: str, secret: str) -> None:
        """A referenced Secret changed: catalogs reading it and their policies are reconciled."""
        for catalog in self.view.catalogs_using_secret(namespace, secret):
            self.enqueue(ObjectKey(Kind.MODEL_CATALOG, namespace, catalog))
            for policy in self.view.policies_using_catalog(namespace, catalog):
                self.enqueue(ObjectKey(Kind.ROUTING_POLICY, namespace, policy))

    def learned_router_changed(self, namespace: str, config_map: str) -> None:
        """A ConfigMap holding a learned router appeared, changed or went: its policies are
        reconciled (a changed artefact no longer matches their pin)."""
        for policy in self.view.policies_using_config_map(namespace, config_map):
            self.enqueue(ObjectKey(Kind.ROUTING_POLICY, namespace, policy))

    def _track_learned_routers(self) -> None:
        if self.learned_routers is not None:
            self.learned_routers.track(self.view.referenced_config_maps())

    async def _resync(self) -> None:
        while True:
            await asyncio.sleep(self.resync_s)
            for key in self.view.all_objects():
                self.enqueue(key)

    async def _work(self) -> None:
        while True:
            key = await self.queue.get()
            self.metrics.queue_depth.set(len(self.queue))
            started = time.monotonic()
            try:
                await self._reconcile(key, self._bodies.pop(key, None))
            finally:
                self.queue.done(key)
                self.metrics.duration.labels(key.kind.value).observe(time.monotonic() - started)
                self.health.beat()

    async def _reconcile(self, key: ObjectKey, body: Mapping[str, Any] | None) -> None:
        kind = key.kind.value
        try:
            await self.syncer.sync(key, body)
        except kopf.PermanentError as error:
            self._failures.pop(key, None)
            self.metrics.reconciles.labels(kind, "failed").inc()
            self.metrics.errors.labels(kind, _reason_of(error)).inc()
            logger.info("%s waits for a change: %s", key, error)
        except kopf.TemporaryError as error:
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            delay = min(max(error.delay or 1.0, 0.1 * 2**failures), MAX_RETRY_S)
            self.metrics.reconciles.labels(kind, "retry").inc()
            self.metrics.errors.labels(kind, _reason_of(error)).inc()
            logger.info("%s retried in %.1f s: %s", key, delay, error)
            self.queue.add_after(key, delay)
        except Exception:
            logger.exception("%s: unexpected error; retried in %.0f s", key, MAX_RETRY_S / 10)
            self.metrics.reconciles.labels(kind, "failed").inc()
            self.metrics.errors.labels(kind, "InternalError").inc()
            self.queue.add_after(key, MAX_RETRY_S / 10)
        else:
            self._failures.pop(key, None)
            self.metrics.reconciles.labels(kind, "ok").inc()


def _version(body: Mapping[str, Any]) -> str | None:
    value = (body.get("metadata") or {}).get("resourceVersion")
    return str(value) if value is not None else None


def _reason_of(error: kopf.PermanentError | kopf.TemporaryError) -> str:
    """The condition reason in a `subject: Reason: message` error text (else `ApiError`)."""
    parts = str(error).split(": ")
    candidate = parts[1] if len(parts) > 2 else ""
    return candidate if candidate.isalpha() and candidate[:1].isupper() else "ApiError"
