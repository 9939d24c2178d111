"""`tierroute demo`: a scripted tour of the embedded default, printed as a table.

It starts its own simulator and gateway on free ports from a copy of the manifests whose
budget amounts are set small, so that a category really runs out; then it sends one request
per routing situation, spends the `batch` category until the gateway refuses, breaks the model
a simple request goes to and shows the fallback taking over.
"""

from __future__ import annotations

import base64
import io
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from tierroute_gateway.embedded import EmbeddedStack, StackError, embedded_stack
from tierroute_gateway.manifests_source import MANIFEST_SUFFIXES, CompilerMissingError

# A 1x1 PNG: enough for the gateway to see an image part.
_PIXEL_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
_BUDGET_ROUNDS = 40


@dataclass(frozen=True)
class Outcome:
    """One row of the tour."""

    scenario: str
    route: str
    status: int
    model: str
    tier: str
    latency_ms: float
    cost_usd: str
    note: str


def silent_wav(seconds: float = 0.5, rate: int = 8000) -> str:
    """Base64 of a silent mono 16-bit WAV clip."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(b"\0\0" * int(seconds * rate))
    return base64.b64encode(buffer.getvalue()).decode()


def _user(content: Any, route: str = "auto", **extra: Any) -> dict[str, Any]:
    return {"model": route, "messages": [{"role": "user", "content": content}], **extra}


def tour_requests() -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(scenario, body, headers) of the single-request scenarios."""
    long_report = "Quarterly figures for region {n}: revenue grew, costs fell. "
    return [
        ("simple", _user("Classify this text as positive or negative: 'Great product!'"), {}),
        (
            "complex",
            _user("Analyze our service architecture and design an optimization plan."),
            {},
        ),
        ("coding", _user("Write a Python function that parses ISO 8601 dates."), {}),
        (
            "image",
            _user(
                [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": _PIXEL_PNG}},
                ]
            ),
            {},
        ),
        (
            "audio",
            _user(
                [
                    {"type": "text", "text": "Transcribe this clip."},
                    {"type": "input_audio", "input_audio": {"data": silent_wav(), "format": "wav"}},
                ]
            ),
            {},
        ),
        (
            "long context",
            _user(
                "Summarize the report below.\n"
                + "".join(long_report.format(n=n) for n in range(3000))
            ),
            {},
        ),
    ]


def _call(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any, Any, float]:
    request = urllib.request.Request(
        url,
        data=orjson.dumps(body),
        headers={"content-type": "application/json", **headers},
        method="POST",
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            payload = response.read()
            status, answer_headers = response.status, response.headers
    except urllib.error.HTTPError as error:
        payload, status, answer_headers = error.read(), error.code, error.headers
    elapsed = (time.perf_counter() - started) * 1000
    return status, answer_headers, orjson.loads(payload) if payload else {}, elapsed


def _outcome(scenario: str, route: str, result: tuple[int, Any, Any, float], note: str) -> Outcome:
    status, headers, payload, elapsed = result
    if status >= 400:
        message = payload.get("error", {}).get("message", "") if isinstance(payload, dict) else ""
        note = f"{note}{message}"
    else:
        note = note or headers.get("x-tierroute-reason", "")
    return Outcome(
        scenario=scenario,
        route=route,
        status=status,
        model=headers.get("x-tierroute-model", "-"),
        tier=headers.get("x-tierroute-tier", "-"),
        latency_ms=elapsed,
        cost_usd=headers.get("x-tierroute-cost-usd", "-"),
        note=note,
    )


def run_tour(stack: EmbeddedStack) -> list[Outcome]:
    """Send every scenario to the stack's gateway; the rows in order."""
    completions = f"{stack.gateway_url}/v1/chat/completions"
    rows = [
        _outcome(scenario, body["model"], _call(completions, body, headers), "")
        for scenario, body, headers in tour_requests()
    ]
    rows.append(_spend_batch_budget(completions))
    rows.append(_break_a_provider(stack, completions))
    return rows


def _spend_batch_budget(completions: str) -> Outcome:
    body = _user("Summarize this contract. " + "Clause text. " * 20000, route="batch")
    headers = {"x-tierroute-complexity": "high"}
    result = _call(completions, body, headers)
    for sent in range(1, _BUDGET_ROUNDS + 1):
        if result[0] != 200:
            return _outcome("budget runs out", "batch", result, f"after {sent - 1} requests: ")
        result = _call(completions, body, headers)
    return _outcome("budget runs out", "batch", result, f"still served after {_BUDGET_ROUNDS}: ")


def _break_a_provider(stack: EmbeddedStack, completions: str) -> Outcome:
    _, body, headers = tour_requests()[0]
    status, _, decision, _ = _call(f"{stack.gateway_url}/v1/route", body, headers)
    if status != 200:
        return _outcome("provider fails", "auto", (status, {}, decision, 0.0), "")
    primary = decision["model"]
    served = next(m.provider_model for m in stack.table.models if m.name == primary)
    _patch_sim(stack.sim_url, served, {"faults": {"error_rate": 1.0}})
    try:
        result = _call(completions, body, headers)
    finally:
        _patch_sim(stack.sim_url, served, {"faults": {"error_rate": 0.0}})
    attempts = result[1].get("x-tierroute-attempts", "?")
    return _outcome("provider fails", "auto", result, f"{primary} answers 500; attempts {attempts}")


def _patch_sim(sim_url: str, model: str, patch: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{sim_url}/admin/models/{urllib.parse.quote(model, safe='')}",
        data=orjson.dumps(patch),
        headers={"content-type": "application/json"},
        method="PATCH",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def format_rows(rows: Sequence[Outcome]) -> str:
    """The tour as a fixed-width table."""
    header = (
        f"{'scenario':17} {'route':6} {'status':>6} {'model':18} {'tier':9} {'ms':>7} "
        f"{'cost $':>11}  note"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        note = row.note if len(row.note) <= 90 else row.note[:87] + "..."
        lines.append(
            f"{row.scenario:17} {row.route:6} {row.status:>6} {row.model:18} {row.tier:9} "
            f"{row.latency_ms:7.0f} {row.cost_usd:>11}  {note}"
        )
    return "\n".join(lines)


def copy_with_budget(paths: Sequence[Path], amount: str, into: Path) -> list[Path]:
    """Copy the manifests under `paths` into `into`, every BudgetAllocation set to `amount`."""
    written = []
    files = [
        file
        for path in paths
        for file in (sorted(path.rglob("*")) if path.is_dir() else [path])
        if file.suffix in MANIFEST_SUFFIXES and file.is_file()
    ]
    for number, file in enumerate(files):
        documents = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "BudgetAllocation":
                document.setdefault("spec", {})["amount"] = amount
        target = into / f"{number:02d}-{file.stem}.yaml"
        target.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
        written.append(target)
    return written


def run_demo(manifests: Sequence[Path], policy: str | None, *, budget_usd: str, seed: int) -> int:
    """Run the tour and print it; 0 when it ran, 2 when the stack could not start."""
    with tempfile.TemporaryDirectory(prefix="tierroute-demo-") as workdir:
        folder = Path(workdir) / "manifests"
        folder.mkdir()
        try:
            copy_with_budget(manifests, budget_usd, folder)
            with embedded_stack(
                [folder], policy, workdir=Path(workdir), port=0, seed=seed
            ) as stack:
                print(
                    f"tour of policy {stack.table.source.policy}, budget ${budget_usd}", flush=True
                )
                print(format_rows(run_tour(stack)))
        except (OSError, yaml.YAMLError, ValueError, CompilerMissingError, StackError) as error:
            print(f"tierroute demo: {error}", file=sys.stderr)
            return 2
    return 0
