"""Synthetic outcome rows for the routing-eval tests: the right answer is known."""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson

from tierroute_bench.results import Outcome, ResultRecord, ResultWriter
from tierroute_bench.routing_eval.commands import register
from tierroute_bench.routing_eval.outcomes import ModelOutcome, OutcomeRow, Price

PRICES = {"cheap": Price(0.2, 0.2), "dear": Price(10.0, 30.0)}


def outcome(model: str, score: float, prompt_tokens: int = 100) -> ModelOutcome:
    """One model's outcome priced with `PRICES`, 10 completion tokens."""
    price = PRICES[model]
    cost = (prompt_tokens * price.input + 10 * price.output) / 1_000_000
    return ModelOutcome(score=score, cost=cost, prompt_tokens=prompt_tokens, completion_tokens=10)


def hard_easy_rows(count: int, split: str, offset: int = 0) -> list[OutcomeRow]:
    """Rows whose prompt says `integral` (only `dear` succeeds) or `greeting` (both do)."""
    rows = []
    for number in range(offset, offset + count):
        hard = number % 2 == 0
        topic = "solve this integral carefully" if hard else "write a short greeting"
        rows.append(
            OutcomeRow(
                id=f"{split}-{number}",
                prompt=f"task {number % 7}: {topic} please",
                category="hard" if hard else "easy",
                split=split,
                outcomes={
                    "cheap": outcome("cheap", 0.0 if hard else 1.0),
                    "dear": outcome("dear", 1.0),
                },
            )
        )
    return rows


def write_bench_files(directory: Path) -> tuple[Path, Path]:
    """A suite of tasks and the results of two models on them, from the synthetic rows."""
    rows = hard_easy_rows(40, "train")
    suite = directory / "suite.jsonl"
    suite.write_bytes(
        b"".join(
            orjson.dumps({"id": row.id, "modality": "text", "prompt": row.prompt, "expected": "x"})
            + b"\n"
            for row in rows
        )
    )
    results = directory / "results.jsonl"
    with ResultWriter(results) as writer:
        for row in rows:
            for model, outcome in row.outcomes.items():
                writer.write(
                    ResultRecord(
                        model=model,
                        task_id=row.id,
                        modality="text",
                        outcome=Outcome.OK,
                        scorer="exact",
                        score=outcome.score,
                        correct=outcome.score == 1.0,
                        input_tokens=outcome.prompt_tokens,
                        output_tokens=outcome.completion_tokens,
                        cost_usd=f"{outcome.cost:.8f}",
                    )
                )
    return suite, results


def parse_cli(*argv: str) -> argparse.Namespace:
    """Arguments as `tierroute` parses them (the routing-eval subcommands only)."""
    parser = argparse.ArgumentParser(prog="tierroute")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)
