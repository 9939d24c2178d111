"""Watches of the ConfigMaps that hold learned routers, one by name, metadata only.

A policy's reconcile GETs its learned-router ConfigMap; these watches only say *when* to
reconcile again: when the ConfigMap appears, changes or goes. Each watch names one ConfigMap
(`fieldSelector=metadata.name=<name>`) and asks for metadata only (`PartialObjectMetadata`), so
the operator neither streams every ConfigMap of a namespace, as a kopf watch of `configmaps`
would, nor receives an artefact of up to a megabyte twice. A change calls
`on_change(namespace, name)`, also on the first listing (a reconcile may have read the
ConfigMap just before it changed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tierroute_operator.controller.kubernetes_client import (
    METADATA_LIST,
    METADATA_OBJECT,
    ApiError,
    KubernetesClient,
)
from tierroute_operator.controller.resources import core_object_path

logger = logging.getLogger("tierroute.operator.configmaps")

ConfigMapKey = tuple[str, str]
Seen = str | None  # the resourceVersion seen, None when the ConfigMap does not exist


def _ignore(namespace: str, name: str) -> None:
    """The change callback until one is set."""


def _version(item: Mapping[str, Any] | None) -> Seen:
    if item is None:
        return None
    return str((item.get("metadata") or {}).get("resourceVersion") or "")


class ConfigMapWatches:
    """One metadata-only watch per referenced ConfigMap, calling `on_change` on any change."""

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
        self._seen: dict[ConfigMapKey, Seen] = {}
        self._tasks: dict[ConfigMapKey, asyncio.Task[None]] = {}

    @property
    def watched(self) -> set[ConfigMapKey]:
        """The ConfigMaps being watched."""
        return set(self._tasks)

    def track(self, wanted: Iterable[ConfigMapKey]) -> None:
        """Watch exactly the ConfigMaps in `wanted`: start new watches, stop unneeded ones."""
        wanted_set = set(wanted)
        for key in set(self._tasks) - wanted_set:
            self._tasks.pop(key).cancel()
            self._seen.pop(key, None)
        for key in wanted_set - set(self._tasks):
            self._tasks[key] = asyncio.create_task(self._watch(key), name=f"configmap {key}")

    async def close(self) -> None:
        """Stop every watch."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _store(self, key: ConfigMapKey, seen: Seen) -> None:
        if key in self._seen and self._seen[key] == seen:
            return
        self._seen[key] = seen
        self.on_change(*key)

    async def _watch(self, key: ConfigMapKey) -> None:
        namespace, name = key
        path = core_object_path("configmaps", namespace)
        selector = {"fieldSelector": f"metadata.name={name}"}
        while True:
            try:
                listing = await self._client.list(path, selector, accept=METADATA_LIST)
                items = listing.get("items") or []
                self._store(key, _version(items[0] if items else None))
                version = str(listing["metadata"]["resourceVersion"])
                await self._follow(key, path, selector, version)
            except ApiError as error:
                logger.info("watch of ConfigMap %s/%s ended: %s %s", namespace, name,
                            error.status, error.reason)  # fmt: skip
                forbidden = error.status == 403
                await asyncio.sleep(self._forbidden_retry_s if forbidden else self._retry_s)

    async def _follow(
        self, key: ConfigMapKey, path: str, selector: Mapping[str, str], version: str
    ) -> None:
        """Record watch events until the stream ends (then the caller lists again)."""
        params = {
            **selector,
            "resourceVersion": version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(int(self._watch_timeout_s)),
        }
        stream = self._client.watch(
            path, params, timeout_s=self._watch_timeout_s + 15, accept=METADATA_OBJECT
        )
        async for event in stream:
            kind = event.get("type")
            if kind in ("ADDED", "MODIFIED"):
                self._store(key, _version(event.get("object")))
            elif kind == "DELETED":
                self._store(key, None)
            elif kind == "ERROR":
                return  # usually 410 Gone: list again
