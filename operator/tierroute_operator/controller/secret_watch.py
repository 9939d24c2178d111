"""Watches of the individual Secrets the catalogs reference, one by name.

RBAC cannot say "the Secrets ModelCatalogs reference", and a kopf watch of `secrets` would need
to list every Secret of the namespace. So each referenced Secret gets its own watch by name,
which RBAC authorizes against `resourceNames`: the operator reads exactly the Secrets its Role
names. A change of state or data (not of resourceVersion alone) calls `on_change`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tierroute_operator.controller.entries import SecretSnapshot, SecretState
from tierroute_operator.controller.kubernetes_client import KubernetesClient
from tierroute_operator.controller.named_watch import NamedObjectWatches


def _snapshot(secret: Mapping[str, Any] | None) -> SecretSnapshot:
    if secret is None:
        return SecretSnapshot(SecretState.ABSENT)
    data = secret.get("data") or {}
    version = (secret.get("metadata") or {}).get("resourceVersion")
    return SecretSnapshot(SecretState.PRESENT, dict(data), version)


def _same(before: SecretSnapshot, after: SecretSnapshot) -> bool:
    return (before.state, before.data) == (after.state, after.data)


class SecretWatches(NamedObjectWatches[SecretSnapshot]):
    """The last seen state of each referenced Secret, kept current by one watch each."""

    def __init__(self, client: KubernetesClient, *, watch_timeout_s: float = 120.0) -> None:
        super().__init__(
            client,
            resource="secrets",
            kind="Secret",
            read=_snapshot,
            same=_same,
            forbidden=SecretSnapshot(SecretState.FORBIDDEN),
            watch_timeout_s=watch_timeout_s,
        )

    async def snapshot(self, namespace: str, name: str, *, wait_s: float = 5.0) -> SecretSnapshot:
        """The Secret as last seen, waiting up to `wait_s` for its first read."""
        seen = await self.state((namespace, name), wait_s=wait_s)
        return seen if seen is not None else SecretSnapshot(SecretState.UNKNOWN)
