"""Liveness and readiness endpoints, and the metrics endpoint (aiohttp, in the operator's loop).

`/healthz` answers 200 while the event loop runs (a stuck loop cannot answer, and the kubelet
restarts the pod). `/readyz` answers 200 only on the active replica once its workers run, and
503 `standby` on a replica waiting for the Lease.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiohttp import web

from tierroute_operator.controller.metrics import OperatorMetrics


@dataclass
class HealthState:
    """What the probes report."""

    leader: bool = False
    started: bool = False
    last_beat: float = field(default_factory=time.monotonic)

    def beat(self) -> None:
        """A worker finished a piece of work."""
        self.last_beat = time.monotonic()

    def readiness(self) -> tuple[bool, str]:
        """(ready, why) for /readyz."""
        if not self.leader:
            return False, "standby"
        if not self.started:
            return False, "starting"
        return True, "ok"


async def _serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    addresses = runner.addresses  # the bound port, when 0 asked for any
    return runner, int(addresses[0][1]) if addresses else port


async def serve_health(
    state: HealthState, host: str, port: int, liveness_path: str
) -> tuple[web.AppRunner, int]:
    """Serve the liveness path and /readyz on host:port; return the runner and bound port."""

    async def live(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def ready(_: web.Request) -> web.Response:
        is_ready, why = state.readiness()
        return web.Response(text=why, status=200 if is_ready else 503)

    app = web.Application()
    app.router.add_get(liveness_path, live)
    app.router.add_get("/readyz", ready)
    return await _serve(app, host, port)


async def serve_metrics(
    metrics: OperatorMetrics, host: str, port: int
) -> tuple[web.AppRunner, int]:
    """Serve /metrics on host:port; return the runner and bound port."""

    async def exposition(_: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/metrics", exposition)
    return await _serve(app, host, port)
