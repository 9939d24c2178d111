"""Watches of the individual Secrets the catalogs reference, one by name.

RBAC cannot say "the Secrets ModelCatalogs reference", and a kopf watch of `secrets` would need
to list every Secret of the namespace. So each referenced Secret gets its own watch with
`fieldSelector=metadata.name=<name>`, which RBAC authorizes against `resourceNames`: the
operator reads exactly the Secrets its Role names. A change calls `on_change(namespace, name)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tierroute_operator.controller.entries import SecretSnapshot, SecretState
from tierroute_operator.controller.kubernetes_client import ApiError, KubernetesClient
from tierroute_operator.controller.resources import core_object_path

logger = logging.getLogger("tierroute.operator.secrets")

SecretKey = tuple[str, str]


def _ignore(namespace: str, name: str) -> None:
    """The change callback until one is set."""


def _snapshot(secret: Mapping[str, Any] | None) -> SecretSnapshot:
    if secret is None:
        return SecretSnapshot(SecretState.ABSENT)
    data = secret.get("data") or {}
    version = (secret.get("metadata") or {}).get("resourceVersion")
    return SecretSnapshot(SecretState.PRESENT, dict(data), version)


class SecretWatches:
    """The last seen state of each referenced Secret, kept current by one watch each."""

    def __init__(
        self,
        client: KubernetesClient,
        *,
        watch_timeout_s: float = 120.0,
        retry_s: float = 5.0,
        forbidden_retry_s: float = 30.0,
    ) -> None:
        self._client = client
        self.on_change: Callable[[str, str], None] = _ignore
        self._watch_timeout_s = watch_timeout_s
        self._retry_s = retry_s
        self._forbidden_retry_s = forbidden_retry_s
        self._snapshots: dict[SecretKey, SecretSnapshot] = {}
        self._synced: dict[SecretKey, asyncio.Event] = {}
        self._tasks: dict[SecretKey, asyncio.Task[None]] = {}

    def track(self, wanted: Iterable[SecretKey]) -> None:
        """Watch exactly the Secrets in `wanted`: start new watches, stop unneeded ones."""
        wanted_set = set(wanted)
        for key in set(self._tasks) - wanted_set:
            self._tasks.pop(key).cancel()
            self._snapshots.pop(key, None)
            self._synced.pop(key, None)
        for key in wanted_set - set(self._tasks):
            self._synced[key] = asyncio.Event()
            self._tasks[key] = asyncio.create_task(self._watch(key), name=f"secret {key}")

    async def snapshot(self, namespace: str, name: str, *, wait_s: float = 5.0) -> SecretSnapshot:
        """The Secret as last seen, waiting up to `wait_s` for its first read."""
        key = (namespace, name)
        synced = self._synced.get(key)
        if synced is None:
            return SecretSnapshot(SecretState.UNKNOWN)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(synced.wait(), wait_s)
        return self._snapshots.get(key, SecretSnapshot(SecretState.UNKNOWN))

    async def close(self) -> None:
        """Stop every watch."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _store(self, key: SecretKey, snapshot: SecretSnapshot) -> None:
        before = self._snapshots.get(key)
        self._snapshots[key] = snapshot
        synced = self._synced.get(key)
        if synced is not None:
            synced.set()
        if before is None or (before.state, before.data) != (snapshot.state, snapshot.data):
            self.on_change(*key)

    async def _watch(self, key: SecretKey) -> None:
        namespace, name = key
        path = core_object_path("secrets", namespace)
        selector = {"fieldSelector": f"metadata.name={name}"}
        while True:
            try:
                listing = await self._client.list(path, selector)
                items = listing.get("items") or []
                self._store(key, _snapshot(items[0] if items else None))
                version = str(listing["metadata"]["resourceVersion"])
                await self._follow(key, path, selector, version)
            except ApiError as error:
                if error.status == 403:
                    self._store(key, SecretSnapshot(SecretState.FORBIDDEN))
                    logger.warning("may not read Secret %s/%s (RBAC); retrying", namespace, name)
                    await asyncio.sleep(self._forbidden_retry_s)
                    continue
                logger.info("watch of Secret %s/%s ended: %s %s", namespace, name,
                            error.status, error.reason)  # fmt: skip
                await asyncio.sleep(self._retry_s)

    async def _follow(
        self, key: SecretKey, path: str, selector: Mapping[str, str], version: str
    ) -> None:
        """Apply watch events until the stream ends (then the caller lists again)."""
        params = {
            **selector,
            "resourceVersion": version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(int(self._watch_timeout_s)),
        }
        stream = self._client.watch(path, params, timeout_s=self._watch_timeout_s + 15)
        async for event in stream:
            kind = event.get("type")
            if kind in ("ADDED", "MODIFIED"):
                self._store(key, _snapshot(event.get("object")))
            elif kind == "DELETED":
                self._store(key, SecretSnapshot(SecretState.ABSENT))
            elif kind == "ERROR":
                return  # usually 410 Gone: list again
