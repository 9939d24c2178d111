"""Subcommands this component contributes to the `tierroute` console script:
`tierroute bench run|report|smoke-suite|publish`. The work happens in `handlers`, imported
only when a bench subcommand runs.
"""

from __future__ import annotations

import argparse

from tierroute_bench.routing_eval import commands as routing_eval_commands


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `tierroute bench` and its subcommands."""
    bench = subparsers.add_parser(
        "bench", help="benchmark models on multimodal task suites", description=__doc__
    )
    commands = bench.add_subparsers(dest="bench_command", metavar="COMMAND", required=True)
    _add_run(commands)
    _add_report(commands)
    _add_smoke_suite(commands)
    _add_publish(commands)
    routing_eval_commands.register(subparsers)


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="run a suite; resumes from the results file")
    run.add_argument("suite", help="suite file (YAML, or JSONL of tasks)")
    run.add_argument("--catalog", help="ModelCatalog manifest (overrides the suite's)")
    run.add_argument("--models", help="comma-separated catalog model names (default: suite's)")
    target = run.add_mutually_exclusive_group()
    target.add_argument("--gateway", metavar="URL", help="send through a tierroute gateway")
    target.add_argument("--provider-url", metavar="URL", help="send straight to this provider")
    run.add_argument("--api", choices=("openai", "anthropic"), default="openai",
                     help="wire format for --provider-url without a catalog")  # fmt: skip
    run.add_argument("--api-key-env", metavar="VAR", help="environment variable with the API key")
    run.add_argument("--output", "-o", default="results.jsonl", help="results file (JSONL)")
    run.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    run.add_argument("--retries", type=int, default=2, help="retries after transport errors")
    run.add_argument("--no-stream", action="store_true", help="no streaming (no TTFT)")
    run.add_argument("--simulator", action="store_true",
                     help="target is `tierroute sim`: send expected answers")  # fmt: skip
    run.add_argument("--judge-model", help="model that grades judge-scored tasks")
    run.add_argument("--judge-url", metavar="URL", help="gateway for the judge (default --gateway)")
    run.add_argument("--seed", type=int, default=0, help="seed of retry jitter")
    run.set_defaults(handler=_run)


def _add_report(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser("report", help="Markdown + HTML report and chart of results")
    report.add_argument("results", help="results file written by `bench run`")
    report.add_argument("--catalog", help="ModelCatalog manifest (pricing for the 10K-image cost)")
    report.add_argument("--output", "-o", default="report", help="output directory")
    report.add_argument("--tokens-per-image", type=int, default=500,
                        help="stated tokens per image for the cost per 10K images")  # fmt: skip
    report.add_argument("--title", help="report title")
    report.set_defaults(handler=_report)


def _add_smoke_suite(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    smoke = commands.add_parser("smoke-suite", help="write a suite that needs no network")
    smoke.add_argument("directory", help="where to write suite.yaml and its media")
    smoke.add_argument("--per-kind", type=int, default=10, help="tasks of each kind")
    smoke.add_argument("--seed", type=int, default=7, help="random seed")
    smoke.add_argument("--catalog", help="ModelCatalog manifest the suite refers to")
    smoke.add_argument("--simulator", action="store_true", help="mark the suite simulator-only")
    smoke.add_argument("--tones", action="store_true", help="tones even if espeak-ng is present")
    smoke.set_defaults(handler=_smoke_suite)


def _add_publish(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    publish = commands.add_parser("publish", help="write measured figures to ModelCatalog status")
    publish.add_argument("results", help="results file written by `bench run`")
    publish.add_argument("--catalog-name", required=True, help="ModelCatalog object name")
    publish.add_argument("--namespace", "-n", default="default", help="its namespace")
    publish.add_argument("--kubeconfig", help="kubeconfig for kubectl")
    publish.add_argument("--kubectl", default="kubectl", help="kubectl binary")
    publish.add_argument("--dry-run", action="store_true", help="print the patch, change nothing")
    publish.set_defaults(handler=_publish)


def _run(arguments: argparse.Namespace) -> int:
    from tierroute_bench.handlers import run_command  # noqa: PLC0415

    return run_command(arguments)


def _report(arguments: argparse.Namespace) -> int:
    from tierroute_bench.handlers import report_command  # noqa: PLC0415

    return report_command(arguments)


def _smoke_suite(arguments: argparse.Namespace) -> int:
    from tierroute_bench.handlers import smoke_suite_command  # noqa: PLC0415

    return smoke_suite_command(arguments)


def _publish(arguments: argparse.Namespace) -> int:
    from tierroute_bench.handlers import publish_command  # noqa: PLC0415

    return publish_command(arguments)
