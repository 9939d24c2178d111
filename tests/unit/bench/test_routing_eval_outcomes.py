"""Outcome files: a `tierroute bench run` results file fits a router like a dataset does."""

from __future__ import annotations

from pathlib import Path

from tests.unit.bench.routing_rows import parse_cli, write_bench_files
from tierroute_bench.routing_eval.handlers import router_fit_command
from tierroute_bench.routing_eval.outcomes import load_bench_results
from tierroute_gateway.learned_router import Predictor, choose, load_learned_router


def test_bench_results_become_outcome_rows(tmp_path: Path) -> None:
    suite, results = write_bench_files(tmp_path)
    rows = load_bench_results(results, suite)
    assert len(rows) == 40
    assert {frozenset(row.outcomes) for row in rows} == {frozenset({"cheap", "dear"})}
    assert all(row.prompt.startswith("task ") for row in rows)


def test_router_fit_reads_a_bench_results_file(tmp_path: Path) -> None:
    suite, results = write_bench_files(tmp_path)
    output = tmp_path / "router.json"
    arguments = parse_cli(
        "router", "fit", str(results), "--suite", str(suite), "--split", "all",
        "--regularization", "1", "-o", str(output),
    )  # fmt: skip
    assert router_fit_command(arguments) == 0
    predictor = Predictor(load_learned_router(output.read_bytes()))
    point = predictor.router.operating_point
    prediction = predictor.predict("task 3: solve this integral carefully please", 100)
    assert prediction.models[choose(prediction, point.rule, point.value)] == "dear"
    assert predictor.router.fitted_on.sources == ("results.jsonl",)
