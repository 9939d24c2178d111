"""Each failure gives a clear error and loses no result already written: a malformed suite,
a missing media file, a model not in the catalog, a provider that times out; and retries
happen on transport errors only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.bench_sim import MULTIMODAL_CATALOG, CatalogSim, catalog_sim
from tierroute_bench.catalog import load_catalog
from tierroute_bench.results import Outcome, read_results
from tierroute_gateway.cli import main

CATALOG = load_catalog(MULTIMODAL_CATALOG)
FIRST, SECOND = CATALOG.spec.models[0], CATALOG.spec.models[1]

SUITE = """\
name: errors
tasks:
  - {id: look, modality: vision, prompt: "Colour?", media: [red.png], expected: red}
  - {id: add, modality: text, prompt: "2+2?", expected: 4, scorer: numeric}
  - {id: name, modality: text, prompt: "Name?", expected: Ada}
"""


@pytest.fixture(scope="module")
def sim() -> Iterator[CatalogSim]:
    with catalog_sim() as running:
        yield running


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    Image.new("RGB", (16, 16), "red").save(tmp_path / "red.png")
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return path


def run(suite: Path, sim: CatalogSim, results: Path, *extra: str) -> int:
    return main(["bench", "run", str(suite), "--catalog", str(MULTIMODAL_CATALOG),
                 "--provider-url", sim.url, "--simulator", "-o", str(results), *extra])  # fmt: skip


@pytest.fixture
def earlier_results(suite: Path, sim: CatalogSim, tmp_path: Path) -> Path:
    """A results file from a good run of the first model."""
    results = tmp_path / "results.jsonl"
    assert run(suite, sim, results, "--models", FIRST.name) == 0
    return results


def test_malformed_suite_is_reported_with_line_and_field_and_results_kept(
    suite: Path, sim: CatalogSim, earlier_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = earlier_results.read_bytes()
    suite.write_text(
        SUITE.replace("expected: 4, scorer: numeric", "expected: four, scorer: numeric")
    )
    capsys.readouterr()
    assert run(suite, sim, earlier_results, "--models", f"{FIRST.name},{SECOND.name}") == 2
    error = capsys.readouterr().err
    assert f"{suite}:4: task 'add': (root): Value error, numeric scorer needs a number" in error
    assert earlier_results.read_bytes() == before


def test_missing_media_file_is_named_and_results_kept(
    suite: Path, sim: CatalogSim, earlier_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = earlier_results.read_bytes()
    (suite.parent / "red.png").unlink()
    capsys.readouterr()
    assert run(suite, sim, earlier_results, "--models", f"{FIRST.name},{SECOND.name}") == 2
    error = capsys.readouterr().err
    assert f"task 'look': media[0].source: file {str(suite.parent / 'red.png')!r} not found" in (
        error
    )
    assert earlier_results.read_bytes() == before


def test_model_not_in_catalog_is_named_and_results_kept(
    suite: Path, sim: CatalogSim, earlier_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = earlier_results.read_bytes()
    capsys.readouterr()
    assert run(suite, sim, earlier_results, "--models", f"{FIRST.name},gpt-nine") == 2
    error = capsys.readouterr().err
    assert f"model 'gpt-nine' is not in ModelCatalog {CATALOG.metadata.name}" in error
    assert earlier_results.read_bytes() == before


def test_provider_that_times_out_is_recorded_as_timeouts_and_results_kept(
    suite: Path, sim: CatalogSim, earlier_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = earlier_results.read_bytes()
    hanging = SECOND.provider_model_id
    sim.patch(hanging, {"faults": {"timeout_rate": 1.0, "timeout_ms": 5000}})
    try:
        capsys.readouterr()
        code = run(suite, sim, earlier_results, "--models", f"{FIRST.name},{SECOND.name}",
                   "--timeout", "0.3", "--retries", "1")  # fmt: skip
    finally:
        sim.patch(hanging, {"faults": {"timeout_rate": 0.0}})
    assert code == 0
    assert "timeout 3" in capsys.readouterr().out
    records = list(read_results(earlier_results))
    kept = [r for r in records if r.model == FIRST.name]
    timed_out = [r for r in records if r.model == SECOND.name]
    assert len(kept) == len(before.splitlines())
    assert all(r.outcome == Outcome.OK for r in kept)
    assert [r.outcome for r in timed_out] == [Outcome.TIMEOUT] * 3
    assert all(r.error == "no complete answer within 0.3s (2 attempts)" for r in timed_out)
    assert not any(r.correct for r in timed_out)


@pytest.mark.parametrize(
    ("fault", "outcome", "attempts"),
    [("error_rate", Outcome.HTTP_ERROR, 1), ("reset_rate", Outcome.TRANSPORT_ERROR, 3)],
)
def test_retries_happen_on_transport_errors_only(
    suite: Path, sim: CatalogSim, tmp_path: Path, *, fault: str, outcome: Outcome, attempts: int
) -> None:
    results = tmp_path / f"{fault}.jsonl"
    model = FIRST.provider_model_id
    sim.patch(model, {"faults": {fault: 1.0}})
    try:
        assert run(suite, sim, results, "--models", FIRST.name, "--retries", "2") == 0
    finally:
        sim.patch(model, {"faults": {fault: 0.0}})
    records = list(read_results(results))
    assert [(r.outcome, r.attempts) for r in records] == [(outcome, attempts)] * len(records)
