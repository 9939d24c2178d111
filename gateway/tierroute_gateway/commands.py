"""Subcommands this component contributes to the `tierroute` console script."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this component's subcommands."""
    _register_sim(subparsers)
    _register_gateway(subparsers)
    _register_run(subparsers)
    _register_demo(subparsers)


def _register_sim(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sim",
        help="run the simulated LLM provider (OpenAI- and Anthropic-compatible)",
        description="Serve simulated models on the OpenAI and Anthropic APIs, with "
        "configurable latency, faults and answer quality, deterministic under --seed. "
        "Prints 'tierroute sim listening on URL' once it accepts connections.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--profile", type=Path, help="simulator profile (YAML or JSON)")
    source.add_argument("--catalog", type=Path, help="ModelCatalog manifest (YAML)")
    parser.add_argument("--provider", help="with --catalog: serve only the models of this provider")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 = a free port)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        help="accepted API key (repeatable; adds to the profile's api_keys)",
    )
    parser.set_defaults(handler=_run_sim)


def _run_sim(arguments: argparse.Namespace) -> int:
    from tierroute_gateway.sim.catalog import ProfileError, load_profile  # noqa: PLC0415
    from tierroute_gateway.sim.run import run_sim  # noqa: PLC0415

    path: Path = arguments.catalog or arguments.profile
    try:
        profile = load_profile(
            path, provider=arguments.provider, require_catalog=arguments.catalog is not None
        )
    except ProfileError as error:
        print(f"tierroute sim: {error}", file=sys.stderr)
        return 2
    if arguments.api_key:
        keys = [*profile.api_keys, *arguments.api_key]
        profile = profile.model_copy(update={"api_keys": keys})
    return run_sim(profile, host=arguments.host, port=arguments.port, seed=arguments.seed)


def _register_gateway(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gateway",
        help="run the OpenAI-compatible gateway from a routing table",
        description="Serve OpenAI-compatible chat completions routed by a routing table "
        "(routing.json), reloading it when the file changes. Prints 'tierroute gateway "
        "listening on URL' once it accepts connections.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", type=Path, help="routing table (JSON), reloaded on change")
    source.add_argument(
        "--manifests",
        type=Path,
        nargs="+",
        metavar="PATH",
        help="compile the table in process from manifest files or folders, again on change "
        "(the embedded default; needs the operator package's compiler)",
    )
    parser.add_argument("--policy", help="with --manifests: RoutingPolicy name (if several)")
    parser.add_argument(
        "--upstream-override",
        metavar="URL",
        help="send every provider's traffic to this base URL instead (a `tierroute sim`), "
        "to load-test a policy without spending money",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (8080; 0 = free)")
    parser.add_argument(
        "--credentials-dir",
        type=Path,
        default=Path("/var/run/tierroute/credentials"),
        help="directory of provider key files (/var/run/tierroute/credentials)",
    )
    parser.add_argument(
        "--client-keys-file", type=Path, help="accepted client API keys, one a line"
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=20 * 1024 * 1024, help="body limit (20 MiB)"
    )
    parser.add_argument(
        "--body-timeout-s",
        type=float,
        default=60.0,
        help="seconds allowed for a request's head and body to arrive; then 408 (60)",
    )
    parser.add_argument(
        "--keep-alive-s",
        type=float,
        default=30.0,
        help="seconds an idle client connection is kept open (30)",
    )
    parser.add_argument(
        "--request-deadline-ms",
        type=int,
        default=120_000,
        help="deadline of a request across retries and fallbacks (120000)",
    )
    parser.add_argument(
        "--breaker-failures",
        type=int,
        default=5,
        help="consecutive failures that open a model's circuit breaker (5)",
    )
    parser.add_argument(
        "--breaker-open-seconds",
        type=float,
        default=10.0,
        help="seconds an open breaker refuses calls before one probe (10)",
    )
    parser.add_argument(
        "--no-request-log", action="store_true", help="do not write a JSON line per request"
    )
    parser.add_argument(
        "--watch-configmap",
        metavar="NAMESPACE/NAME",
        help="take the table from this ConfigMap's routing.json through the Kubernetes API "
        "(sub-second updates; --config is kept as the last good copy, written like the kubelet)",
    )
    parser.add_argument(
        "--kubeconfig", type=Path, help="with --watch-configmap: kubeconfig (default: in-cluster)"
    )
    parser.set_defaults(handler=_run_gateway)


def _run_gateway(arguments: argparse.Namespace) -> int:
    from pydantic import ValidationError  # noqa: PLC0415

    from tierroute_gateway.server.reload import TableFile, TableSource  # noqa: PLC0415
    from tierroute_gateway.server.serve import run_gateway  # noqa: PLC0415
    from tierroute_gateway.server.settings import GatewaySettings  # noqa: PLC0415

    try:
        settings = GatewaySettings(
            host=arguments.host,
            port=arguments.port,
            credentials_dir=arguments.credentials_dir,
            client_keys_file=arguments.client_keys_file,
            max_body_bytes=arguments.max_body_bytes,
            body_timeout_s=arguments.body_timeout_s,
            keep_alive_s=arguments.keep_alive_s,
            request_deadline_ms=arguments.request_deadline_ms,
            request_log=not arguments.no_request_log,
            breaker_failures=arguments.breaker_failures,
            breaker_open_seconds=arguments.breaker_open_seconds,
        )
    except ValidationError as error:
        print(f"tierroute gateway: {error}", file=sys.stderr)
        return 2
    source: TableSource
    if arguments.manifests:
        from tierroute_gateway.manifests_source import (  # noqa: PLC0415
            CompilerMissingError,
            ManifestsSource,
            load_compiler,
        )

        try:
            source = ManifestsSource(arguments.manifests, arguments.policy, load_compiler())
        except CompilerMissingError as error:
            print(f"tierroute gateway: {error}", file=sys.stderr)
            return 2
    else:
        source = TableFile(arguments.config, interval=settings.reload_interval_s)
    if arguments.watch_configmap:
        from tierroute_gateway.configmap_watch import WatchSetupError, configmap_source  # noqa: PLC0415

        try:
            source = configmap_source(
                arguments.watch_configmap, arguments.kubeconfig, arguments.config
            )
        except WatchSetupError as error:
            print(f"tierroute gateway: {error}", file=sys.stderr)
            return 2
    if arguments.upstream_override:
        from tierroute_gateway.manifests_source import UpstreamOverride  # noqa: PLC0415

        source = UpstreamOverride(source, arguments.upstream_override)
    return run_gateway(settings, source)


def _register_run(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="the embedded default: simulated providers and a gateway from manifests",
        description="Start `tierroute sim` serving the policy's models and a gateway that "
        "compiles the manifests (again on every change) and sends all provider traffic to "
        "the simulator. No cluster, no API keys, no spending. Stops on Ctrl-C.",
    )
    parser.add_argument(
        "--manifests",
        type=Path,
        nargs="+",
        default=[Path("examples")],
        metavar="PATH",
        help="manifest files or folders (examples)",
    )
    parser.add_argument("--policy", help="RoutingPolicy name (needed when several)")
    parser.add_argument("--port", type=int, default=8080, help="gateway port (8080)")
    parser.add_argument("--seed", type=int, default=0, help="simulator seed (0)")
    parser.set_defaults(handler=_run_embedded)


def _run_embedded(arguments: argparse.Namespace) -> int:
    from tierroute_gateway.embedded_run import run_embedded  # noqa: PLC0415

    return run_embedded(
        arguments.manifests, arguments.policy, port=arguments.port, seed=arguments.seed
    )


def _register_demo(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="a scripted tour of routing, budgets and fallback on the embedded default",
        description="Start the embedded default on free ports with a small budget, send a "
        "simple, a complex, a coding, an image, an audio and a long-context request, spend a "
        "budget category until it runs out, break a provider and watch the fallback take "
        "over; print each decision with its latency and cost.",
    )
    parser.add_argument(
        "--manifests",
        type=Path,
        nargs="+",
        default=[Path("examples")],
        metavar="PATH",
        help="manifest files or folders (examples)",
    )
    parser.add_argument("--policy", help="RoutingPolicy name (needed when several)")
    parser.add_argument(
        "--budget-usd", default="0.05", help="budget amount for the tour, so it runs out (0.05)"
    )
    parser.add_argument("--seed", type=int, default=0, help="simulator seed (0)")
    parser.set_defaults(handler=_run_demo)


def _run_demo(arguments: argparse.Namespace) -> int:
    from tierroute_gateway.demo import run_demo  # noqa: PLC0415

    return run_demo(
        arguments.manifests, arguments.policy, budget_usd=arguments.budget_usd, seed=arguments.seed
    )
