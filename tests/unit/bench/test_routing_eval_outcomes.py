"""Outcome files: a `tierroute bench run` results file fits a router like a dataset does."""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson

from tests.unit.bench.routing_rows import hard_easy_rows
from tierroute_bench.results import Outcome, ResultRecord, ResultWriter
from tierroute_bench.routing_eval.handlers import router_fit_command
from tierroute_bench.routing_eval.outcomes import load_bench_results
from tierroute_gateway.learned_router import Predictor, choose, load_learned_router


def _write_bench_files(directory: Path) -> tuple[Path, Path]:
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


def test_bench_results_become_outcome_rows(tmp_path: Path) -> None:
    suite, results = _write_bench_files(tmp_path)
    rows = load_bench_results(results, suite)
    assert len(rows) == 40
    assert {frozenset(row.outcomes) for row in rows} == {frozenset({"cheap", "dear"})}
    assert all(row.prompt.startswith("task ") for row in rows)


def test_router_fit_reads_a_bench_results_file(tmp_path: Path) -> None:
    suite, results = _write_bench_files(tmp_path)
    output = tmp_path / "router.json"
    arguments = argparse.Namespace(
        outcomes=[str(results)],
        prices=None,
        suite=str(suite),
        split="all",
        models=None,
        rename=[],
        regularization=1.0,
        output=str(output),
    )
    assert router_fit_command(arguments) == 0
    predictor = Predictor(load_learned_router(output.read_bytes()))
    point = predictor.router.operating_point
    prediction = predictor.predict("task 3: solve this integral carefully please", 100)
    assert prediction.models[choose(prediction, point.rule, point.value)] == "dear"
    assert predictor.router.fitted_on.sources == ("results.jsonl",)
