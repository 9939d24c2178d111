"""Routing tables compiled in process from a folder of manifests: the embedded default.

The gateway never imports the operator. The compiler is found through the
`tierroute.manifest_compilers` entry point group (the operator package registers one), so a
gateway-only installation still runs `--config routing.json`, and `--manifests` says clearly
what it is missing.

Also here: `UpstreamOverride`, which points every provider of a table at one base URL (the
simulated provider), for load-testing a policy without spending money.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path

import orjson

from tierroute_gateway.routing_table import (
    RoutingTable,
    RoutingTableError,
    canonical_json,
    load_routing_table,
)
from tierroute_gateway.server.reload import Apply, TableSource

Compiler = Callable[[Sequence[Path], str | None], bytes]
"""Compile the policy (or the only one) found under the paths into routing table JSON;
raises ValueError with a message naming the file, object and field at fault."""

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class CompilerMissingError(RuntimeError):
    """No package provides a manifest compiler."""


def load_compiler() -> Compiler:
    """The installed manifest compiler."""
    found = sorted(entry_points(group="tierroute.manifest_compilers"), key=lambda e: e.name)
    if not found:
        raise CompilerMissingError(
            "--manifests needs the manifest compiler of the tierroute operator package; "
            "install `tierroute` with its operator code, or compile with `tierroute compile` "
            "and pass --config"
        )
    compiler: Compiler = found[0].load()
    return compiler


def manifests_signature(paths: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """What changes when a manifest file is added, removed or edited (one stat a file)."""
    entries = []
    for root in paths:
        candidates = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in candidates:
            if path.suffix not in MANIFEST_SUFFIXES:
                continue
            try:
                status = path.stat()
            except OSError:
                continue
            entries.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(entries)


class ManifestsSource:
    """Compiles the manifests now and whenever a file under them changes."""

    def __init__(
        self,
        paths: Sequence[Path],
        policy: str | None,
        compiler: Compiler,
        interval: float = 1.0,
    ) -> None:
        self.paths = tuple(paths)
        self.policy = policy
        self.compiler = compiler
        self.interval = interval

    def compile(self) -> bytes:
        """The routing table document (raises ValueError)."""
        return self.compiler(self.paths, self.policy)

    async def run(self, apply: Apply) -> None:
        """Deliver a table for every change; a compile error is logged and changes nothing."""
        origin = ", ".join(str(path) for path in self.paths)
        seen: tuple[tuple[str, int, int], ...] | None = None
        while True:
            signature = await asyncio.to_thread(manifests_signature, self.paths)
            if signature != seen:
                seen = signature
                try:
                    document = await asyncio.to_thread(self.compile)
                except ValueError as error:
                    _log("manifests_refused", origin=origin, reason=str(error))
                else:
                    await apply(document, origin)
            await asyncio.sleep(self.interval)


def with_upstream(table: RoutingTable, base_url: str) -> RoutingTable:
    """The table with every provider pointed at `base_url` (keys and headers unchanged)."""
    providers = tuple(
        provider.model_copy(update={"base_url": base_url.rstrip("/")})
        for provider in table.providers
    )
    return table.model_copy(update={"providers": providers})


class UpstreamOverride:
    """A table source whose tables have every provider pointed at one base URL."""

    def __init__(self, inner: TableSource, base_url: str) -> None:
        self.inner = inner
        self.base_url = base_url

    async def run(self, apply: Apply) -> None:
        """Deliver the inner source's tables, rewritten."""

        async def rewritten(document: bytes, origin: str) -> bool:
            try:
                table = load_routing_table(document)
            except RoutingTableError:
                return await apply(document, origin)  # the gateway refuses it with the reason
            return await apply(canonical_json(with_upstream(table, self.base_url)), origin)

        await self.inner.run(rewritten)


def _log(event: str, **fields: str) -> None:
    line = orjson.dumps({"event": event, "pid": os.getpid(), **fields})
    sys.stderr.buffer.write(line + b"\n")
    sys.stderr.flush()
