"""One watch per named core object, each kept current by its own list-and-watch loop.

Used for the Secrets catalogs reference and the ConfigMaps that hold learned routers. Each
watch names one object (`fieldSelector=metadata.name=<name>`): RBAC can authorize it against
`resourceNames`, and no other object of the namespace is listed or streamed. What is kept of
an object is what `read` makes of it (`read(None)` when it does not exist); a change of that
state calls `on_change(namespace, name)`, also on the first listing (a reconcile may have
read the object just before it changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from tierroute_operator.controller.kubernetes_client import ApiError, KubernetesClient
from tierroute_operator.controller.resources import core_object_path

logger = logging.getLogger("tierroute.operator.watches")

State = TypeVar("State")
ObjectKey = tuple[str, str]
"""(namespace, name)."""


def _ignore(namespace: str, name: str) -> None:
    """The change callback until one is set."""


def _equal(before: Any, after: Any) -> bool:
    return bool(before == after)


class NamedObjectWatches(Generic[State]):
    """The last seen state of each tracked object of one resource, one watch each."""

    def __init__(
        self,
        client: KubernetesClient,
        *,
        resource: str,
        kind: str,
        read: Callable[[Mapping[str, Any] | None], State],
        same: Callable[[State, State], bool] = _equal,
        forbidden: State | None = None,
        accept: tuple[str, str] | None = None,
        watch_timeout_s: float = 120.0,
        retry_s: float = 5.0,
        forbidden_retry_s: float = 30.0,
    ) -> None:
        """`accept`: the Accept headers of the list and of the watch (None: full objects);
        `forbidden`: the state recorded when RBAC refuses the read (None: keep the last)."""
        self._client = client
        self._resource = resource
        self._kind = kind
        self._read = read
        self._same = same
        self._forbidden = forbidden
        self._accept = accept
        self.on_change: Callable[[str, str], None] = _ignore
        self._watch_timeout_s = watch_timeout_s
        self._retry_s = retry_s
        self._forbidden_retry_s = forbidden_retry_s
        self._states: dict[ObjectKey, State] = {}
        self._synced: dict[ObjectKey, asyncio.Event] = {}
        self._tasks: dict[ObjectKey, asyncio.Task[None]] = {}

    @property
    def watched(self) -> set[ObjectKey]:
        """The objects being watched."""
        return set(self._tasks)

    def track(self, wanted: Iterable[ObjectKey]) -> None:
        """Watch exactly the objects in `wanted`: start new watches, stop unneeded ones."""
        wanted_set = set(wanted)
        for key in set(self._tasks) - wanted_set:
            self._tasks.pop(key).cancel()
            self._states.pop(key, None)
            self._synced.pop(key, None)
        for key in wanted_set - set(self._tasks):
            self._synced[key] = asyncio.Event()
            name = f"{self._kind} {key[0]}/{key[1]}"
            self._tasks[key] = asyncio.create_task(self._watch(key), name=name)

    async def state(self, key: ObjectKey, *, wait_s: float) -> State | None:
        """The object's state as last seen, waiting up to `wait_s` for its first read; None
        when it is not tracked or was not read in time."""
        synced = self._synced.get(key)
        if synced is None:
            return None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(synced.wait(), wait_s)
        return self._states.get(key)

    async def close(self) -> None:
        """Stop every watch."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _store(self, key: ObjectKey, state: State) -> None:
        known = key in self._states
        before = self._states.get(key)
        self._states[key] = state
        synced = self._synced.get(key)
        if synced is not None:
            synced.set()
        if not known or not self._same(before, state):  # type: ignore[arg-type]
            self.on_change(*key)

    async def _watch(self, key: ObjectKey) -> None:
        namespace, name = key
        path = core_object_path(self._resource, namespace)
        selector = {"fieldSelector": f"metadata.name={name}"}
        list_accept = self._accept[0] if self._accept else None
        while True:
            try:
                listing = await self._client.list(path, selector, accept=list_accept)
                items = listing.get("items") or []
                self._store(key, self._read(items[0] if items else None))
                version = str(listing["metadata"]["resourceVersion"])
                await self._follow(key, path, selector, version)
            except ApiError as error:
                if error.status == 403:
                    if self._forbidden is not None:
                        self._store(key, self._forbidden)
                    logger.warning("may not read %s %s/%s (RBAC); retrying",
                                   self._kind, namespace, name)  # fmt: skip
                    await asyncio.sleep(self._forbidden_retry_s)
                    continue
                logger.info("watch of %s %s/%s ended: %s %s", self._kind, namespace, name,
                            error.status, error.reason)  # fmt: skip
                await asyncio.sleep(self._retry_s)

    async def _follow(
        self, key: ObjectKey, path: str, selector: Mapping[str, str], version: str
    ) -> None:
        """Record watch events until the stream ends (then the caller lists again)."""
        params = {
            **selector,
            "resourceVersion": version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(int(self._watch_timeout_s)),
        }
        stream = self._client.watch(
            path,
            params,
            timeout_s=self._watch_timeout_s + 15,
            accept=self._accept[1] if self._accept else None,
        )
        async for event in stream:
            kind = event.get("type")
            if kind in ("ADDED", "MODIFIED"):
                self._store(key, self._read(event.get("object")))
            elif kind == "DELETED":
                self._store(key, self._read(None))
            elif kind == "ERROR":
                return  # usually 410 Gone: list again
