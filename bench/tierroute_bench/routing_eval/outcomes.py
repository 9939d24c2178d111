"""Outcome rows: per prompt, what each model scored and what the call cost.

Two sources. A dataset file (the routing-eval JSONL: `id`, `prompt`, `category`, optional
`split` and `contaminated`, `models.<m>.{score, prompt_tokens, completion_tokens}`) is
priced with a `prices.json` (USD per 1M input and output tokens). A results file of
`tierroute bench run` (one line per model and task) is grouped by task id; its prompts come
from the suite and its cost from each record's `cost_usd` (tokens at catalog prices when the
record has none and prices are given). Rows flagged `contaminated` are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from tierroute_bench.results import Outcome, read_results
from tierroute_bench.tasks import iter_tasks, load_suite

_PER_MILLION = 1_000_000


class OutcomeError(ValueError):
    """An outcome or price file that cannot be used; the message names file, line and field."""


@dataclass(frozen=True, slots=True)
class Price:
    """USD per 1M tokens."""

    input: float
    output: float


@dataclass(frozen=True, slots=True)
class ModelOutcome:
    """One model's result on one prompt."""

    score: float
    cost: float
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """One prompt and every model's outcome on it."""

    id: str
    prompt: str
    category: str
    split: str | None
    outcomes: Mapping[str, ModelOutcome]


def load_prices(path: Path) -> dict[str, Price]:
    """`prices.json`: {"models": {name: {"input": USD/1M, "output": USD/1M}}}."""
    try:
        document = orjson.loads(path.read_bytes())
        return {
            name: Price(float(entry["input"]), float(entry["output"]))
            for name, entry in document["models"].items()
        }
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise OutcomeError(f"{path}: not a price file ({error})") from error


def call_cost(price: Price, prompt_tokens: int, completion_tokens: int) -> float:
    """USD of one call."""
    return (prompt_tokens * price.input + completion_tokens * price.output) / _PER_MILLION


def load_dataset_file(path: Path, prices: Mapping[str, Price]) -> list[OutcomeRow]:
    """The rows of a routing-eval JSONL file, priced, contaminated rows dropped."""
    rows = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                document = orjson.loads(line)
                row = _dataset_row(document, prices)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise OutcomeError(f"{path}:{number}: {error!r}") from error
            if not document.get("contaminated", False):
                rows.append(row)
    return rows


def _dataset_row(document: dict[str, object], prices: Mapping[str, Price]) -> OutcomeRow:
    outcomes = {}
    models = document["models"]
    assert isinstance(models, dict)
    for name, entry in models.items():
        if name not in prices:
            raise KeyError(f"models.{name}: no price in the price file")
        prompt_tokens, completion_tokens = (
            int(entry["prompt_tokens"]),
            int(entry["completion_tokens"]),
        )
        outcomes[name] = ModelOutcome(
            score=float(entry["score"]),
            cost=call_cost(prices[name], prompt_tokens, completion_tokens),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
    split = document.get("split")
    return OutcomeRow(
        id=str(document["id"]),
        prompt=str(document["prompt"]),
        category=str(document.get("category", "")),
        split=str(split) if split is not None else None,
        outcomes=outcomes,
    )


def load_bench_results(
    path: Path, suite: Path, prices: Mapping[str, Price] | None = None
) -> list[OutcomeRow]:
    """Rows from a `tierroute bench run` results file, prompts from its suite.

    Only tasks every model answered (outcome `ok`) are kept, so that each row compares all
    models on the same prompt; a record without `cost_usd` is priced from `prices`.
    """
    prompts = {task.id: (task.prompt, task.tags) for task in iter_tasks(load_suite(suite))}
    grouped: dict[str, dict[str, ModelOutcome]] = {}
    models: set[str] = set()
    for record in read_results(path):
        models.add(record.model)
        if record.outcome is not Outcome.OK:
            continue
        if record.task_id not in prompts:
            raise OutcomeError(f"{path}: task {record.task_id!r} is not in suite {suite}")
        if record.cost_usd is not None:
            cost = float(record.cost_usd)
        elif prices is not None and record.model in prices:
            cost = call_cost(prices[record.model], record.input_tokens, record.output_tokens)
        else:
            raise OutcomeError(
                f"{path}: model {record.model!r} task {record.task_id!r}: no cost_usd and "
                "no price for the model (give --prices)"
            )
        grouped.setdefault(record.task_id, {})[record.model] = ModelOutcome(
            record.score, cost, record.input_tokens, record.output_tokens
        )
    rows = []
    for task_id in sorted(grouped):
        if set(grouped[task_id]) != models:
            continue
        prompt, tags = prompts[task_id]
        category = tags[0] if tags else ""
        rows.append(OutcomeRow(task_id, prompt, category, None, grouped[task_id]))
    return rows


def select_split(rows: Sequence[OutcomeRow], split: str | None) -> list[OutcomeRow]:
    """Rows of `split` (None: all). Rows without a split are evaluation-only: `test`."""
    if split is None:
        return list(rows)
    return [row for row in rows if (row.split or "test") == split]


def model_names(rows: Sequence[OutcomeRow]) -> list[str]:
    """Models present in every row, sorted."""
    if not rows:
        return []
    common = set(rows[0].outcomes)
    for row in rows[1:]:
        common &= set(row.outcomes)
    return sorted(common)
