"""The thinnest proxy on the gateway's own stack: the floor under the gateway's figures.

Run by perf/bench_gateway.py `--floor`: the gateway's server protocol (uvicorn binding it, as
in the gateway) and its provider client, forwarding each body to the simulator and its answer
back, with no parsing, routing, accounting, metrics or log. The gateway's figures minus these
are what routing and accounting cost; these minus the direct ones are what a Python proxy on
this stack costs at all.

Usage: python perf/thin_proxy.py SIMULATOR_URL PORT
"""

from __future__ import annotations

import asyncio
import functools
import sys
from typing import Any

import uvicorn

from tierroute_gateway.server.http_client import HttpClient
from tierroute_gateway.server.http_server import (
    BODY_EXTENSION,
    GatewayHttpProtocol,
    ServerLimits,
    sweeper,
)

_JSON = [(b"content-type", b"application/json")]


class ThinProxy:
    """An ASGI app passing every request body to one URL."""

    def __init__(self, url: str) -> None:
        self.client = HttpClient(url, {"content-type": "application/json"})

    def count_refusal(self, path: str, status: int, code: str) -> None:
        """Refusals are not counted here."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Forward the body, answer with the upstream's status and body."""
        answer = await self.client.post(scope["extensions"][BODY_EXTENSION])
        await send({"type": "http.response.start", "status": answer.status, "headers": _JSON})
        await send({"type": "http.response.body", "body": answer.body})


async def serve(upstream: str, port: int) -> None:
    """Serve until interrupted."""
    limits = ServerLimits(max_body=20 * 1024 * 1024, request_timeout=60.0, keep_alive=30.0)
    config = uvicorn.Config(
        ThinProxy(upstream + "/v1/chat/completions"),
        host="127.0.0.1",
        port=port,
        http=functools.partial(GatewayHttpProtocol, limits=limits),  # type: ignore[arg-type]
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    sweep = asyncio.get_running_loop().create_task(sweeper(server.server_state.connections)())
    print(f"thin proxy listening on http://127.0.0.1:{port}", flush=True)
    try:
        await server.serve()
    finally:
        sweep.cancel()


if __name__ == "__main__":
    import uvloop

    uvloop.install()
    asyncio.run(serve(sys.argv[1], int(sys.argv[2])))
