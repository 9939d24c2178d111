"""Run a gateway process: load the table, listen, reload on change, stop cleanly.

`run_gateway` is the entry point for any table source: the `gateway` subcommand passes a
`TableFile`; a caller that compiles manifests in process passes a `StaticTable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import resource
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

import prometheus_client
import uvicorn

from tierroute_gateway.server.app import GatewayApp
from tierroute_gateway.server.client_keys import KeysFile
from tierroute_gateway.server.gateway import Gateway
from tierroute_gateway.server.heap import GcPauses, settle_heap, tune_collector
from tierroute_gateway.server.http_server import GatewayHttpProtocol, ServerLimits, sweeper
from tierroute_gateway.server.reload import Apply, TableSource
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


ANNOUNCE_WAIT_S = 10.0
"""Longest wait for the first table before announcing the socket anyway (a table source that
has nothing yet, such as an unreachable API server, must not hide a running gateway)."""

SWITCH_INTERVAL_S = 0.001
"""How long a worker thread (rendering /metrics, validating a new table) may hold the GIL
while the event loop waits for it; Python's default is 5 ms."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class GatewayServer(uvicorn.Server):
    """uvicorn's server, stopped gracefully by SIGTERM or SIGINT without dying of the signal.

    uvicorn re-raises a captured signal once it has shut down, which kills the process from
    inside `serve()`: the request log's last lines (flushed every 100 ms) were lost and the
    exit status was 143. Here the signal only stops the server; `serve` then cleans up and
    returns 0 after SIGTERM (a pod stopped as asked) or 130 after SIGINT (the shell's Ctrl-C).
    """

    stop_signal: int | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Route the stop signals to `handle_exit` while serving, then restore them."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only
            return
        previous = {number: signal.signal(number, self.handle_exit) for number in STOP_SIGNALS}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Begin the graceful stop (a second SIGINT forces it), remembering the first signal."""
        if self.stop_signal is None:
            self.stop_signal = sig
        super().handle_exit(sig, frame)


async def serve(settings: GatewaySettings, source: TableSource) -> int:
    """Start the gateway on the running loop and serve until the server stops."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # One `_created` series per labelled child doubles /metrics for nothing Prometheus uses.
    prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
    gateway = Gateway(settings)
    pauses = GcPauses(gateway.metrics.observe_gc_pause)
    pauses.install()
    loop = asyncio.get_running_loop()
    first_table = asyncio.Event()
    watcher = loop.create_task(source.run(_adopting(gateway, first_table)))
    tasks = [watcher]
    if settings.client_keys_file is not None:
        keys_file = KeysFile(settings.client_keys_file)
        keys_file.remember_current()
        keys_run = keys_file.run(gateway.adopt_client_keys, gateway.refuse_client_keys)
        tasks.append(loop.create_task(keys_run))
    limits = ServerLimits(settings.max_body_bytes, settings.body_timeout_s, settings.keep_alive_s)
    config = uvicorn.Config(
        GatewayApp(gateway),
        host=settings.host,
        port=settings.port,
        http=functools.partial(GatewayHttpProtocol, limits=limits),  # type: ignore[arg-type]
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
        date_header=False,
        backlog=4096,
    )
    server = GatewayServer(config)
    tasks.append(loop.create_task(sweeper(server.server_state.connections)()))
    gateway.log.start()
    announcer = asyncio.get_running_loop().create_task(_announce(server, first_table))
    try:
        await server.serve()
    finally:
        for task in (*tasks, announcer):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await gateway.log.stop()
        await gateway.upstreams.close()
        pauses.remove()
    return 130 if server.stop_signal == signal.SIGINT else 0


def _adopting(gateway: Gateway, first_table: asyncio.Event) -> Apply:
    """`gateway.apply_table`, followed by freezing a newly adopted table (and its index, a
    learned router's artefact included) out of the garbage collector's generations; sets
    `first_table` once the first table has been adopted or refused."""

    async def adopt(document: bytes, origin: str) -> bool:
        before = gateway.state
        try:
            adopted = await gateway.apply_table(document, origin)
        finally:
            first_table.set()
        if gateway.state is not before:
            settle_heap()
        return adopted

    return adopt


async def _announce(server: uvicorn.Server, first_table: asyncio.Event) -> None:
    """Print the listening line once the socket is bound and the first table adopted or
    refused (so what a client sees right after the line is the table's doing, not a race with
    its loading; waiting for a table that does not come is bounded), start-up objects frozen."""
    while not server.started:
        await asyncio.sleep(0.01)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(ANNOUNCE_WAIT_S):
            await first_table.wait()
    sockets = [s for srv in server.servers for s in (srv.sockets or ())]
    host, port = sockets[0].getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    settle_heap()
    tune_collector()
    print(f"tierroute gateway listening on http://{shown}:{port}", flush=True)
