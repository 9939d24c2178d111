"""One active replica among several, chosen by a coordination.k8s.io Lease (as client-go does).

The holder renews the Lease every fifth of its duration; a standby replica takes it over once
it has seen the same renewal for longer than the duration (judged on its own monotonic clock,
so clock skew between nodes does not matter). A holder that cannot renew within two thirds of
the duration stops before anyone may take over, so two replicas are never active at once. A
clean shutdown releases the Lease, so a standby takes over at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tierroute_operator.controller.kubernetes_client import ApiError, KubernetesClient

logger = logging.getLogger("tierroute.operator.lease")


class Action(StrEnum):
    """What a replica does after looking at the Lease."""

    CREATE = "create"
    RENEW = "renew"
    TAKE_OVER = "take-over"
    WAIT = "wait"


@dataclass(frozen=True)
class Observation:
    """A Lease's holder and renew time, and when (monotonic) this replica first saw them."""

    holder: str | None
    renew_time: str | None
    seen_at: float


def decide(
    lease: Mapping[str, Any] | None,
    identity: str,
    observation: Observation | None,
    *,
    now: float,
    duration_s: float,
) -> Action:
    """Pure: what to do with `lease` (None: absent) given what was seen before and when."""
    if lease is None:
        return Action.CREATE
    spec = lease.get("spec") or {}
    holder = spec.get("holderIdentity") or None
    if holder == identity:
        return Action.RENEW
    if holder is None:
        return Action.TAKE_OVER
    unchanged = (
        observation is not None
        and observation.holder == holder
        and observation.renew_time == spec.get("renewTime")
    )
    if unchanged and observation is not None and now - observation.seen_at > duration_s:
        return Action.TAKE_OVER
    return Action.WAIT


def micro_time(moment: datetime) -> str:
    """RFC 3339 with microseconds, as the Lease API's MicroTime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Acquire, hold and release one Lease."""

    def __init__(
        self, client: KubernetesClient, namespace: str, name: str, identity: str, duration_s: float
    ) -> None:
        self._client = client
        self._namespace = namespace
        self._name = name
        self._identity = identity
        self._duration_s = duration_s
        self._path = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"
        self._observation: Observation | None = None
        self._held = False

    @property
    def retry_s(self) -> float:
        """How often a standby looks and a holder renews."""
        return self._duration_s / 5

    @property
    def renew_deadline_s(self) -> float:
        """A holder that could not renew for this long stops: before anyone may take over."""
        return self._duration_s * 2 / 3

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this replica holds the Lease (True) or `stop` is set (False)."""
        while not stop.is_set():
            if await self._try():
                logger.info("%s holds Lease %s/%s", self._identity, self._namespace, self._name)
                return True
            try:
                await asyncio.wait_for(stop.wait(), self.retry_s)
            except TimeoutError:
                continue
        return False

    async def hold(self, lost: asyncio.Event) -> None:
        """Renew until renewal fails past the deadline, then set `lost` and return."""
        last_renewal = time.monotonic()
        while True:
            await asyncio.sleep(self.retry_s)
            if await self._try():
                last_renewal = time.monotonic()
                continue
            if not self._held or time.monotonic() - last_renewal > self.renew_deadline_s:
                logger.error("%s lost Lease %s/%s", self._identity, self._namespace, self._name)
                lost.set()
                return

    async def release(self) -> None:
        """Give the Lease up (best effort) so that a standby takes over at once."""
        if not self._held:
            return
        try:
            lease = await self._client.get(self._path)
            if lease is not None and (lease.get("spec") or {}).get("holderIdentity") == (
                self._identity
            ):
                spec = {**lease["spec"], "holderIdentity": None, "renewTime": None}
                await self._client.replace(self._path, {**lease, "spec": spec})
        except ApiError as error:
            logger.warning("releasing Lease %s failed: %s", self._name, error)
        self._held = False

    async def _try(self) -> bool:
        """One look at the Lease; True when this replica holds it afterwards."""
        try:
            lease = await self._client.get(self._path)
            action = decide(
                lease,
                self._identity,
                self._observation,
                now=time.monotonic(),
                duration_s=self._duration_s,
            )
            self._observe(lease)
            if action is Action.WAIT:
                self._held = False
                return False
            await self._write(lease, action)
        except ApiError as error:
            logger.info("Lease %s/%s: %s", self._namespace, self._name, error)
            if error.status == 409:
                self._held = False
            return False
        self._held = True
        return True

    def _observe(self, lease: Mapping[str, Any] | None) -> None:
        spec = (lease or {}).get("spec") or {}
        holder, renew = spec.get("holderIdentity") or None, spec.get("renewTime")
        previous = self._observation
        if previous is None or (previous.holder, previous.renew_time) != (holder, renew):
            self._observation = Observation(holder, renew, time.monotonic())

    async def _write(self, lease: Mapping[str, Any] | None, action: Action) -> None:
        now = micro_time(datetime.now(UTC))
        spec: dict[str, Any] = dict((lease or {}).get("spec") or {})
        spec |= {
            "holderIdentity": self._identity,
            "leaseDurationSeconds": max(1, round(self._duration_s)),
            "renewTime": now,
        }
        if action is not Action.RENEW:
            spec["acquireTime"] = now
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (
                1 if lease is not None else 0
            )
        metadata = {"name": self._name, "namespace": self._namespace}
        if lease is None:
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata}
            await self._client.create(self._path.rsplit("/", 1)[0], {**body, "spec": spec})
            return
        metadata["resourceVersion"] = lease["metadata"]["resourceVersion"]
        await self._client.replace(self._path, {**lease, "metadata": metadata, "spec": spec})
