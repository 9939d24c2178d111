"""Learned-router decision time (issue 10): the predictor alone, and the gateway's `decide()`.

Run: .venv/bin/python perf/bench_learned_router.py ROUTER.json [--samples N] [--cpu N]

ROUTER.json is an artefact of `tierroute router fit` (e.g. fitted on the RouterBench slice's
train rows, 11 models). Pinned to one core, on prompts of about 100, 500, 2,000 and 8,000
tokens (English text, ≈ 4 characters per token), two tables with p50/p99 per size:

1. the predictor: `Predictor.predict` (hashed n-grams of the prompt's tail, one logistic
   score per model) and `choose` with the artefact's default rule;
2. the gateway's whole decision on a `learned` route: `extract_features` of the parsed body
   plus `decide()` (classification, budget standing, eligibility, the learned router over
   every eligible model, the fallback chain and the reason), on a routing table whose
   catalog holds the artefact's models (its prices; tiers by price thirds; every
   capability) and whose `learnedRouter` carries the artefact with its operating point.

Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tierroute_bench.routing_eval.outcomes import Price
from tierroute_bench.routing_eval.rule_router import policy_table
from tierroute_gateway.decision import build_index, decide, extract_features
from tierroute_gateway.decision.index import RoutingIndex
from tierroute_gateway.learned_router import (
    LearnedRouter,
    Predictor,
    artefact_hash,
    choose,
    load_learned_router,
)
from tierroute_gateway.routing_table import LearnedRouting, RoutingTable, Strategy, Tier

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)

_TEXT = (
    "which of the following statements best explains why magnets usually stick to a "
    "refrigerator door the door contains iron write a python function to find the shared "
    "elements from the given two lists the trophy does not fit into the brown suitcase "
    "because it is too large compute the integral and explain every step of the reasoning"
)
_WORDS = _TEXT.split(" ")


def prompt_of(tokens: int) -> str:
    """About `tokens` tokens of text (4 characters each), deterministic."""
    words: list[str] = []
    characters = 0
    index = 0
    while characters < tokens * 4:
        word = _WORDS[(index * 7) % len(_WORDS)] + (str(index % 13) if index % 5 == 0 else "")
        words.append(word)
        characters += len(word) + 1
        index += 1
    return " ".join(words)


def measure(predictor: Predictor, prompt: str, samples: int) -> list[float]:
    """Microseconds per decision."""
    point = predictor.router.operating_point
    timings = []
    gc.disable()
    try:
        for _ in range(samples):
            start = time.perf_counter_ns()
            prediction = predictor.predict(prompt)
            choose(prediction, point.rule, point.value)
            timings.append((time.perf_counter_ns() - start) / 1000)
    finally:
        gc.enable()
    return timings


def _decimal(value: float) -> str:
    return f"{value:.6f}"


def learned_table(router: LearnedRouter) -> RoutingTable:
    """The routing-eval policy table of the artefact's models (cheapest third economy, next
    third standard, the rest premium), its only route `learned`, the artefact inline."""
    by_price = sorted(router.models, key=lambda m: (m.input_per_million, m.name))
    third = max(1, len(by_price) // 3)
    tiers = {m.name: Tier.ECONOMY for m in by_price[:third]}
    tiers.update({m.name: Tier.STANDARD for m in by_price[third : 2 * third]})
    catalog = {m.name: (tiers.get(m.name, Tier.PREMIUM), 0.8) for m in router.models}
    prices = {m.name: Price(m.input_per_million, m.output_per_million) for m in router.models}
    point = router.operating_point
    learned = LearnedRouting(
        artefact_hash=artefact_hash(router),
        source="perf",
        rule=point.rule,
        value=_decimal(point.value),
        artefact=router,
    )
    table = policy_table(catalog, prices, Strategy.LEARNED, min_quality=None)
    return table.model_copy(update={"learned_router": learned})


def measure_decide(index: RoutingIndex, body: dict[str, Any], samples: int) -> list[float]:
    """Microseconds per `extract_features` + `decide()` on a parsed body."""
    cap = index.max_scan_chars
    timings = []
    gc.disable()
    try:
        for number in range(samples):
            start = time.perf_counter_ns()
            features = extract_features(body, max_scan_chars=cap)
            decide(index, "auto", features, request_id=f"r{number}", now=NOW)
            timings.append((time.perf_counter_ns() - start) / 1000)
    finally:
        gc.enable()
    return timings


def _row(tokens: int, timings: list[float], extra: str = "") -> str:
    timings = sorted(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    median = statistics.median(timings)
    return f"| {tokens:,} | {median:.0f} | {p99:.0f} | {timings[-1]:.0f} |{extra}"


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("router", help="artefact written by `tierroute router fit`")
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--cpu", type=int, default=0, help="core to pin to")
    arguments = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {arguments.cpu})
    router = load_learned_router(Path(arguments.router).read_bytes())
    predictor = Predictor(router)
    print(f"{platform.python_implementation()} {platform.python_version()}, core {arguments.cpu}, "
          f"{len(router.models)} models, {len(router.buckets):,} buckets, "
          f"max_chars {router.features.max_chars}, rule {router.operating_point.rule}")  # fmt: skip
    print("\n| prompt tokens | p50 µs | p99 µs | max µs |\n| ---: | ---: | ---: | ---: |")
    for tokens in (100, 500, 2000, 8000):
        prompt = prompt_of(tokens)
        measure(predictor, prompt, 200)  # warm-up
        print(_row(tokens, measure(predictor, prompt, arguments.samples)))
    index = build_index(learned_table(router))
    print("\nextract_features + decide() on a `learned` route (whole decision):")
    print("\n| prompt tokens | p50 µs | p99 µs | max µs | model |")
    print("| ---: | ---: | ---: | ---: | --- |")
    for tokens in (100, 500, 2000, 8000):
        body = {"model": "auto", "messages": [{"role": "user", "content": prompt_of(tokens)}]}
        measure_decide(index, body, 200)  # warm-up
        features = extract_features(body, max_scan_chars=index.max_scan_chars)
        chosen = decide(index, "auto", features, request_id="r", now=NOW).model
        print(_row(tokens, measure_decide(index, body, arguments.samples), f" {chosen} |"))


if __name__ == "__main__":
    main()
