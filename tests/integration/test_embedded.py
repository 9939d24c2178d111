"""The embedded default: `tierroute run`, `tierroute demo` and `gateway --manifests`, each a
real process tree of simulator and gateway, driven over HTTP."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import openai

from tests.helpers.processes import started
from tierroute_gateway.decision.features import extract_features
from tierroute_gateway.decision.index import build_index
from tierroute_gateway.decision.select import decide
from tierroute_gateway.routing_table import RoutingTable
from tierroute_operator.resolve import compile_manifests

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = REPOSITORY / "examples"
TIERROUTE = [sys.executable, "-m", "tierroute_gateway.cli"]
SIMPLE = "Classify this text as positive or negative: 'Great product!'"


def _compiled(paths: list[Path]) -> RoutingTable:
    return compile_manifests(paths, "default", now=datetime.now(UTC)).table


def _expected_model(table: RoutingTable, prompt: str, route: str = "auto") -> str:
    body = {"model": route, "messages": [{"role": "user", "content": prompt}]}
    index = build_index(table)
    features = extract_features(body, max_scan_chars=index.max_scan_chars)
    return decide(index, route, features, request_id="test", now=datetime.now(UTC)).model


def test_run_serves_the_examples_to_the_openai_sdk() -> None:
    command = [*TIERROUTE, "run", "--manifests", str(EXAMPLES), "--policy", "default"]
    with started([*command, "--port", "0"], ready=re.compile(r"^gateway: (\S+)")) as run:
        client = openai.OpenAI(base_url=f"{run.url}/v1", api_key="unused", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": SIMPLE}]
        )
        completion = raw.parse()
        assert raw.headers["x-tierroute-model"] == _expected_model(_compiled([EXAMPLES]), SIMPLE)
        assert completion.choices[0].message.content
        assert float(raw.headers["x-tierroute-cost-usd"]) > 0
        assert "curl -si" in run.output()


def test_demo_tours_budget_exhaustion_and_fallback() -> None:
    result = subprocess.run(
        [*TIERROUTE, "demo", "--manifests", str(EXAMPLES), "--policy", "default",
         "--budget-usd", "1.00"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # columns: scenario (17 characters), route, status, model, tier, ms, cost, note...
    rows = {line[:17].strip(): line[17:].split() for line in result.stdout.splitlines()[3:]}
    table = _compiled([EXAMPLES])
    assert rows["simple"][2] == _expected_model(table, SIMPLE)
    budget = rows["budget runs out"]
    assert budget[1] == "429"
    assert "exhausted" in " ".join(budget)
    failure = rows["provider fails"]
    broken = failure[failure.index("answers") - 1]
    assert failure[1] == "200"
    assert failure[2] != broken


def test_gateway_recompiles_changed_manifests_and_keeps_serving_a_broken_change(
    tmp_path: Path,
) -> None:
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    table = _compiled([manifests])
    chosen = _expected_model(table, SIMPLE)
    with started([*TIERROUTE, "run", "--manifests", str(manifests), "--policy", "default",
                  "--port", "0"], ready=re.compile(r"^gateway: (\S+)")) as run:  # fmt: skip
        body = {"model": "auto", "messages": [{"role": "user", "content": SIMPLE}]}
        first = httpx.post(f"{run.url}/v1/route", json=body, timeout=30).json()
        assert first["model"] == chosen

        catalog = manifests / "seed-catalog.yaml"
        original = catalog.read_text()
        catalog.write_text(
            original.replace(f"- name: {chosen}\n", f"- name: {chosen}\n      disabled: true\n")
        )
        moved = _wait_for_decision(run.url, body, lambda decision: decision["model"] != chosen)
        assert moved["model"] == _expected_model(_compiled([manifests]), SIMPLE)

        catalog.write_text("kind: [this is not a manifest\n")
        time.sleep(3)  # a few polls of the folder: the broken file must change nothing
        kept = httpx.post(f"{run.url}/v1/route", json=body, timeout=30).json()
        assert kept["model"] == moved["model"]
        assert "manifests_refused" in run.output()


def _wait_for_decision(url: str, body: dict[str, object], done: object) -> dict[str, str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        decision: dict[str, str] = httpx.post(f"{url}/v1/route", json=body, timeout=30).json()
        if callable(done) and done(decision):
            return decision
        time.sleep(0.2)
    raise AssertionError(f"the gateway did not pick up the change: {decision}")
