"""Gateway throughput and added latency (issue 4), side by side with the ceiling and LiteLLM.

Run: .venv/bin/python perf/bench_gateway.py [--duration 10] [--litellm PATH]

Three targets answer the same chat request from the same `tierroute sim` model (zero added
latency): the simulator itself (the ceiling), the tierroute gateway (real routing, budget
accounting, metrics and a JSON log line per request, written to a file), and LiteLLM's proxy
(`litellm[proxy]` in its own virtualenv, one worker, outside our constraints:
`python3 -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install 'litellm[proxy]'`)
when `--litellm` names its `litellm` executable. The gateway and LiteLLM run pinned to core 0
alone; the simulator and the load generator (`oha`, closed loop; `cargo install oha`) share
core 1, so the direct run shows the ceiling of simulator plus load generator on one core.

For each target: throughput at saturation, the target's CPU time per request (so "RPS per
core" = 1000 / CPU ms, which holds even when other work shares the machine), latency p50/p99
at fixed rates (oha `-q` with latency correction) minus the direct run's, and RSS. Prints a
Markdown table. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

BODY = orjson.dumps(
    {
        "model": "auto",
        "messages": [
            {"role": "user", "content": "Say hello to the world in one short sentence please."}
        ],
    }
)
TARGET_CORE = "0"
LOAD_CORE = "1"


@dataclass
class Figures:
    """What was measured for one target."""

    name: str
    rps: float = 0.0
    cpu_ms: float = 0.0
    errors: int = 0
    latency: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    rss_mb: float = 0.0


def main() -> int:
    """Run every target and print the table."""
    arguments = _arguments()
    oha = shutil.which("oha") or str(Path.home() / ".cargo/bin/oha")
    if not Path(oha).exists():
        print("oha is missing: cargo install oha", file=sys.stderr)
        return 2
    rates = [int(rate) for rate in arguments.rates.split(",")]
    arguments.oha, arguments.rate_list = oha, rates
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as scratch:
        work = Path(scratch)
        with _sim(work) as sim_url:
            plan = [("direct to the simulator", sim_url, None)]
            plan.append(("tierroute gateway", None, lambda: _gateway(work, sim_url)))
            if arguments.litellm:
                plan.append(("LiteLLM proxy", None, lambda: _litellm(work, sim_url, arguments)))
            for name, url, starter in plan:
                try:
                    results.append(_run_target(name, url, starter, arguments))
                except (RuntimeError, subprocess.SubprocessError) as error:
                    print(f"{name}: not measured: {error}", file=sys.stderr)
    _print_table(results, rates, arguments)
    return 0


def _run_target(name: str, url: str | None, starter: Any, arguments: argparse.Namespace) -> Figures:
    if starter is None:
        return _measure(name, str(url), _pid_listening(str(url)), arguments)
    with starter() as (target_url, process):
        return _measure(name, target_url, process, arguments)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (10)")
    parser.add_argument("--concurrency", type=int, default=32, help="saturation clients (32)")
    parser.add_argument("--rates", default="200,500,1000", help="fixed rates (200,500,1000)")
    parser.add_argument("--litellm", help="the litellm executable of a separate virtualenv")
    return parser.parse_args()


def _measure(
    name: str, url: str, process: psutil.Process, arguments: argparse.Namespace
) -> Figures:
    oha: str = arguments.oha
    concurrency = str(arguments.concurrency)
    figures = Figures(name)
    endpoint = f"{url}/v1/chat/completions"
    _oha(oha, endpoint, ["-z", "3s", "-c", concurrency])  # warm-up
    before = sum(process.cpu_times()[:2])
    saturation = _oha(oha, endpoint, ["-z", f"{arguments.duration}s", "-c", concurrency])
    spent = sum(process.cpu_times()[:2]) - before
    figures.rps = saturation["summary"]["requestsPerSec"]
    answered = sum(saturation.get("statusCodeDistribution", {}).values())
    figures.errors = _failures(saturation)
    figures.cpu_ms = spent * 1000 / max(answered, 1)
    for rate in arguments.rate_list:
        run = _oha(
            oha,
            endpoint,
            ["-z", f"{arguments.duration}s", "-q", str(rate), "-c", "64", "--latency-correction"],
        )
        percentiles = run["latencyPercentiles"]
        figures.latency[rate] = (
            percentiles["p50"] * 1000,
            percentiles["p99"] * 1000,
            run["summary"]["requestsPerSec"],
        )
        figures.errors += _failures(run)
    figures.rss_mb = process.memory_info().rss / 2**20
    return figures


def _failures(run: dict[str, Any]) -> int:
    codes = run.get("statusCodeDistribution", {})
    failed = sum(count for code, count in codes.items() if code != "200")
    errors = run.get("errorDistribution", {})
    return failed + sum(n for kind, n in errors.items() if kind != "aborted due to deadline")


def _oha(oha: str, url: str, options: list[str]) -> dict[str, Any]:
    command = [
        "taskset", "-c", LOAD_CORE, oha, "--no-tui", "--output-format", "json", "-m", "POST",
        "-H", "content-type: application/json", "-d", BODY.decode(), *options, url,
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, check=True, timeout=600)
    result: dict[str, Any] = orjson.loads(completed.stdout)
    return result


@contextmanager
def _sim(work: Path) -> Iterator[str]:
    profile = work / "sim.json"
    profile.write_bytes(
        orjson.dumps(
            {"models": [{"name": "bench-model", "aliases": ["auto"], "answer_tokens": 16}]}
        )
    )
    command = [sys.executable, "-m", "tierroute_gateway.cli", "sim", "--profile", str(profile)]
    with _started(command, work / "sim.log", LOAD_CORE) as (url, _):
        yield url


@contextmanager
def _gateway(work: Path, sim_url: str) -> Iterator[tuple[str, psutil.Process]]:
    config = work / "routing.json"
    config.write_bytes(orjson.dumps(_table(sim_url)))
    command = [
        sys.executable, "-m", "tierroute_gateway.cli", "gateway", "--config", str(config),
        "--port", "0",
    ]  # fmt: skip
    with _started(command, work / "gateway.log", TARGET_CORE) as started:
        yield started


@contextmanager
def _litellm(
    work: Path, sim_url: str, arguments: argparse.Namespace
) -> Iterator[tuple[str, psutil.Process]]:
    config = work / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        "  - model_name: auto\n"
        "    litellm_params:\n"
        "      model: openai/bench-model\n"
        f"      api_base: {sim_url}/v1\n"
        "      api_key: sk-bench\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
        "  turn_off_message_logging: true\n"
        "general_settings:\n"
        "  disable_spend_logs: true\n"
    )
    port = _free_port()
    command = [
        arguments.litellm, "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
        "--num_workers", "1",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    # No network here: skip the price-list fetch. Like the gateway in this benchmark (no client
    # keys), the proxy runs without authentication, which it allows only when told so.
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ["LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY"] = "true"
    os.environ["LITELLM_LOG"] = "ERROR"
    with _started(command, work / "litellm.log", TARGET_CORE, ready_url=url) as started:
        yield started


@contextmanager
def _started(
    command: list[str], log: Path, core: str, ready_url: str | None = None
) -> Iterator[tuple[str, psutil.Process]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["taskset", "-c", core, *command],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        url = _wait_ready(process, log, ready_url)
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=15)


def _wait_ready(process: subprocess.Popen[bytes], log: Path, ready_url: str | None) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited:\n{log.read_text(errors='replace')[-3000:]}")
        if ready_url is not None:
            try:
                if httpx.get(f"{ready_url}/health/liveliness", timeout=1).status_code == 200:
                    return ready_url
            except httpx.HTTPError:
                pass
        else:
            for line in log.read_text(errors="replace").splitlines():
                if "listening on " in line:
                    return line.split("listening on ", 1)[1].split()[0]
        time.sleep(0.2)
    raise RuntimeError(f"{process.args} did not become ready:\n{log.read_text(errors='replace')}")


def _pid_listening(url: str) -> psutil.Process:
    port = int(url.rsplit(":", 1)[1])
    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == "LISTEN":
            return psutil.Process(connection.pid)
    raise RuntimeError(f"no process listens on {url}")


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _table(sim_url: str) -> dict[str, Any]:
    """A one-model routing table pointing at the simulator, with a budget to account."""
    step = {
        "model": "defaults",
        "maxRetries": 2,
        "timeoutMs": 30000,
        "retryOn": ["connection", "rate_limit", "server_error", "timeout"],
    }
    model = {
        "name": "bench-model",
        "provider": "sim",
        "providerModel": "bench-model",
        "tier": "economy",
        "pricing": {"inputPerMillion": "0.15", "outputPerMillion": "0.60"},
        "contextWindow": 128000,
        "maxOutputTokens": 4096,
        "capabilities": ["coding", "reasoning", "vision"],
        "latencyMs": 100,
        "quality": "0.8",
        "tokensPerImage": 765,
    }
    return {
        "schemaVersion": 1,
        "source": {"namespace": "bench", "policy": "bench", "catalog": "bench"},
        "providers": [
            {
                "name": "sim",
                "api": "openai",
                "baseUrl": f"{sim_url}/v1",
                "timeoutMs": 30000,
                "connectTimeoutMs": 2000,
            }
        ],
        "models": [model],
        "routes": [{"name": "auto", "category": "default", "strategy": "cost-optimized"}],
        "classification": {
            "complexPatterns": [r"\b(analyze|synthesize|compare|evaluate|design)\b"],
            "simplePatterns": [r"\b(format|convert|translate simple)\b"],
            "capabilityPatterns": {"coding": [r"\b(code|function|class|program)\b"]},
            "highComplexityContextTokens": 50000,
            "longContextTokens": 32000,
            "maxScanChars": 8192,
        },
        "tierPriority": {
            "high": ["premium", "standard", "economy"],
            "medium": ["standard", "premium", "economy"],
            "low": ["economy", "standard", "premium"],
        },
        "constraints": {},
        "fallback": {"defaults": step},
        "qualityGate": {"enabled": False, "escalateOn": []},
        "budget": {
            "name": "bench",
            "currency": "USD",
            "periodStart": "2026-01-01T00:00:00+00:00",
            "periodEnd": "2099-01-01T00:00:00+00:00",
            "categories": [
                {"name": "default", "allocated": "1000000", "spent": "0", "whenExhausted": "reject"}
            ],
        },
    }


def _print_table(results: list[Figures], rates: list[int], arguments: argparse.Namespace) -> None:
    direct = results[0]
    print(f"{datetime.now(UTC):%Y-%m-%d}, {arguments.duration} s per run, "
          f"saturation at concurrency {arguments.concurrency}\n")  # fmt: skip
    header = ["target", "RPS at saturation", "CPU ms / request", "RPS per core (1000 / CPU ms)"]
    header += [f"added p50 / p99 at {rate} RPS (ms)" for rate in rates]
    header += ["RSS (MB)", "non-200"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" + " ---: |" * (len(header) - 1))
    for figures in results:
        cells = [
            figures.name,
            f"{figures.rps:,.0f}",
            f"{figures.cpu_ms:.3f}",
            f"{1000 / figures.cpu_ms:,.0f}" if figures.cpu_ms else "-",
        ]
        for rate in rates:
            p50, p99, achieved = figures.latency[rate]
            if figures is direct:
                cells.append(f"({p50:.2f} / {p99:.2f} absolute)")
            else:
                base50, base99, _ = direct.latency[rate]
                shortfall = "" if achieved >= rate * 0.95 else f" (only {achieved:,.0f} RPS)"
                cells.append(f"{p50 - base50:.2f} / {p99 - base99:.2f}{shortfall}")
        cells += [f"{figures.rss_mb:.0f}", str(figures.errors)]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
