"""Fitting-row ids: inline when few, else count + digest and an id list the evaluation checks."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.unit.bench.routing_rows import PRICES, hard_easy_rows, parse_cli
from tierroute_bench.routing_eval.evaluate import BenchmarkResult, RowOverlapError, evaluate_rows
from tierroute_bench.routing_eval.fit import FitOptions, fit_router
from tierroute_bench.routing_eval.fitting_rows import (
    FittingRowsError,
    fitting_ids,
    read_row_ids,
    rows_path,
    write_row_ids,
)
from tierroute_bench.routing_eval.handlers import eval_routing_command
from tierroute_bench.routing_eval.outcomes import OutcomeRow
from tierroute_gateway.learned_router import LearnedRouter, canonical_artefact, load_learned_router
from tierroute_gateway.learned_router.artefact import INLINE_ROW_IDS_MAX, rows_digest

MANY = hard_easy_rows(INLINE_ROW_IDS_MAX + 1, "train")
"""One row more than an artefact lists inline."""
OPTIONS = FitOptions(regularization=1.0)


@pytest.fixture(scope="module")
def large() -> LearnedRouter:
    return fit_router(MANY, ["cheap", "dear"], PRICES, ["many.jsonl"], OPTIONS)


def _evaluate(
    router: LearnedRouter, scored: list[OutcomeRow], listed: list[str] | None
) -> BenchmarkResult:
    return evaluate_rows(
        "synthetic",
        scored,
        PRICES,
        split=None,
        routers=["learned"],
        artefact=router,
        artefact_row_ids=listed,
        fit_options=OPTIONS,
        source="synthetic.jsonl",
    )


def _write_dataset(folder: Path, rows: list[OutcomeRow]) -> None:
    """A routing-eval dataset folder: `prices.json` and `synthetic.jsonl`."""
    prices = {"models": {m: {"input": p.input, "output": p.output} for m, p in PRICES.items()}}
    (folder / "prices.json").write_bytes(orjson.dumps(prices))
    lines = [
        {"id": row.id, "prompt": row.prompt, "split": row.split,
         "models": {m: {"score": o.score, "prompt_tokens": o.prompt_tokens,
                        "completion_tokens": o.completion_tokens} for m, o in row.outcomes.items()}}
        for row in rows
    ]  # fmt: skip
    (folder / "synthetic.jsonl").write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))


def test_many_fitting_rows_leave_only_count_and_digest_in_the_artefact(
    large: LearnedRouter,
) -> None:
    fitted = large.fitted_on
    assert fitted.row_ids == ()
    assert fitted.row_count == len(MANY)
    assert fitted.digest == rows_digest([row.id for row in MANY])
    assert load_learned_router(canonical_artefact(large)) == large


def test_few_fitting_rows_are_listed_inline() -> None:
    few = hard_easy_rows(INLINE_ROW_IDS_MAX, "train")
    router = fit_router(few, ["cheap", "dear"], PRICES, ["few.jsonl"], OPTIONS)
    assert set(router.fitted_on.row_ids) == {row.id for row in few}
    assert fitting_ids(router, None) == router.fitted_on.row_ids


def test_scoring_a_fitted_row_fails_when_the_ids_come_from_the_list(
    large: LearnedRouter,
) -> None:
    scored = [*MANY[-3:], *hard_easy_rows(5, "test", offset=5000)]
    with pytest.raises(RowOverlapError, match="fitted on 3 scored rows"):
        _evaluate(large, scored, [row.id for row in MANY])


def test_evaluation_refuses_an_artefact_whose_fitting_rows_are_unknown(
    large: LearnedRouter,
) -> None:
    unseen = hard_easy_rows(5, "test", offset=5000)
    with pytest.raises(FittingRowsError, match="lists none of their ids"):
        _evaluate(large, unseen, None)
    with pytest.raises(FittingRowsError, match="digest"):
        _evaluate(large, unseen, [row.id for row in MANY[1:]])  # one fitting row left out


def test_evaluation_of_unseen_rows_passes_with_the_matching_list(large: LearnedRouter) -> None:
    unseen = hard_easy_rows(20, "test", offset=5000)
    result = _evaluate(large, unseen, [row.id for row in reversed(MANY)])  # order is free
    assert "learned" in result.routers


def test_id_list_round_trips_and_sits_beside_the_artefact(tmp_path: Path) -> None:
    path = rows_path(tmp_path / "router.json")
    assert path == tmp_path / "router.rows.txt"
    write_row_ids(path, ["b", "a"])
    assert read_row_ids(path) == ["a", "b"]


def test_eval_command_finds_the_id_list_beside_the_artefact(
    tmp_path: Path, large: LearnedRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _write_dataset(data, [*MANY[:2], *hard_easy_rows(10, "test", offset=5000)])
    artefact = tmp_path / "router.json"
    artefact.write_bytes(canonical_artefact(large))
    arguments = parse_cli(
        "eval", "routing", "--data", str(data), "--router", "learned",
        "--learned-router", str(artefact), "-o", str(tmp_path / "report"),
    )  # fmt: skip
    assert eval_routing_command(arguments) == 1
    assert "lists none of their ids" in capsys.readouterr().err
    write_row_ids(rows_path(artefact), [row.id for row in MANY])
    assert eval_routing_command(arguments) == 0
    arguments.split = "all"  # now two fitted rows are scored
    assert eval_routing_command(arguments) == 1
    assert "fitted on 2 scored rows" in capsys.readouterr().err


def test_eval_command_reads_the_id_list_named_by_fitted_rows(
    tmp_path: Path, large: LearnedRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _write_dataset(data, hard_easy_rows(10, "test", offset=5000))
    artefact = tmp_path / "router.json"
    artefact.write_bytes(canonical_artefact(large))
    elsewhere = tmp_path / "kept" / "ids.txt"
    elsewhere.parent.mkdir()
    write_row_ids(elsewhere, [row.id for row in MANY[:-1]])  # not the fitting rows
    arguments = parse_cli(
        "eval", "routing", "--data", str(data), "--router", "learned",
        "--learned-router", str(artefact), "--fitted-rows", str(elsewhere),
        "-o", str(tmp_path / "report"),
    )  # fmt: skip
    assert eval_routing_command(arguments) == 1
    assert "digest" in capsys.readouterr().err
    write_row_ids(elsewhere, [row.id for row in MANY])
    assert eval_routing_command(arguments) == 0
