"""Resuming: a rerun skips what the results file holds, survives a line cut by a crash, and
leaves the file in suite order whatever the completion order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.bench_sim import MULTIMODAL_CATALOG, catalog_sim
from tierroute_bench.catalog import load_catalog
from tierroute_bench.results import read_results
from tierroute_bench.smoke_suite import write_smoke_suite
from tierroute_bench.tasks import iter_tasks, load_suite
from tierroute_gateway.cli import main


def run(suite: Path, url: str, results: Path, models: list[str]) -> int:
    return main(["bench", "run", str(suite), "--catalog", str(MULTIMODAL_CATALOG),
                 "--models", ",".join(models), "--provider-url", url, "--simulator",
                 "--concurrency", "16", "-o", str(results)])  # fmt: skip


def test_rerun_skips_done_pairs_recovers_a_cut_line_and_keeps_suite_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = write_smoke_suite(tmp_path / "smoke", per_kind=3, seed=9, use_espeak=False)
    task_order = [task.id for task in iter_tasks(load_suite(suite.suite_path))]
    first, second = [model.name for model in load_catalog(MULTIMODAL_CATALOG).spec.models[:2]]
    results = tmp_path / "results.jsonl"
    with catalog_sim() as sim:
        assert run(suite.suite_path, sim.url, results, [first]) == 0
        complete = results.read_bytes()
        requests_after_first = sim.stats()["total"]

        # Nothing left to do: no request, file unchanged.
        assert run(suite.suite_path, sim.url, results, [first]) == 0
        assert sim.stats()["total"] == requests_after_first
        assert results.read_bytes() == complete

        # A crash: four complete lines kept, the fifth cut in the middle.
        lines = complete.splitlines(keepends=True)
        results.write_bytes(b"".join(lines[:4]) + lines[4][:25])
        capsys.readouterr()
        assert run(suite.suite_path, sim.url, results, [first]) == 0
        assert f"{len(lines) - 4} results written" in capsys.readouterr().out
        assert sim.stats()["total"] == requests_after_first + len(lines) - 4
        rerun = results.read_bytes().splitlines(keepends=True)
        assert rerun[:4] == lines[:4]  # kept, not asked again

        # A second model added later: only its pairs run, and the file is in suite order.
        assert run(suite.suite_path, sim.url, results, [first, second]) == 0
    keys = [record.key for record in read_results(results)]
    assert len(keys) == len(set(keys))
    assert keys == sorted(keys, key=lambda key: (task_order.index(key[1]), key[0] != first))
    assert {model for model, _ in keys} == {first, second}
