"""Synthetic outcome rows for the routing-eval tests: the right answer is known."""

from __future__ import annotations

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
