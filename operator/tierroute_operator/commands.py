"""Subcommands this component contributes to the `tierroute` console script."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this component's subcommands."""
    _register_testbed(subparsers)
    _register_validate(subparsers)
    _register_crds(subparsers)
    _register_compile(subparsers)
    _register_explain(subparsers)
    _register_diff(subparsers)
    _register_operator(subparsers)


def _register_testbed(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    testbed = subparsers.add_parser(
        "testbed",
        help="a real Kubernetes control plane on loopback (etcd, kube-apiserver, controllers)",
        description="Start, inspect and stop a local control plane for development.",
    )
    actions = testbed.add_subparsers(dest="testbed_command", metavar="ACTION", required=True)
    state_help = "where the running test bed is recorded (default ~/.cache/tierroute/testbed-run)"
    up = actions.add_parser("up", help="build if needed, start, print `export` lines")
    up.add_argument(
        "--bin-dir",
        type=Path,
        help="use binaries from this directory instead of building "
        "(default $TIERROUTE_TESTBED_BIN, else tests/testbed/build.sh)",
    )
    up.set_defaults(handler=_testbed_up)
    env = actions.add_parser("env", help="print the `export` lines for the running test bed")
    env.set_defaults(handler=_testbed_env)
    down = actions.add_parser("down", help="stop every recorded process and remove its files")
    down.set_defaults(handler=_testbed_down)
    for action in (up, env, down):
        action.add_argument("--state-dir", type=Path, help=state_help)


def _testbed_up(arguments: argparse.Namespace) -> int:
    from tierroute_operator.testbed.cli import run_up  # noqa: PLC0415 (lazy)

    return run_up(arguments)


def _testbed_env(arguments: argparse.Namespace) -> int:
    from tierroute_operator.testbed.cli import run_env  # noqa: PLC0415 (lazy)

    return run_env(arguments)


def _testbed_down(arguments: argparse.Namespace) -> int:
    from tierroute_operator.testbed.cli import run_down  # noqa: PLC0415 (lazy)

    return run_down(arguments)


def _register_validate(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = subparsers.add_parser(
        "validate",
        help="check tierroute manifests offline (exit 0 valid, 1 problems, 2 usage)",
        description="Validate ModelCatalog, RoutingPolicy and BudgetAllocation manifests in "
        "files or directories (*.yaml, *.yml, *.json, searched recursively), each on its "
        "own and against the objects it references. Prints one line per problem: "
        "`FILE: Kind/name: field.path: message`. Objects of other API groups are ignored.",
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="manifest file or directory")
    validate.add_argument(
        "--strict",
        action="store_true",
        help="a reference to an object that is not in the given files is an error, not a warning",
    )
    validate.set_defaults(handler=_validate)


def _validate(arguments: argparse.Namespace) -> int:
    from datetime import UTC, datetime  # noqa: PLC0415 (lazy)

    from tierroute_operator.validate import run_validate  # noqa: PLC0415 (lazy)

    return run_validate(arguments.paths, strict=arguments.strict, now=datetime.now(UTC))


def _register_crds(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    crds = subparsers.add_parser(
        "crds",
        help="generate the CustomResourceDefinitions from the API models",
        description="Print the CRDs (no --output), write one file a kind into a directory, "
        "or check that the files are up to date (--check).",
    )
    crds.add_argument("--output", type=Path, metavar="DIR", help="directory for <kind>.yaml")
    crds.add_argument(
        "--reference",
        type=Path,
        metavar="FILE",
        help="also write (or check) the Markdown CRD reference, e.g. docs/crd-reference.md",
    )
    crds.add_argument("--check", action="store_true", help="exit 1 when a generated file is stale")
    crds.set_defaults(handler=_crds)


def _crds(arguments: argparse.Namespace) -> int:
    from tierroute_operator.crd_files import run_crds  # noqa: PLC0415 (lazy)

    return run_crds(arguments.output, arguments.reference, check=arguments.check)


def _register_compile(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    compile_parser = subparsers.add_parser(
        "compile",
        help="compile manifests into the routing table JSON a gateway loads",
        description="Compile a RoutingPolicy with the ModelCatalog and BudgetAllocation it "
        "references (found among the given files) into a routing table. Problems are printed "
        "one a line (exit 1); the table's content hash goes to stderr.",
    )
    compile_parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="file or directory"
    )
    compile_parser.add_argument("--policy", help="RoutingPolicy name (needed when several)")
    compile_parser.add_argument("-o", "--output", type=Path, help="write here, not stdout")
    compile_parser.set_defaults(handler=_compile)


def _compile(arguments: argparse.Namespace) -> int:
    from datetime import UTC, datetime  # noqa: PLC0415 (lazy)

    from tierroute_operator.compile_command import run_compile  # noqa: PLC0415 (lazy)

    return run_compile(arguments.paths, arguments.policy, arguments.output, now=datetime.now(UTC))


def _register_explain(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explain = subparsers.add_parser(
        "explain",
        help="show where one prompt or request would be routed, and why",
        description="Compile the policy from the given manifests and print the routing "
        "decision for a prompt or a chat-completions request as JSON: model, tier, "
        "complexity, capabilities, reason, estimated cost, fallback chain.",
    )
    explain.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or directory")
    explain.add_argument("--policy", help="RoutingPolicy name (needed when several)")
    request = explain.add_mutually_exclusive_group(required=True)
    request.add_argument("--prompt", help="the user message")
    request.add_argument("--request", type=Path, metavar="FILE.json", help="a request body")
    explain.add_argument("--model", default="auto", help="route or model (default: auto)")
    explain.add_argument(
        "--context-tokens", type=int, metavar="N", help="context size instead of the estimate"
    )
    explain.add_argument("--category", help="budget category (x-tierroute-category)")
    explain.add_argument("--max-latency-ms", help="latency ceiling (x-tierroute-max-latency-ms)")
    explain.add_argument("--min-quality", help="quality floor in [0, 1] (x-tierroute-min-quality)")
    explain.add_argument("--provider", help="provider to use (x-tierroute-provider)")
    explain.add_argument("--complexity", help="high, medium or low (x-tierroute-complexity)")
    explain.add_argument("--user", help="user id for sticky experiment assignment")
    explain.set_defaults(handler=_explain)


def _explain(arguments: argparse.Namespace) -> int:
    from datetime import UTC, datetime  # noqa: PLC0415 (lazy)

    from tierroute_gateway.server.headers import RequestHints  # noqa: PLC0415
    from tierroute_operator.explain_command import run_explain  # noqa: PLC0415

    if arguments.context_tokens is not None and arguments.context_tokens < 0:
        print("tierroute explain: --context-tokens must not be negative", file=sys.stderr)
        return 2
    hints = RequestHints(
        category=arguments.category,
        max_latency_ms=arguments.max_latency_ms,
        min_quality=arguments.min_quality,
        provider=arguments.provider,
        complexity=arguments.complexity,
        user=arguments.user,
    )
    return run_explain(
        arguments.paths,
        arguments.policy,
        prompt=arguments.prompt,
        request_file=arguments.request,
        model=arguments.model,
        context_tokens=arguments.context_tokens,
        hints=hints,
        now=datetime.now(UTC),
    )


def _register_diff(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = subparsers.add_parser(
        "diff",
        help="what a change of manifests does to routing",
        description="Compile the policy from OLD_PATH and from NEW_PATH and report models "
        "added, removed or repriced, and which decisions change for a built-in sample of "
        "requests on every route.",
    )
    diff.add_argument("old_path", type=Path, metavar="OLD_PATH", help="file or directory")
    diff.add_argument("new_path", type=Path, metavar="NEW_PATH", help="file or directory")
    diff.add_argument("--policy", help="RoutingPolicy name (needed when several)")
    diff.set_defaults(handler=_diff)


def _diff(arguments: argparse.Namespace) -> int:
    from datetime import UTC, datetime  # noqa: PLC0415 (lazy)

    from tierroute_operator.diff_command import run_diff  # noqa: PLC0415 (lazy)

    return run_diff(arguments.old_path, arguments.new_path, arguments.policy, now=datetime.now(UTC))


def _register_operator(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    operator = subparsers.add_parser(
        "operator",
        help="run the Kubernetes operator (kopf): custom resources to routing table ConfigMaps",
        description="Reconcile ModelCatalogs, RoutingPolicies and BudgetAllocations into "
        "ConfigMaps <policy>-routing and Secrets <policy>-credentials, with status and Events. "
        "Prints 'tierroute operator listening on URL' once the liveness endpoint answers. "
        "See docs/operations.md.",
    )
    scope = operator.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "--namespace", action="append", dest="namespaces", metavar="NS", help="watch NS (repeat)"
    )
    scope.add_argument("--all-namespaces", action="store_true", help="watch every namespace")
    operator.add_argument("--kubeconfig", type=Path, help="kubeconfig (default: in-cluster)")
    operator.add_argument(
        "--liveness", metavar="URL", help="liveness endpoint, e.g. http://0.0.0.0:8081/healthz "
        "(readiness at /readyz on the same port; port 0 = any free)",
    )  # fmt: skip
    operator.add_argument("--metrics-port", type=int, help="serve /metrics on this port")
    operator.add_argument("--metrics-host", default="0.0.0.0", help="/metrics bind address")
    operator.add_argument("--workers", type=int, default=4, help="concurrent reconciles (4)")
    operator.add_argument("--resync-seconds", type=float, default=300.0, help="full resync (300)")
    operator.add_argument(
        "--lease", metavar="NS/NAME", help="elect one active replica with this Lease (HA)"
    )
    operator.add_argument(
        "--lease-duration", type=float, default=15.0, help="Lease duration in seconds (15)"
    )
    operator.add_argument("--identity", help="replica name (default: hostname-pid)")
    operator.add_argument(
        "--watch-timeout", type=float, default=120.0, help="server-side watch timeout (120 s)"
    )
    operator.add_argument("--log-format", choices=("json", "text"), default="json")
    operator.add_argument("--verbose", action="store_true", help="debug logging")
    operator.set_defaults(handler=_operator)


def _operator(arguments: argparse.Namespace) -> int:
    from tierroute_operator.controller.cli import run_operator_command  # noqa: PLC0415 (lazy)

    return run_operator_command(arguments)
