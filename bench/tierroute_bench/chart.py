"""The cost-vs-accuracy chart (PNG, matplotlib's Agg backend) with the Pareto frontier."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tierroute_bench.summary import Point, pareto_frontier


def write_cost_accuracy_chart(points: Sequence[Point], path: Path, *, title: str) -> None:
    """Plot each model's cost per 1,000 tasks against accuracy; join the frontier models."""
    import matplotlib  # noqa: PLC0415  (heavy: loaded only when a chart is drawn)

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    frontier = pareto_frontier(points)
    on_frontier = {point.name for point in frontier}
    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=110)
    try:
        for point in points:
            marked = point.name in on_frontier
            axes.scatter(
                point.cost,
                point.accuracy * 100,
                s=60,
                color="tab:green" if marked else "tab:gray",
                zorder=3,
            )
            axes.annotate(
                point.name,
                (point.cost, point.accuracy * 100),
                fontsize=8,
                xytext=(5, 4),
                textcoords="offset points",
            )
        axes.step(
            [point.cost for point in frontier],
            [point.accuracy * 100 for point in frontier],
            where="post",
            color="tab:green",
            linewidth=1.5,
            label="Pareto frontier",
            zorder=2,
        )
        if points and min(point.cost for point in points) > 0:
            axes.set_xscale("log")
        axes.set_xlabel("cost per 1,000 tasks (USD)")
        axes.set_ylabel("accuracy (%)")
        axes.set_ylim(0, 105)
        axes.set_title(title)
        axes.grid(True, alpha=0.3)
        axes.legend(loc="lower right")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        pyplot.close(figure)
