"""Gateway throughput and added latency (issue 4), side by side with the ceiling and LiteLLM.

Run: .venv/bin/python perf/bench_gateway.py [--duration 10] [--litellm PATH]

Three targets answer the same chat request from the same `tierroute sim` model (zero added
latency): the simulator itself (the ceiling), the tierroute gateway (real routing, budget
accounting, metrics and a JSON log line per request, written to a file), and LiteLLM's proxy
(`litellm[proxy]` in its own virtualenv, one worker, outside our constraints: `make
perf-tools`) when `--litellm` names its `litellm` executable; with `--floor`, also the
thinnest proxy on the gateway's own server protocol and client (perf/thin_proxy.py). The
gateway, the floor and LiteLLM run pinned to core 0 alone; the simulator and the load
generator (`oha`, one runtime thread; `cargo install oha`) share core 1
(perf/gateway_targets.py).

For each target: throughput at saturation (closed loop), the target's CPU time per request
(so "RPS per core" = 1000 / CPU ms, which holds even when other work shares the machine),
latency p50/p99 at fixed rates (oha `-q` with latency correction) minus the direct run's, and
RSS. At each rate the direct run and the gateway's run come back to back. Each fixed-rate run
waits for a quiet machine first and is repeated (up to `--attempts`) while, during more than
`--disturbance-limit` of it, tasks waited for a CPU or the CPU itself ran slowed down (a
real-time probe on each core); the least disturbed attempt is kept and its disturbance
printed (perf/machine_load.py). Prints Markdown tables. Not a test:
nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psutil
from gateway_targets import LOAD_CORE, gateway, litellm, simulator, thin_proxy
from machine_load import (
    CpuSpeed,
    Disturbance,
    fastest_runs,
    pressure_total_us,
    wait_until_quiet,
    waited_ns,
)

BODY = orjson.dumps(
    {
        "model": "auto",
        "messages": [
            {"role": "user", "content": "Say hello to the world in one short sentence please."}
        ],
    }
)

_SEEN: list[Disturbance] = []
"""Every fixed-rate run's disturbance: the fastest CPU among them is the reference speed."""


@dataclass
class RateRun:
    """One fixed-rate run: latency percentiles (ms), the rate achieved, its disturbance."""

    percentiles: dict[str, float]
    achieved: float
    disturbance: Disturbance
    attempts: int = 1
    quiet_before: bool = True


@dataclass
class Target:
    """One process answering chat requests, and what was measured of it."""

    name: str
    url: str
    process: psutil.Process
    rps: float = 0.0
    cpu_ms: float = 0.0
    errors: int = 0
    runs: dict[int, RateRun] = field(default_factory=dict)
    rss_mb: float = 0.0


def main() -> int:
    """Run every target and print the tables."""
    arguments = _arguments()
    oha = find_oha()
    if oha is None:
        return 2
    arguments.oha = oha
    arguments.rate_list = [int(rate) for rate in arguments.rates.split(",")]
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as scratch:
        work = Path(scratch)
        with simulator(work) as (sim_url, sim):
            with gateway(work, sim_url) as (gateway_url, proxy):
                direct = Target("direct to the simulator", sim_url, sim)
                ours = Target("tierroute gateway", gateway_url, proxy)
                _measure([direct, ours], sim, arguments)
                targets += [direct, ours]
            if arguments.floor:
                with thin_proxy(work, sim_url) as (floor_url, floor):
                    thin = Target("thin proxy on the gateway's stack (floor)", floor_url, floor)
                    _measure([thin], sim, arguments)
                    targets.append(thin)
            if arguments.litellm:
                try:
                    with litellm(work, sim_url, arguments.litellm) as (peer_url, peer):
                        peer_target = Target("LiteLLM proxy", peer_url, peer)
                        _measure([peer_target], sim, arguments)
                        targets.append(peer_target)
                except (RuntimeError, subprocess.SubprocessError) as error:
                    print(f"LiteLLM proxy: not measured: {error}", file=sys.stderr)
    _print_tables(targets, arguments)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (10)")
    parser.add_argument("--concurrency", type=int, default=32, help="saturation clients (32)")
    parser.add_argument("--rates", default="200,500,1000", help="fixed rates (200,500,1000)")
    parser.add_argument("--litellm", help="the litellm executable of a separate virtualenv")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure perf/thin_proxy.py: the gateway's server and client, nothing else",
    )
    parser.add_argument(
        "--attempts", type=int, default=3, help="tries per fixed-rate run while disturbed (3)"
    )
    parser.add_argument(
        "--disturbance-limit",
        type=float,
        default=0.05,
        help="share of a fixed-rate run with CPU pressure or a slowed CPU above which it is "
        "tried again (0.05)",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=120, help="seconds to wait for quiet per run (120)"
    )
    return parser.parse_args()


def _measure(targets: list[Target], sim: psutil.Process, arguments: argparse.Namespace) -> None:
    """Saturation of each target, then each rate for every target back to back."""
    concurrency = str(arguments.concurrency)
    for target in targets:
        _oha(arguments, target, ["-z", "3s", "-c", concurrency])  # warm-up
    for target in targets:
        before = sum(target.process.cpu_times()[:2])
        saturation = _oha(arguments, target, ["-z", f"{arguments.duration}s", "-c", concurrency])
        spent = sum(target.process.cpu_times()[:2]) - before
        target.rps = saturation["summary"]["requestsPerSec"]
        answered = sum(saturation.get("statusCodeDistribution", {}).values())
        target.errors += _failures(saturation)
        target.cpu_ms = spent * 1000 / max(answered, 1)
    for rate in arguments.rate_list:
        for target in targets:
            target.runs[rate] = _rate_run(arguments, target, sim, rate)
    for target in targets:
        target.rss_mb = target.process.memory_info().rss / 2**20


def _rate_run(
    arguments: argparse.Namespace, target: Target, sim: psutil.Process, rate: int
) -> RateRun:
    """The least disturbed of up to `attempts` runs at `rate`."""
    options = [
        "-z", f"{arguments.duration}s", "-q", str(rate), "-c", "64", "--latency-correction",
    ]  # fmt: skip
    best: RateRun | None = None
    best_score = 0.0
    for attempt in range(1, arguments.attempts + 1):
        quiet, _ = wait_until_quiet(arguments.quiet_wait)
        watched = {"target": target.process}
        if sim.pid != target.process.pid:
            watched["sim"] = sim
        disturbance = Disturbance()
        result = _oha(arguments, target, options, disturbance, watched)
        target.errors += _failures(result)
        percentiles = {key: value * 1000 for key, value in result["latencyPercentiles"].items()}
        percentiles["max"] = result["summary"]["slowest"] * 1000
        run = RateRun(percentiles, result["summary"]["requestsPerSec"], disturbance, attempt, quiet)
        _SEEN.append(disturbance)
        score = _score(disturbance)
        if best is None or score < best_score:
            best, best_score = run, score
        best.attempts = attempt
        sustained = run.achieved >= rate * 0.95
        if score <= arguments.disturbance_limit or not sustained:
            break
    assert best is not None
    return best


def _score(disturbance: Disturbance) -> float:
    """How disturbed a run was: CPU pressure or slowed windows, whichever is worse."""
    return max(disturbance.pressure_share, *disturbance.slowed().values())


def find_oha() -> str | None:
    """The oha executable, or None after saying how to get it."""
    oha = shutil.which("oha") or str(Path.home() / ".cargo/bin/oha")
    if Path(oha).exists():
        return oha
    print("oha is missing: cargo install oha (or make perf-tools)", file=sys.stderr)
    return None


def oha_command(oha: str, url: str, options: list[str]) -> list[str]:
    """oha on the load core, one runtime thread, posting the benchmark's chat request."""
    return [
        "taskset", "-c", LOAD_CORE, oha, "--no-tui", "--output-format", "json",
        "--worker-threads", "1", "-m", "POST", "-H", "content-type: application/json",
        "-d", BODY.decode(), *options, f"{url}/v1/chat/completions",
    ]  # fmt: skip


def _oha(
    arguments: argparse.Namespace,
    target: Target,
    options: list[str],
    disturbance: Disturbance | None = None,
    watched: dict[str, psutil.Process] | None = None,
) -> dict[str, Any]:
    command = oha_command(arguments.oha, target.url, options)
    processes = watched or {}
    waits_before = {name: waited_ns(process.pid) for name, process in processes.items()}
    pressure_before, started = pressure_total_us(), time.monotonic()
    speed = CpuSpeed(["0", "1"], arguments.duration) if disturbance is not None else None
    generator = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    generator_wait = _watch_waits(generator)
    stdout, stderr = generator.communicate(timeout=600)
    if generator.returncode != 0:
        raise subprocess.CalledProcessError(generator.returncode, command, stdout, stderr)
    if disturbance is not None:
        disturbance.seconds = time.monotonic() - started
        disturbance.pressure_ms = (pressure_total_us() - pressure_before) / 1000
        for name, process in processes.items():
            disturbance.waited_ms[name] = (waited_ns(process.pid) - waits_before[name]) / 1e6
        disturbance.waited_ms["oha"] = generator_wait() / 1e6
        disturbance.windows_us = speed.windows() if speed is not None else {}
    result: dict[str, Any] = orjson.loads(stdout)
    return result


def _watch_waits(process: subprocess.Popen[bytes]) -> Callable[[], int]:
    """Follow the run-queue wait of a running process; a function giving the last figure."""
    seen = [0]

    def follow() -> None:
        while process.poll() is None:
            seen[0] = max(seen[0], waited_ns(process.pid))
            time.sleep(0.05)

    threading.Thread(target=follow, daemon=True).start()
    return lambda: seen[0]


def _failures(run: dict[str, Any]) -> int:
    codes = run.get("statusCodeDistribution", {})
    failed = sum(count for code, count in codes.items() if code != "200")
    errors = run.get("errorDistribution", {})
    return failed + sum(n for kind, n in errors.items() if kind != "aborted due to deadline")


def _print_tables(targets: list[Target], arguments: argparse.Namespace) -> None:
    direct, rates = targets[0], arguments.rate_list
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {arguments.duration} s per run, "
          f"saturation at concurrency {arguments.concurrency}\n")  # fmt: skip
    header = ["target", "RPS at saturation", "CPU ms / request", "RPS per core (1000 / CPU ms)"]
    header += [f"added p50 / p99 at {rate} RPS (ms)" for rate in rates]
    header += ["RSS (MB)", "non-200"]
    rows = []
    for target in targets:
        cells = [target.name, f"{target.rps:,.0f}", f"{target.cpu_ms:.3f}"]
        cells.append(f"{1000 / target.cpu_ms:,.0f}" if target.cpu_ms else "-")
        for rate in rates:
            run, base = target.runs[rate], direct.runs[rate].percentiles
            p50, p99 = run.percentiles["p50"], run.percentiles["p99"]
            if target is direct:
                cells.append(f"({p50:.2f} / {p99:.2f} absolute)")
                continue
            short = "" if run.achieved >= rate * 0.95 else f" (only {run.achieved:,.0f} RPS)"
            cells.append(f"{p50 - base['p50']:.2f} / {p99 - base['p99']:.2f}{short}")
        rows.append([*cells, f"{target.rss_mb:.0f}", str(target.errors)])
    _print_markdown(header, rows)
    fastest = fastest_runs(_SEEN)
    print("\nEach fixed-rate run, absolute latency (ms) and what it shared the machine with:\n")
    header = ["target", "rate", "p50", "p90", "p99", "p99.9", "max", "attempts", "disturbance"]
    rows = []
    for target in targets:
        for rate in rates:
            run = target.runs[rate]
            figures = [f"{run.percentiles[key]:.2f}" for key in ("p50", "p90", "p99", "p99.9")]
            quiet = "" if run.quiet_before else " (not quiet before)"
            rows.append([target.name, str(rate), *figures, f"{run.percentiles['max']:.1f}",
                         f"{run.attempts}{quiet}", run.disturbance.describe(fastest)])  # fmt: skip
    _print_markdown(header, rows)


def _print_markdown(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" + " ---: |" * (len(header) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    sys.exit(main())
