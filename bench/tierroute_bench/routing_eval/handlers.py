"""The shells of `tierroute eval routing` and `tierroute router fit`: read, call, write."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tierroute_bench.results import ResultsFileError
from tierroute_bench.routing_eval.commands import ROUTER_NAMES
from tierroute_bench.routing_eval.configmap import (
    ConfigMapError,
    configmap_manifest,
    policy_snippet,
)
from tierroute_bench.routing_eval.evaluate import RowOverlapError, evaluate_folder
from tierroute_bench.routing_eval.fit import FitOptions, fit_router
from tierroute_bench.routing_eval.fitting_rows import (
    FittingRowsError,
    read_row_ids,
    rows_path,
    write_row_ids,
)
from tierroute_bench.routing_eval.outcomes import (
    OutcomeError,
    OutcomeRow,
    Price,
    load_bench_results,
    load_dataset_file,
    load_prices,
    model_names,
    select_split,
)
from tierroute_bench.routing_eval.renames import rename_rows
from tierroute_bench.routing_eval.report import write_report
from tierroute_bench.tasks import SuiteError
from tierroute_gateway.learned_router import (
    LearnedRouter,
    LearnedRouterError,
    artefact_hash,
    canonical_artefact,
    load_learned_router,
)

_FAILURES = (
    OutcomeError,
    RowOverlapError,
    FittingRowsError,
    ConfigMapError,
    LearnedRouterError,
    ResultsFileError,
    SuiteError,
    OSError,
)


def eval_routing_command(arguments: argparse.Namespace) -> int:
    """`tierroute eval routing`."""
    try:
        artefact, row_ids = None, None
        if arguments.learned_router:
            artefact_path = Path(arguments.learned_router)
            artefact = load_learned_router(artefact_path.read_bytes())
            row_ids = _listed_row_ids(artefact_path, arguments.fitted_rows)
        data = Path(arguments.data)
        results = evaluate_folder(
            data,
            split=None if arguments.split == "all" else arguments.split,
            routers=arguments.router or list(ROUTER_NAMES),
            prices_path=Path(arguments.prices) if arguments.prices else None,
            artefact=artefact,
            artefact_row_ids=row_ids,
        )
        paths = write_report(results, data.name, Path(arguments.output))
    except _FAILURES as error:
        print(f"tierroute eval routing: {error}", file=sys.stderr)
        return 1
    for result in results:
        for name, router in result.routers.items():
            cost, score = router.headline.cost_ratio_at_95, router.headline.score_ratio_at_25
            print(
                f"{result.name}: {name}: cost vs {result.best.label} at 95% of its score "
                f"{_show(cost)}; score at 25% of its cost {_show(score)}"
            )
    print("wrote " + ", ".join(str(path) for path in paths))
    return 0


def _listed_row_ids(artefact: Path, fitted_rows: str | None) -> list[str] | None:
    """The id list given (or found beside the artefact as NAME.rows.txt), if any."""
    path = Path(fitted_rows) if fitted_rows else rows_path(artefact)
    if fitted_rows or path.exists():
        return read_row_ids(path)
    return None


def _show(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "not reached"


def router_fit_command(arguments: argparse.Namespace) -> int:
    """`tierroute router fit`."""
    try:
        rows, prices, sources = _read_outcomes(arguments)
        renames = dict(item.split("=", 1) for item in arguments.rename if "=" in item)
        rows = select_split(rows, None if arguments.split == "all" else arguments.split)
        if not rows:
            raise OutcomeError(f"no rows in split {arguments.split!r}")
        models = arguments.models.split(",") if arguments.models else model_names(rows)
        rows, prices = rename_rows(rows, prices, renames)
        models = [renames.get(model, model) for model in models]
        options = FitOptions(
            regularization=arguments.regularization, max_buckets=arguments.max_buckets
        )
        router = fit_router(rows, models, prices, sources, options)
        lines = _write_fitted(router, [row.id for row in rows], arguments)
    except _FAILURES as error:
        print(f"tierroute router fit: {error}", file=sys.stderr)
        return 1
    print(
        f"fitted {len(router.models)} models on {len(rows)} rows "
        f"(C={router.regularization:g}, {len(router.buckets):,} buckets, default "
        f"{router.operating_point.rule} {router.operating_point.value:g})"
    )
    print("\n".join(lines))
    return 0


def _write_fitted(
    router: LearnedRouter, row_ids: list[str], arguments: argparse.Namespace
) -> list[str]:
    """Write the artefact, its id list when not inline, and the ConfigMap; say what was written."""
    document = canonical_artefact(router)
    digest = artefact_hash(router)
    output = Path(arguments.output)
    manifest = None
    if arguments.configmap:  # built first: a refused name or size writes nothing
        manifest = configmap_manifest(arguments.configmap, arguments.namespace, document, digest)
    output.write_bytes(document + b"\n")
    lines = [f"wrote {output} ({len(document):,} bytes) {digest}"]
    if not router.fitted_on.row_ids:
        ids = rows_path(output)
        write_row_ids(ids, row_ids)
        lines.append(
            f"wrote {ids}: the {len(row_ids):,} fitting-row ids (too many to travel in the "
            "artefact; `tierroute eval routing` reads them to refuse scoring a fitted row)"
        )
    if manifest is not None:
        path = Path(arguments.configmap_output or output.with_suffix(".configmap.yaml"))
        path.write_text(manifest, encoding="utf-8")
        lines += [
            f"wrote {path}: ConfigMap {arguments.configmap} (kubectl apply -f {path})",
            "reference it from the RoutingPolicy:",
            policy_snippet(arguments.configmap, digest).rstrip("\n"),
        ]
    return lines


def _read_outcomes(
    arguments: argparse.Namespace,
) -> tuple[list[OutcomeRow], dict[str, Price], list[str]]:
    first = Path(arguments.outcomes[0])
    price_path = Path(arguments.prices) if arguments.prices else first.parent / "prices.json"
    prices = load_prices(price_path) if price_path.exists() else {}
    rows: list[OutcomeRow] = []
    for name in arguments.outcomes:
        path = Path(name)
        if _is_results_file(path):
            if not arguments.suite:
                raise OutcomeError(f"{path} is a bench results file: give its --suite")
            rows += load_bench_results(path, Path(arguments.suite), prices or None)
        else:
            rows += load_dataset_file(path, prices)
    return rows, prices, [Path(name).name for name in arguments.outcomes]


def _is_results_file(path: Path) -> bool:
    """A bench results file has `task_id` and `model` on its first line."""
    with path.open("rb") as handle:
        first = handle.readline()
    return b'"task_id"' in first and b'"models"' not in first
