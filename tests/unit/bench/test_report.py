"""The report: tables, the 10K-images arithmetic, the frontier; Markdown, HTML and PNG."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tierroute_bench.costs import Prices
from tierroute_bench.report import (
    ModelFacts,
    build_report,
    render_html,
    render_markdown,
    write_report,
)
from tierroute_bench.results import Outcome, ResultRecord, ResultWriter

FACTS = {
    "cheap": ModelFacts(Prices(Decimal("0.10"), Decimal("0.01")), frozenset({"vision"})),
    "omni": ModelFacts(Prices(Decimal("5.20"), Decimal("0.52")), frozenset({"vision", "audio"})),
}


def records() -> list[ResultRecord]:
    rows = []
    for model, correct_count in (("cheap", 1), ("omni", 2)):
        for index in range(2):
            rows.append(
                ResultRecord(
                    model=model, task_id=f"ocr-{index}", modality="vision", tags=("ocr",),
                    outcome=Outcome.OK, scorer="cer", correct=index < correct_count,
                    latency_ms=50.0 + index, output_tokens=4, input_tokens=510,
                    cost_usd="0.001" if model == "omni" else "0.00001",
                )
            )  # fmt: skip
    rows.append(
        ResultRecord(model="omni", task_id="audio-0", modality="audio", tags=("audio",),
                     outcome=Outcome.OK, scorer="wer", correct=True, cost_usd="0.0002")
    )  # fmt: skip
    return rows


def test_report_shows_the_seed_columns_and_the_10k_images_arithmetic() -> None:
    report = build_report(records(), FACTS, title="T", tokens_per_image=500)
    capability = report.tables[1]
    assert capability.headers == (
        "model", "OCR accuracy", "Audio", "cost per 10K images (500 tok/img)"
    )  # fmt: skip
    rows = {row[0]: row for row in capability.rows}
    assert rows["cheap"][1:3] == ("50% (1/2)", "No")
    assert rows["omni"][1:3] == ("100% (2/2)", "100% (1/1)")
    assert rows["omni"][3] == "~$26.02"  # 26.00 for the images + 4 output tokens × 10K × 0.52/1M
    assert any(
        line.startswith("omni: 10,000 images × 500 tokens = 5,000,000 input tokens × $5.20/1M")
        for line in report.arithmetic
    )
    assert report.frontier == ("cheap", "omni")


def test_markdown_and_html_carry_the_same_tables() -> None:
    report = build_report(records(), FACTS, title="Smoke <run>", tokens_per_image=500)
    markdown = render_markdown(report, "chart.png")
    page = render_html(report, "chart.png")
    assert markdown.startswith("# Smoke <run>\n")
    assert "| omni | audio | 1 | 100.0% (" in markdown
    assert "![cost vs accuracy](chart.png)" in markdown
    assert "<h1>Smoke &lt;run&gt;</h1>" in page
    assert "<td>omni</td><td>audio</td><td>1</td>" in page


def test_write_report_writes_markdown_html_and_a_png_chart(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    with ResultWriter(results) as writer:
        for row in records():
            writer.write(row)
    written = write_report(results, tmp_path / "out", FACTS, tokens_per_image=500)
    assert written.chart is not None
    assert written.chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Pareto frontier" in written.markdown.read_text()
    assert written.html.read_text().startswith("<!doctype html>")
