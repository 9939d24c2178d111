"""The embedded default: a simulated provider and a gateway from a folder of manifests, no
cluster. `tierroute run` (what `make run` starts) and `tierroute demo` stand on it.

Both servers run as child processes of this one, each announcing `listening on URL`; the
gateway compiles the manifests itself (`--manifests`, recompiling on change) and sends every
provider's traffic to the simulator (`--upstream-override`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tierroute_gateway.manifests_source import load_compiler
from tierroute_gateway.routing_table import RoutingTable, load_routing_table

_LISTENING = re.compile(r"listening on (\S+)")
SIM_API_KEY = "sim-key"
"""The key the gateway sends the simulator (it accepts any)."""


class StackError(RuntimeError):
    """A server of the stack did not start; the message holds its last output."""


@dataclass
class ChildServer:
    """A server process started by this one, and what it printed."""

    name: str
    process: subprocess.Popen[str]
    url: str = ""
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=50))


def start_server(
    name: str, argv: Sequence[str], *, env: Mapping[str, str], echo: bool, deadline_s: float = 60
) -> ChildServer:
    """Start `argv` and wait until it says where it listens."""
    process = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(env),
        start_new_session=True,
    )
    child = ChildServer(name, process)
    announced = threading.Event()

    def drain() -> None:
        if process.stdout is None:
            return
        for line in process.stdout:
            child.lines.append(line.rstrip("\n"))
            match = _LISTENING.search(line)
            if match and not child.url:
                child.url = match.group(1)
                announced.set()
            elif echo:
                sys.stderr.write(f"[{name}] {line}")

    threading.Thread(target=drain, name=f"{name}-output", daemon=True).start()
    started = time.monotonic()
    while not announced.wait(0.05):
        if process.poll() is not None or time.monotonic() - started > deadline_s:
            stop_server(child)
            output = "\n".join(child.lines)
            raise StackError(f"{name} did not start:\n{output}")
    return child


def stop_server(child: ChildServer, deadline_s: float = 10) -> None:
    """SIGTERM the server's process group, SIGKILL it after the deadline."""
    if child.process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGTERM)
        try:
            child.process.wait(deadline_s)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()


def wait_until_ready(child: ChildServer, deadline_s: float = 60) -> None:
    """Wait until the gateway's /readyz answers 200 (a valid table is loaded)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        if child.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{child.url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    output = "\n".join(child.lines)
    raise StackError(f"{child.name} did not become ready (no valid routing table):\n{output}")


def simulator_catalog(table: RoutingTable) -> dict[str, Any]:
    """A ModelCatalog document for `tierroute sim` serving every model of the table."""
    return {
        "apiVersion": "tierroute.io/v1alpha1",
        "kind": "ModelCatalog",
        "metadata": {"name": table.source.catalog},
        "spec": {
            "providers": [
                {"name": p.name, "api": p.api.value, "baseURL": p.base_url} for p in table.providers
            ],
            "models": [
                {
                    "name": m.name,
                    "provider": m.provider,
                    "providerModel": m.provider_model,
                    "tier": m.tier.value,
                    "latency": f"{m.latency_ms}ms",
                    "quality": m.quality,
                    "capabilities": [c.value for c in m.capabilities],
                }
                for m in table.models
            ],
        },
    }


@dataclass(frozen=True)
class EmbeddedStack:
    """A running simulator and gateway."""

    gateway_url: str
    sim_url: str
    table: RoutingTable
    servers: tuple[ChildServer, ...]


@contextmanager
def embedded_stack(
    manifests: Sequence[Path],
    policy: str | None,
    *,
    workdir: Path,
    port: int,
    seed: int = 0,
    echo: bool = False,
) -> Iterator[EmbeddedStack]:
    """Start the simulator and the gateway for the policy under `manifests`; stop them after.

    Raises ValueError when the manifests do not compile and StackError when a server fails.
    """
    table = load_routing_table(load_compiler()(manifests, policy))
    catalog = workdir / "simulated-catalog.json"
    catalog.write_bytes(orjson.dumps(simulator_catalog(table)))
    program = [sys.executable, "-m", "tierroute_gateway.cli"]
    keys = {p.credential.env: SIM_API_KEY for p in table.providers if p.credential is not None}
    environment = {**os.environ, **keys}
    sim = start_server(
        "sim",
        [*program, "sim", "--catalog", str(catalog), "--port", "0", "--seed", str(seed)],
        env=environment,
        echo=echo,
    )
    gateway: ChildServer | None = None
    try:
        gateway = start_server(
            "gateway",
            [
                *program,
                "gateway",
                "--manifests",
                *(str(path) for path in manifests),
                "--policy",
                table.source.policy,
                "--upstream-override",
                f"{sim.url}/v1",
                "--port",
                str(port),
                "--credentials-dir",
                str(workdir / "no-credentials-directory"),
            ],
            env=environment,
            echo=echo,
        )
        wait_until_ready(gateway)
    except BaseException:
        if gateway is not None:
            stop_server(gateway)
        stop_server(sim)
        raise
    try:
        yield EmbeddedStack(
            gateway_url=gateway.url, sim_url=sim.url, table=table, servers=(sim, gateway)
        )
    finally:
        stop_server(gateway)
        stop_server(sim)


def wait_for_exit(servers: Sequence[ChildServer]) -> ChildServer | None:
    """Block until SIGINT or SIGTERM (None) or until a server exits (that server)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        for child in servers:
            if child.process.poll() is not None:
                return child
    return None
