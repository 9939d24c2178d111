"""The shells behind `tierroute bench` subcommands: read arguments and files, call the core,
print a summary, map errors to one line on stderr and an exit code (1: a run stopped part way,
results kept; 2: nothing could start).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import orjson

from tierroute_bench.catalog import CatalogError, load_catalog
from tierroute_bench.costs import prices_from_catalog
from tierroute_bench.media import MediaError
from tierroute_bench.publish import PublishError, measurements, publish_with_kubectl
from tierroute_bench.report import ModelFacts, write_report
from tierroute_bench.results import ResultsFileError, read_results
from tierroute_bench.runner import JudgeTarget, RunError, RunOptions, RunSummary, run_benchmark
from tierroute_bench.smoke_suite import write_smoke_suite
from tierroute_bench.targets import (
    Target,
    TargetError,
    auth_headers,
    endpoint_url,
    resolve_targets,
)
from tierroute_bench.tasks import Suite, SuiteError, load_suite

EXIT_STOPPED = 1
EXIT_UNUSABLE = 2
_SETUP_ERRORS = (SuiteError, CatalogError, TargetError, MediaError, ResultsFileError)
T = TypeVar("T")


def run_command(arguments: argparse.Namespace) -> int:
    """`tierroute bench run`."""
    try:
        suite = load_suite(Path(arguments.suite))
        targets = _targets(arguments, suite)
        options = _run_options(arguments, suite)
        summary = _run_async(run_benchmark(suite, targets, Path(arguments.output), options))
    except RunError as error:
        return _fail("run", error, EXIT_STOPPED)
    except _SETUP_ERRORS as error:
        return _fail("run", error, EXIT_UNUSABLE)
    print(describe_summary(summary))
    return 0


def _targets(arguments: argparse.Namespace, suite: Suite) -> list[Target]:
    catalog_path = _catalog_path(arguments.catalog, suite)
    catalog = load_catalog(catalog_path) if catalog_path is not None else None
    names = arguments.models.split(",") if arguments.models else list(suite.header.models)
    return resolve_targets(
        [name.strip() for name in names if name.strip()],
        catalog,
        catalog_label=str(catalog_path),
        gateway_url=arguments.gateway,
        provider_url=arguments.provider_url,
        api=arguments.api,
        api_key=_api_key(arguments.api_key_env),
    )


def _run_options(arguments: argparse.Namespace, suite: Suite) -> RunOptions:
    if arguments.concurrency < 1 or arguments.timeout <= 0 or arguments.retries < 0:
        raise TargetError("--concurrency must be >= 1, --timeout > 0 and --retries >= 0")
    judge = None
    if arguments.judge_model:
        base = arguments.judge_url or arguments.gateway
        if base is None:
            raise TargetError("--judge-model needs --judge-url or --gateway")
        headers = auth_headers("openai", _api_key(arguments.api_key_env))
        judge = JudgeTarget(endpoint_url(base, "openai"), arguments.judge_model, headers)
    return RunOptions(
        concurrency=arguments.concurrency,
        timeout_s=arguments.timeout,
        retries=arguments.retries,
        stream=not arguments.no_stream,
        simulator=arguments.simulator or suite.header.options.simulator,
        judge=judge,
        seed=arguments.seed,
    )


def _catalog_path(explicit: str | None, suite: Suite) -> Path | None:
    if explicit is not None:
        return Path(explicit)
    if suite.header.catalog is not None:
        return suite.base_dir / suite.header.catalog
    return None


def _api_key(variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise TargetError(f"--api-key-env: environment variable {variable} is not set")
    return value


def describe_summary(summary: RunSummary) -> str:
    """What a run did, in one line."""
    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(summary.outcomes.items()))
    return (
        f"{summary.written} results written to {summary.results_path} "
        f"({outcomes or 'nothing to do'}); {summary.already_done} already there, "
        f"{summary.unsupported} skipped (model lacks the capability)"
    )


def report_command(arguments: argparse.Namespace) -> int:
    """`tierroute bench report`."""
    try:
        facts = _model_facts(Path(arguments.catalog)) if arguments.catalog else {}
        written = write_report(
            Path(arguments.results),
            Path(arguments.output),
            facts,
            tokens_per_image=arguments.tokens_per_image,
            title=arguments.title,
        )
    except (CatalogError, ResultsFileError, OSError) as error:
        return _fail("report", error, EXIT_UNUSABLE)
    files = [written.markdown, written.html] + ([written.chart] if written.chart else [])
    print("wrote " + ", ".join(str(path) for path in files))
    return 0


def _model_facts(path: Path) -> dict[str, ModelFacts]:
    catalog = load_catalog(path)
    return {
        model.name: ModelFacts(
            prices_from_catalog(model.pricing), frozenset(str(c) for c in model.capabilities)
        )
        for model in catalog.spec.models
    }


def smoke_suite_command(arguments: argparse.Namespace) -> int:
    """`tierroute bench smoke-suite`."""
    try:
        written = write_smoke_suite(
            Path(arguments.directory),
            per_kind=arguments.per_kind,
            seed=arguments.seed,
            catalog=Path(arguments.catalog) if arguments.catalog else None,
            simulator=arguments.simulator,
            use_espeak=False if arguments.tones else None,
        )
    except OSError as error:
        return _fail("smoke-suite", error, EXIT_UNUSABLE)
    print(f"wrote {written.suite_path}: {written.tasks} tasks, audio from {written.audio_source}")
    return 0


def publish_command(arguments: argparse.Namespace) -> int:
    """`tierroute bench publish`."""
    kubectl = [arguments.kubectl]
    if arguments.kubeconfig:
        kubectl += ["--kubeconfig", arguments.kubeconfig]
    try:
        measured = measurements(read_results(Path(arguments.results)))
        patch = publish_with_kubectl(
            arguments.catalog_name,
            arguments.namespace,
            measured,
            kubectl=kubectl,
            dry_run=arguments.dry_run,
        )
    except (PublishError, ResultsFileError, OSError) as error:
        return _fail("publish", error, EXIT_UNUSABLE)
    print(orjson.dumps(patch, option=orjson.OPT_INDENT_2).decode())
    return 0


def _run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop  # noqa: PLC0415  (optional: a faster event loop where installed)
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _fail(command: str, error: BaseException, code: int) -> int:
    print(f"tierroute bench {command}: {error}", file=sys.stderr)
    return code
