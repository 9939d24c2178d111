"""`tierroute bench report`: per model and modality figures in Markdown and HTML, the seed's
capability table with cost per 10K images (arithmetic shown), and a cost-vs-accuracy chart.

`build_report` is pure (records and catalog facts in, a `Report` out); `render_markdown` and
`render_html` turn it into text; `write_report` is the shell that reads and writes files.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tierroute_bench.costs import ImageBatchCost, Prices, cost_per_10k_images
from tierroute_bench.results import ResultRecord, read_results
from tierroute_bench.summary import (
    ALL_MODALITIES,
    GroupSummary,
    Point,
    pareto_frontier,
    summarize,
    tag_accuracy,
)

SEED_TAGS = ("detail", "ocr", "chart", "audio")
TAG_TITLES = {
    "detail": "Vision detail",
    "ocr": "OCR accuracy",
    "chart": "Chart QA",
    "audio": "Audio",
}
CHART_FILE = "cost-vs-accuracy.png"


@dataclass(frozen=True)
class ModelFacts:
    """What the catalog says about a model."""

    prices: Prices | None
    capabilities: frozenset[str] | None = None


@dataclass(frozen=True)
class Table:
    """A titled table of text cells."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Report:
    """Everything a report shows, independent of the output format."""

    title: str
    tables: tuple[Table, ...]
    arithmetic: tuple[str, ...]
    points: tuple[Point, ...]
    frontier: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


def build_report(
    records: Sequence[ResultRecord],
    facts: Mapping[str, ModelFacts],
    *,
    title: str,
    tokens_per_image: int,
) -> Report:
    """The report of a results file."""
    groups = summarize(records)
    overall = [group for group in groups if group.modality == ALL_MODALITIES]
    vision = {g.model: g for g in groups if g.modality == "vision"}
    image_costs = {
        model: cost_per_10k_images(
            fact.prices,
            tokens_per_image,
            vision[model].mean_output_tokens if model in vision else None,
        )
        for model, fact in facts.items()
        if fact.prices is not None
    }
    points = tuple(
        Point(g.model, float(g.cost_per_1k_tasks), g.accuracy)
        for g in overall
        if g.cost_per_1k_tasks is not None
    )
    tables = (
        _main_table(groups),
        _capability_table(records, overall, facts, image_costs, tokens_per_image),
    )
    arithmetic = tuple(f"{model}: {cost.arithmetic}" for model, cost in image_costs.items())
    frontier = tuple(point.name for point in pareto_frontier(points))
    return Report(title, tables, arithmetic, points, frontier, _notes(overall, records))


def _main_table(groups: Sequence[GroupSummary]) -> Table:
    headers = (
        "model", "modality", "tasks", "accuracy (95% CI)", "errors", "latency p50 / p95",
        "TTFT p50", "tokens in / out", "image / audio tokens", "cost / 1,000 tasks",
    )  # fmt: skip
    rows = tuple(
        (
            group.model,
            group.modality,
            str(group.tasks),
            f"{group.accuracy:.1%} ({group.interval[0]:.1%}–{group.interval[1]:.1%})",
            str(group.errors),
            f"{_ms(group.latency_p50_ms)} / {_ms(group.latency_p95_ms)}",
            _ms(group.ttft_p50_ms),
            f"{group.mean_input_tokens:,.0f} / {group.mean_output_tokens:,.0f}",
            f"{group.mean_image_tokens:,.0f} / {group.mean_audio_tokens:,.0f}",
            _money(group.cost_per_1k_tasks),
        )
        for group in groups
    )
    caption = (
        "Failed requests count as wrong answers. Token figures are means per answered request; "
        "cost comes from catalog pricing."
    )
    return Table("By model and modality", headers, rows, caption)


def _capability_table(
    records: Sequence[ResultRecord],
    overall: Sequence[GroupSummary],
    facts: Mapping[str, ModelFacts],
    image_costs: Mapping[str, ImageBatchCost],
    tokens_per_image: int,
) -> Table:
    by_tag = tag_accuracy(records)
    present = {tag for _, tag in by_tag}
    tags = [tag for tag in SEED_TAGS if tag in present]
    tags += sorted(present - set(SEED_TAGS))
    headers = (
        "model",
        *(TAG_TITLES.get(tag, tag) for tag in tags),
        f"cost per 10K images ({tokens_per_image} tok/img)",
    )
    rows = []
    for group in overall:
        cells = [group.model]
        for tag in tags:
            cells.append(_tag_cell(by_tag.get((group.model, tag)), tag, facts.get(group.model)))
        cost = image_costs.get(group.model)
        cells.append(f"~${cost.total:,.2f}" if cost is not None else "no pricing")
        rows.append(tuple(cells))
    return Table(
        "Capabilities (accuracy by task tag)",
        headers,
        tuple(rows),
        "The seed's comparison, measured. Cost per 10K images: arithmetic below.",
    )


def _tag_cell(counts: tuple[int, int] | None, tag: str, fact: ModelFacts | None) -> str:
    if counts is None:
        if tag == "audio" and fact is not None and fact.capabilities is not None:
            return "Yes" if "audio" in fact.capabilities else "No"
        return "—"
    correct, tasks = counts
    return f"{correct / tasks:.0%} ({correct}/{tasks})"


def _notes(overall: Sequence[GroupSummary], records: Sequence[ResultRecord]) -> tuple[str, ...]:
    notes = [f"{len(records)} results, {len(overall)} models."]
    estimated = sum(record.tokens_estimated for record in records)
    if estimated:
        notes.append(
            f"{estimated} results have estimated input or output token counts (the provider "
            "reported no usage): 4 characters per token, the stated tokens per image and 25 "
            "tokens per second of audio. Their cost is an estimate too."
        )
    media = sum(record.media_tokens_estimated for record in records)
    if media:
        notes.append(
            f"{media} results have image/audio token figures estimated from the catalog's "
            "tokens per image and 25 tokens per second of audio (the provider's usage had no "
            "breakdown); their totals and cost come from the provider."
        )
    return tuple(notes)


def render_markdown(report: Report, chart_file: str | None) -> str:
    """The report as Markdown."""
    lines = [f"# {report.title}", "", *report.notes, ""]
    for table in report.tables:
        lines += [f"## {table.title}", ""]
        lines += [table.caption, ""] if table.caption else []
        lines.append("| " + " | ".join(table.headers) + " |")
        lines.append("|" + "---|" * len(table.headers))
        lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in table.rows]
        lines.append("")
    lines += ["## Cost per 10K images: the arithmetic", ""]
    lines += [f"- {line}" for line in report.arithmetic] or ["- no model has catalog pricing"]
    lines += ["", "## Cost vs accuracy", ""]
    lines.append(f"Pareto frontier (cheapest first): {', '.join(report.frontier) or 'none'}.")
    if chart_file is not None:
        lines += ["", f"![cost vs accuracy]({chart_file})"]
    return "\n".join(lines) + "\n"


def render_html(report: Report, chart_file: str | None) -> str:
    """The report as a standalone HTML page."""
    escape = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{escape(report.title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "th{background:#f3f3f3}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
        *(f"<p>{escape(note)}</p>" for note in report.notes),
    ]
    for table in report.tables:
        parts.append(f"<h2>{escape(table.title)}</h2><p>{escape(table.caption)}</p><table>")
        parts.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in table.headers) + "</tr>")
        for row in table.rows:
            parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append("<h2>Cost per 10K images: the arithmetic</h2><ul>")
    parts += [f"<li>{escape(line)}</li>" for line in report.arithmetic]
    parts.append("</ul><h2>Cost vs accuracy</h2>")
    parts.append(f"<p>Pareto frontier (cheapest first): {escape(', '.join(report.frontier))}</p>")
    if chart_file is not None:
        parts.append(f"<img src='{escape(chart_file)}' alt='cost vs accuracy'>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


@dataclass(frozen=True)
class WrittenReport:
    """Files a report wrote."""

    markdown: Path
    html: Path
    chart: Path | None


def write_report(
    results_path: Path,
    output_dir: Path,
    facts: Mapping[str, ModelFacts],
    *,
    tokens_per_image: int,
    title: str | None = None,
) -> WrittenReport:
    """Read a results file, write report.md, report.html and the chart into `output_dir`."""
    from tierroute_bench.chart import write_cost_accuracy_chart  # noqa: PLC0415

    records = list(read_results(results_path))
    report = build_report(
        records,
        facts,
        title=title or f"Benchmark report: {results_path.name}",
        tokens_per_image=tokens_per_image,
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    chart: Path | None = None
    if report.points:
        chart = output_dir / CHART_FILE
        write_cost_accuracy_chart(report.points, chart, title=report.title)
    chart_name = chart.name if chart is not None else None
    markdown = output_dir / "report.md"
    markdown.write_text(render_markdown(report, chart_name), encoding="utf-8")
    page = output_dir / "report.html"
    page.write_text(render_html(report, chart_name), encoding="utf-8")
    return WrittenReport(markdown, page, chart)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def _money(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"
