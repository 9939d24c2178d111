"""Learned-router decision time (issue 10): featurize + predict + choose for one prompt.

Run: .venv/bin/python perf/bench_learned_router.py ROUTER.json [--samples N]

ROUTER.json is an artefact of `tierroute router fit` (e.g. fitted on the RouterBench slice's
train rows, 11 models). Each sample times `Predictor.predict` (hashed n-grams of the prompt's
tail, one logistic score per model) and `choose` with the artefact's default rule, pinned to
one core, on prompts of about 100, 500, 2,000 and 8,000 tokens (English text, ≈ 4 characters
per token). Prints a Markdown table with p50/p99 per size. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from pathlib import Path

from tierroute_gateway.learned_router import Predictor, choose, load_learned_router

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


def main() -> None:
    """Print the table."""
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
        timings = sorted(measure(predictor, prompt, arguments.samples))
        p99 = timings[int(len(timings) * 0.99) - 1]
        print(f"| {tokens:,} | {statistics.median(timings):.0f} | {p99:.0f} | {timings[-1]:.0f} |")


if __name__ == "__main__":
    main()
