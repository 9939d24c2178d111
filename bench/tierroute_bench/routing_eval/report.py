"""The evaluation report: `routing-eval.json`, `routing-eval.md` and `routing-eval.png`.

Same inputs, same bytes: no timestamps, floats rounded to 6 decimals, benchmarks and routers
in a fixed order, the PNG written by matplotlib's Agg backend without a Software tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from tierroute_bench.routing_eval.curve import Point, frontier
from tierroute_bench.routing_eval.evaluate import BenchmarkResult

METHOD = (
    "Cost is the sum over scored rows of the chosen model's call cost (its prompt and "
    "completion tokens at the price file's prices); score is the mean of its scores. "
    "A router's curve is the Pareto frontier of its operating points with straight lines "
    "between adjacent points (realizable by splitting traffic between the two points). "
    "costAt95 = the curve's lowest cost reaching 95% of the best single model's score, "
    "divided by that model's cost; scoreAt25 = the curve's best score at 25% of the best "
    "single model's cost, divided by its score; null when the curve does not get there."
)


def _point(point: Point) -> dict[str, Any]:
    return {"label": point.label, "costUsd": round(point.cost, 6), "score": round(point.score, 6)}


def report_document(results: Sequence[BenchmarkResult], data: str) -> dict[str, Any]:
    """The JSON report."""
    return {
        "report": "tierroute eval routing",
        "data": data,
        "method": METHOD,
        "benchmarks": [_benchmark(result) for result in results],
    }


def _ratio(value: float | None) -> float | None:
    return round(value, 6) if value is not None else None


def _benchmark(result: BenchmarkResult) -> dict[str, Any]:
    from tierroute_gateway.learned_router.artefact import rows_digest  # noqa: PLC0415

    return {
        "name": result.name,
        "split": result.split,
        "scoredRows": len(result.scored_ids),
        "scoredDigest": rows_digest(result.scored_ids),
        "fittedOn": result.fitted,
        "singleModels": [_point(p) for p in result.singles],
        "bestSingle": _point(result.best),
        "cheapestSingle": _point(result.cheapest),
        "oracle": _point(result.oracle),
        "routers": {
            name: {
                "costAt95": _ratio(router.headline.cost_ratio_at_95),
                "scoreAt25": _ratio(router.headline.score_ratio_at_25),
                "frontier": [_point(p) for p in frontier(router.points)],
                "points": [_point(p) for p in router.points],
            }
            for name, router in result.routers.items()
        },
        "notes": result.notes,
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if value is not None else "not reached"


def report_markdown(results: Sequence[BenchmarkResult], data: str) -> str:
    """The Markdown report."""
    lines = [f"# Routing evaluation: {data}", "", METHOD, ""]
    for result in results:
        best = result.best
        lines += [
            f"## {result.name} (split {result.split or 'all'}, {len(result.scored_ids)} rows)",
            "",
            "| model | mean score | total cost (USD) | cost vs best |",
            "| --- | ---: | ---: | ---: |",
        ]
        for point in sorted(result.singles, key=lambda p: -p.cost):
            lines.append(
                f"| {point.label} | {point.score:.4f} | {point.cost:.4f} | "
                f"{point.cost / best.cost:.3f} |"
            )
        lines += [
            "",
            f"Best single: **{best.label}** ({best.score:.4f}, ${best.cost:.4f}); cheapest: "
            f"{result.cheapest.label} ({result.cheapest.score:.4f}, ${result.cheapest.cost:.4f}); "
            f"oracle: {result.oracle.score:.4f} at ${result.oracle.cost:.4f} "
            f"({result.oracle.cost / best.cost:.3f} of best's cost).",
            "",
            "| router | cost vs best at 95% of its score | score vs best at 25% of its cost |",
            "| --- | ---: | ---: |",
        ]
        for name, router in result.routers.items():
            lines.append(
                f"| {name} | {_fmt(router.headline.cost_ratio_at_95)} | "
                f"{_fmt(router.headline.score_ratio_at_25)} |"
            )
        lines += ["", "Fitted on: " + orjson.dumps(result.fitted).decode(), ""]
        lines += [f"- {note}" for note in result.notes]
        lines.append("")
    return "\n".join(lines)


def write_plot(results: Sequence[BenchmarkResult], path: Path) -> None:
    """One cost–quality panel per benchmark (cost relative to the best single model)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for axis, result in zip(axes[0], results, strict=True):
        scale = result.best.cost or 1.0
        for point in result.singles:
            axis.scatter(point.cost / scale, point.score, color="grey", s=18)
            axis.annotate(point.label.split("/")[-1], (point.cost / scale, point.score), fontsize=6)
        axis.scatter(result.oracle.cost / scale, result.oracle.score, marker="*", s=90,
                     color="gold", label="oracle")  # fmt: skip
        for name, router in result.routers.items():
            line = frontier(router.points)
            axis.plot([p.cost / scale for p in line], [p.score for p in line], marker=".",
                      label=name)  # fmt: skip
        axis.axhline(0.95 * result.best.score, color="grey", linestyle=":", linewidth=0.8)
        axis.axvline(0.25, color="grey", linestyle=":", linewidth=0.8)
        axis.set_xscale("log")
        axis.set_xlabel("cost relative to the best single model (log)")
        axis.set_ylabel("mean score")
        axis.set_title(f"{result.name} ({result.split or 'all'})")
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)


def write_report(results: Sequence[BenchmarkResult], data: str, output: Path) -> list[Path]:
    """Write the three files into `output`; return their paths."""
    output.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path, plot_path = (
        output / "routing-eval.json",
        output / "routing-eval.md",
        output / "routing-eval.png",
    )
    document = report_document(results, data)
    json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    markdown_path.write_text(report_markdown(results, data))
    write_plot(results, plot_path)
    return [json_path, markdown_path, plot_path]
