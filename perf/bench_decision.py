"""Decision latency (issue 3): features + classification + selection on a parsed body.

Run: .venv/bin/python perf/bench_decision.py [--samples N]

The table is the default policy of `examples/` (the seed's 8-model catalog and budget),
compiled as the operator would. Each sample times `extract_features` + `decide` (which
classifies and selects) on a body parsed beforehand, with a budget ledger as the gateway
passes one. The orjson parse of the same body is timed separately, for reference. Prints a
Markdown table with p50/p99 per body size. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tierroute_gateway.decision.budget import BudgetLedger
from tierroute_gateway.decision.features import extract_features
from tierroute_gateway.decision.index import RoutingIndex, build_index
from tierroute_gateway.decision.select import decide
from tierroute_operator.resolve import compile_manifests

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
PARAGRAPH = (
    "The quarterly report covers revenue, churn and support volume across the three regions. "
    "Each section lists the figures, the trend against last quarter and the owner's notes. "
)


def body_of(tokens: int) -> dict[str, Any]:
    """A chat body of about `tokens` input tokens: a system prompt, a document, a question."""
    document = (PARAGRAPH * (tokens * 4 // len(PARAGRAPH) + 1))[: tokens * 4]
    return {
        "model": "auto",
        "messages": [
            {"role": "system", "content": "You are a careful analyst."},
            {"role": "user", "content": document + "\n\nSummarize short: what changed?"},
        ],
        "max_tokens": 400,
    }


SHORT = {
    "model": "auto",
    "messages": [
        {"role": "user", "content": "Classify this text as positive or negative: 'Great product!'"}
    ],
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in microseconds of samples in nanoseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) / 1000, p99 / 1000


def timed(run: Callable[[], object], samples: int) -> list[float]:
    """`samples` timings of `run` in nanoseconds, after a warm-up."""
    for _ in range(min(samples, 500)):
        run()
    clock = time.perf_counter_ns
    result = []
    for _ in range(samples):
        start = clock()
        run()
        result.append(clock() - start)
    return result


def measure(index: RoutingIndex, body: dict[str, Any], samples: int) -> dict[str, Any]:
    """Decision and parse timings for one body."""
    if index.table.budget is None:
        raise SystemExit("the example policy has no budget")
    ledger = BudgetLedger.from_snapshot(index.table.budget)
    raw = orjson.dumps(body)
    cap = index.max_scan_chars

    def decision() -> object:
        features = extract_features(body, max_scan_chars=cap)
        return decide(index, "auto", features, request_id="bench", now=NOW, ledger=ledger)

    def features_only() -> object:
        return extract_features(body, max_scan_chars=cap)

    chosen = decision()
    return {
        "tokens": extract_features(body, max_scan_chars=cap).input_tokens,
        "bytes": len(raw),
        "model": getattr(chosen, "model", "?"),
        "decision": percentiles(timed(decision, samples)),
        "features": percentiles(timed(features_only, samples)),
        "parse": percentiles(timed(lambda: orjson.loads(raw), max(samples // 10, 200))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20_000, help="samples per body")
    arguments = parser.parse_args()
    index = build_index(compile_manifests([EXAMPLES], "default", now=NOW).table)
    gc.collect()
    gc.freeze()  # as the gateway does after start-up
    rows = [
        ("short prompt", SHORT),
        ("10k-token context", body_of(10_000)),
        ("100k-token context", body_of(100_000)),
    ]
    calibration, _ = percentiles(timed(lambda: sum(range(1000)), 2_000))
    print(
        f"python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}, "
        f"calibration sum(range(1000)) p50 {calibration:.1f} µs, "
        f"max_scan_chars {index.max_scan_chars}, {arguments.samples} samples per body\n"
    )
    print(
        "| body | est. input tokens | JSON bytes | model | decision p50 / p99 | "
        "of which features p50 | orjson parse p50 / p99 |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for name, body in rows:
        result = measure(index, body, arguments.samples)
        (d50, d99), (f50, _), (p50, p99) = result["decision"], result["features"], result["parse"]
        print(
            f"| {name} | {result['tokens']:,} | {result['bytes']:,} | {result['model']} | "
            f"{d50:.1f} µs / {d99:.1f} µs | {f50:.1f} µs | {p50:.1f} µs / {p99:.1f} µs |"
        )


if __name__ == "__main__":
    main()
