"""The three targets of perf/bench_gateway.py, started as real processes on pinned cores.

The simulator (`tierroute sim`, one model answering at once with 16 tokens), the tierroute
gateway in front of it (a one-model routing table with a budget, so every request is routed,
accounted and logged as in production) and LiteLLM's proxy configured with the same model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

TARGET_CORE = "0"
LOAD_CORE = "1"


@contextmanager
def simulator(work: Path) -> Iterator[tuple[str, psutil.Process]]:
    """The simulator on the load core; its URL and process."""
    profile = work / "sim.json"
    profile.write_bytes(
        orjson.dumps(
            {"models": [{"name": "bench-model", "aliases": ["auto"], "answer_tokens": 16}]}
        )
    )
    command = [sys.executable, "-m", "tierroute_gateway.cli", "sim", "--profile", str(profile)]
    with _started(command, work / "sim.log", LOAD_CORE) as started:
        yield started


@contextmanager
def gateway(
    work: Path, sim_url: str, source: Path | None = None
) -> Iterator[tuple[str, psutil.Process]]:
    """The tierroute gateway alone on the target core, in front of the simulator; from the
    checkout `source` (a git worktree of another commit) instead of this one, if given."""
    config = work / "routing.json"
    config.write_bytes(orjson.dumps(routing_table(sim_url)))
    command = [
        sys.executable, "-m", "tierroute_gateway.cli", "gateway", "--config", str(config),
        "--port", "0",
    ]  # fmt: skip
    env = None
    if source is not None:
        roots = [str(source / package) for package in ("gateway", "operator", "bench")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(roots)}
    log = work / ("gateway.log" if source is None else f"gateway-{source.name}.log")
    with _started(command, log, TARGET_CORE, env=env) as started:
        yield started


@contextmanager
def thin_proxy(work: Path, sim_url: str) -> Iterator[tuple[str, psutil.Process]]:
    """The floor: perf/thin_proxy.py alone on the target core, in front of the simulator."""
    port = _free_port()
    script = Path(__file__).with_name("thin_proxy.py")
    command = [sys.executable, str(script), sim_url, str(port)]
    with _started(command, work / "thin-proxy.log", TARGET_CORE) as started:
        yield started


@contextmanager
def litellm(work: Path, sim_url: str, executable: str) -> Iterator[tuple[str, psutil.Process]]:
    """LiteLLM's proxy alone on the target core, configured with the simulator's model."""
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
        executable, "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
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
    command: list[str],
    log: Path,
    core: str,
    ready_url: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, psutil.Process]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["taskset", "-c", core, *command],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
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


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def routing_table(sim_url: str) -> dict[str, Any]:
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
