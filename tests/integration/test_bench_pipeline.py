"""The whole benchmark pipeline against a real simulator process: smoke suite → normalized
requests (OpenAI and Anthropic formats) → bounded concurrency → scoring → cost → report."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.helpers.bench_sim import MULTIMODAL_CATALOG, catalog_sim
from tierroute_bench.catalog import load_catalog
from tierroute_bench.results import Outcome, read_results
from tierroute_bench.scorers import expected_text
from tierroute_bench.smoke_suite import write_smoke_suite
from tierroute_bench.tasks import Modality, iter_tasks, load_suite
from tierroute_gateway.cli import main

NEEDS = {Modality.TEXT: set(), Modality.VISION: {"vision"}, Modality.AUDIO: {"audio"}}


def bench(*arguments: str) -> int:
    return main(["bench", *arguments])


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("smoke")
    return write_smoke_suite(directory, per_kind=3, seed=5).suite_path


def test_smoke_suite_runs_end_to_end_through_scoring_cost_and_report(
    smoke: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = load_catalog(MULTIMODAL_CATALOG)
    tasks = list(iter_tasks(load_suite(smoke)))
    results = tmp_path / "results.jsonl"
    with catalog_sim() as sim:
        code = bench("run", str(smoke), "--catalog", str(MULTIMODAL_CATALOG),
                     "--provider-url", sim.url, "--simulator", "--concurrency", "8",
                     "-o", str(results))  # fmt: skip
        served = sim.stats()
    assert code == 0, capsys.readouterr().err
    records = list(read_results(results))

    # Each task went to exactly the models whose capabilities cover it, in suite order.
    expected_keys = [
        (model.name, task.id)
        for task in tasks
        for model in catalog.spec.models
        if NEEDS[task.modality] <= set(model.capabilities)
    ]
    assert [record.key for record in records] == expected_keys
    assert served["total"] == len(records)
    audio_models = {m.name for m in catalog.spec.models if "audio" in m.capabilities}
    assert {r.model for r in records if r.modality == "audio"} == audio_models

    prices = {m.name: m.pricing for m in catalog.spec.models}
    by_id = {task.id: task for task in tasks}
    for record in records:
        assert record.outcome == Outcome.OK, record.error
        assert record.ttft_ms is not None
        assert record.latency_ms is not None
        assert record.ttft_ms <= record.latency_ms
        if record.answer == expected_text(by_id[record.task_id].expected):
            assert record.correct, record
        assert record.image_tokens == 500 * record.images
        pricing = prices[record.model]
        cost = (
            Decimal(record.input_tokens) * Decimal(pricing.input_per_million)
            + Decimal(record.output_tokens) * Decimal(pricing.output_per_million)
        ) / 10**6
        assert Decimal(record.cost_usd or "-1") == cost.quantize(Decimal("1e-10"))
    assert 0 < sum(r.correct for r in records) < len(records)  # quality < 1 shows up

    report_dir = tmp_path / "report"
    assert bench("report", str(results), "--catalog", str(MULTIMODAL_CATALOG),
                 "-o", str(report_dir)) == 0  # fmt: skip
    markdown = (report_dir / "report.md").read_text()
    for model in catalog.spec.models:
        mine = [r for r in records if r.model == model.name]
        share = sum(r.correct for r in mine) / len(mine)
        assert f"| {model.name} | all | {len(mine)} | {share:.1%} (" in markdown
    assert "5,000,000 input tokens" in markdown
    assert (report_dir / "cost-vs-accuracy.png").read_bytes()[:4] == b"\x89PNG"
    assert "<table>" in (report_dir / "report.html").read_text()


def test_anthropic_providers_get_messages_api_requests_with_image_blocks(
    smoke: Path, tmp_path: Path
) -> None:
    document = yaml.safe_load(MULTIMODAL_CATALOG.read_text())
    for provider in document["spec"]["providers"]:
        provider["api"] = "anthropic"
    catalog = tmp_path / "anthropic-catalog.yaml"
    catalog.write_text(yaml.safe_dump(document))
    results = tmp_path / "results.jsonl"
    name = document["spec"]["models"][0]["name"]
    with catalog_sim(catalog) as sim:
        code = bench("run", str(smoke), "--catalog", str(catalog), "--models", name,
                     "--provider-url", sim.url, "--simulator", "-o", str(results))  # fmt: skip
        recent = sim.stats()["recent"]
    assert code == 0
    records = list(read_results(results))
    assert records
    assert all(record.outcome == Outcome.OK for record in records)
    assert {seen["api"] for seen in recent} == {"anthropic"}
    vision = [r for r in records if r.modality == "vision"]
    assert vision
    assert all(r.input_tokens > 500 for r in vision)  # the image block was counted


def test_without_the_simulator_flag_no_expected_answer_leaves_the_harness(
    smoke: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results.jsonl"
    name = load_catalog(MULTIMODAL_CATALOG).spec.models[0].name
    with catalog_sim() as sim:
        code = bench("run", str(smoke), "--catalog", str(MULTIMODAL_CATALOG), "--models", name,
                     "--provider-url", sim.url, "--no-stream", "-o", str(results))  # fmt: skip
        recent = sim.stats()["recent"]
    assert code == 0
    assert recent
    assert not any(
        header.startswith("x-sim-expected") for seen in recent for header in seen["headers"]
    )
    records = list(read_results(results))
    assert all(r.ttft_ms is None for r in records)  # not streamed: no time to first token


def test_judge_scored_tasks_are_graded_by_the_judge_model(tmp_path: Path) -> None:
    suite = tmp_path / "judge.yaml"
    suite.write_text(
        "name: judged\ntasks:\n"
        "  - {id: essay, modality: text, prompt: Explain tides., expected: gravity, "
        "scorer: judge}\n"
    )
    results = tmp_path / "results.jsonl"
    answerer, judge = (model.name for model in load_catalog(MULTIMODAL_CATALOG).spec.models[:2])
    with catalog_sim() as sim:
        code = bench("run", str(suite), "--catalog", str(MULTIMODAL_CATALOG), "--models", answerer,
                     "--provider-url", sim.url, "--judge-model", judge, "--judge-url", sim.url,
                     "-o", str(results))  # fmt: skip
        recent = sim.stats()["recent"]
    assert code == 0
    judged = [seen for seen in recent if seen["max_tokens"] == 4]
    assert [seen["model"] for seen in judged] == [judge]
    (record,) = read_results(results)
    # The simulator's judge, asked without an expected answer, replies with filler text.
    assert record.score_detail.startswith("judge gave no verdict")
    assert not record.correct
