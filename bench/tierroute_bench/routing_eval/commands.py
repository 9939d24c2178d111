"""`tierroute eval routing` and `tierroute router fit`; the work is in `handlers`."""

from __future__ import annotations

import argparse

ROUTER_NAMES = ("rule", "learned", "learned-threshold")
"""Routers `tierroute eval routing --router` accepts."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `tierroute eval routing` and `tierroute router fit`."""
    evaluation = subparsers.add_parser("eval", help="evaluate routing on public outcome data")
    evaluations = evaluation.add_subparsers(dest="eval_command", metavar="COMMAND", required=True)
    routing = evaluations.add_parser(
        "routing", help="cost–quality report of routers against single models and the oracle"
    )
    routing.add_argument("--data", required=True, help="dataset folder (*.jsonl + prices.json)")
    routing.add_argument("--prices", help="price file (default: DATA/prices.json)")
    split_help = "split scored ('all': every row); rows without one are test"
    routing.add_argument("--split", default="test", help=split_help)
    routing.add_argument("--router", action="append", choices=ROUTER_NAMES,
                         help="router to evaluate (repeat; default all)")  # fmt: skip
    artefact_help = "fitted artefact (default: fit on each file's train rows)"
    routing.add_argument("--learned-router", metavar="FILE", help=artefact_help)
    rows_help = (
        "ids of the artefact's fitting rows when it does not list them (default: "
        "NAME.rows.txt beside NAME.json, if present)"
    )
    routing.add_argument("--fitted-rows", metavar="FILE", help=rows_help)
    routing.add_argument("--output", "-o", default="routing-eval", help="report directory")
    routing.set_defaults(handler=_eval_routing)

    router = subparsers.add_parser("router", help="fit learned routers")
    routers = router.add_subparsers(dest="router_command", metavar="COMMAND", required=True)
    fit = routers.add_parser("fit", help="fit a learned router from outcome files")
    fit.add_argument("outcomes", nargs="+",
                     help="routing-eval JSONL or `tierroute bench run` results files")  # fmt: skip
    fit.add_argument("--prices", help="price file (default: prices.json beside the first file)")
    fit.add_argument("--suite", help="bench suite of a results file (for the prompts)")
    fit.add_argument("--split", default="train", help="rows to fit on (default train; 'all')")
    fit.add_argument("--models", help="comma-separated models (default: every common model)")
    fit.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                     help="rename a model in the artefact (repeatable)")  # fmt: skip
    fit.add_argument("--regularization", type=float, help="fixed C instead of the CV grid")
    fit.add_argument("--max-buckets", type=_positive_int, default=2048, metavar="N",
                     help="keep at most N hash buckets, the most frequent (default 2048; "
                     "size ≈ 10 bytes per bucket per model)")  # fmt: skip
    fit.add_argument("--output", "-o", default="router.json", help="artefact file")
    fit.add_argument("--configmap", metavar="NAME",
                     help="also write a ConfigMap manifest holding the artefact")  # fmt: skip
    fit.add_argument("--namespace", help="namespace of the ConfigMap (default: none set)")
    fit.add_argument("--configmap-output", metavar="FILE",
                     help="manifest file (default: OUTPUT with .configmap.yaml)")  # fmt: skip
    fit.set_defaults(handler=_router_fit)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _eval_routing(arguments: argparse.Namespace) -> int:
    from tierroute_bench.routing_eval.handlers import eval_routing_command  # noqa: PLC0415

    return eval_routing_command(arguments)


def _router_fit(arguments: argparse.Namespace) -> int:
    from tierroute_bench.routing_eval.handlers import router_fit_command  # noqa: PLC0415

    return router_fit_command(arguments)
