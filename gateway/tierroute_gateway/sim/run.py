"""Run the simulator as a process: bind, say where, serve until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import gc
import signal
import socket
import sys

from aiohttp import web

from tierroute_gateway.sim.profile import SimProfile
from tierroute_gateway.sim.server import build_app
from tierroute_gateway.sim.state import SimState

SHUTDOWN_GRACE_S = 1.0
"""How long requests in flight (a hanging timeout fault, say) get when the process stops."""


def run_sim(profile: SimProfile, *, host: str, port: int, seed: int) -> int:
    """Serve `profile` on `host:port` (0 = a free port) and print the address on stdout."""
    try:
        import uvloop  # noqa: PLC0415  (optional: faster event loop where installed)
    except ImportError:
        return asyncio.run(_serve(profile, host, port, seed))
    return uvloop.run(_serve(profile, host, port, seed))


async def _serve(profile: SimProfile, host: str, port: int, seed: int) -> int:
    try:
        listener = _bind(host, port)
    except OSError as error:
        print(f"tierroute sim: cannot listen on {host}:{port}: {error.strerror}", file=sys.stderr)
        return 1
    state = SimState(profile, seed)
    runner = web.AppRunner(
        build_app(state),
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_GRACE_S,
    )
    await runner.setup()
    await web.SockSite(runner, listener, backlog=4096).start()
    bound_host, bound_port = listener.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"tierroute sim listening on http://{shown}:{bound_port}", flush=True)
    names = ", ".join(model.name for model in profile.models)
    print(f"tierroute sim: {len(profile.models)} models ({names}), seed {seed}", file=sys.stderr)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    gc.collect()
    gc.freeze()  # start-up objects never die: keep them out of every collection
    await stop.wait()
    await runner.cleanup()
    return 0


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on the first address `host` resolves to."""
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listener = socket.socket(family, kind, protocol)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(address)
    listener.listen(4096)
    listener.setblocking(False)
    return listener
