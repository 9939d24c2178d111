"""Run a gateway process: load the table, listen, reload on change, stop cleanly.

`run_gateway` is the entry point for any table source: the `gateway` subcommand passes a
`TableFile`; a caller that compiles manifests in process passes a `StaticTable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import resource

import uvicorn

from tierroute_gateway.server.app import GatewayApp
from tierroute_gateway.server.gateway import Gateway
from tierroute_gateway.server.http_protocol import GatewayHttpProtocol
from tierroute_gateway.server.reload import TableSource
from tierroute_gateway.server.settings import GatewaySettings


def run_gateway(settings: GatewaySettings, source: TableSource) -> int:
    """Serve until interrupted; the exit code of the process."""
    _raise_file_limit()
    try:
        import uvloop  # noqa: PLC0415 - optional speed-up, absent on some platforms

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(serve(settings, source))


def _raise_file_limit() -> None:
    """Allow as many open connections as the hard limit permits (many idle clients)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def serve(settings: GatewaySettings, source: TableSource) -> int:
    """Start the gateway on the running loop and serve until the server stops."""
    gateway = Gateway(settings)
    watcher = asyncio.get_running_loop().create_task(source.run(gateway.apply_table))
    config = uvicorn.Config(
        GatewayApp(gateway),
        host=settings.host,
        port=settings.port,
        http=GatewayHttpProtocol,
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
        date_header=False,
        backlog=4096,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    gateway.log.start()
    announcer = asyncio.get_running_loop().create_task(_announce(server))
    try:
        await server.serve()
    finally:
        for task in (watcher, announcer):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await gateway.log.stop()
        await gateway.upstreams.close()
    return 0


async def _announce(server: uvicorn.Server) -> None:
    """Print the listening line once the socket is bound, then freeze start-up objects."""
    while not server.started:
        await asyncio.sleep(0.01)
    sockets = [s for srv in server.servers for s in (srv.sockets or ())]
    host, port = sockets[0].getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    gc.collect()
    gc.freeze()
    # Requests allocate many short-lived objects and form few cycles: collect the young
    # generation less often (the default, 700, runs a collection every few requests).
    gc.set_threshold(20_000, 20, 20)
    print(f"tierroute gateway listening on http://{shown}:{port}", flush=True)
