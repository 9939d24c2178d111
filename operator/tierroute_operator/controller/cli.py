"""`tierroute operator` arguments → OperatorConfig → run."""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from tierroute_operator.controller.runner import EXIT_USAGE, run_operator
from tierroute_operator.controller.settings import OperatorConfig


def run_operator_command(arguments: argparse.Namespace) -> int:
    """Validate the command line and run the operator."""
    options = {
        "namespaces": tuple(arguments.namespaces or ()),
        "all_namespaces": arguments.all_namespaces,
        "kubeconfig": arguments.kubeconfig,
        "liveness_url": arguments.liveness,
        "metrics_port": arguments.metrics_port,
        "metrics_host": arguments.metrics_host,
        "workers": arguments.workers,
        "resync_s": arguments.resync_seconds,
        "lease": arguments.lease,
        "lease_duration_s": arguments.lease_duration,
        "watch_server_timeout_s": arguments.watch_timeout,
        "watch_client_timeout_s": arguments.watch_timeout + 30,
        "log_format": arguments.log_format,
        "verbose": arguments.verbose,
    }
    if arguments.identity:
        options["identity"] = arguments.identity
    try:
        config = OperatorConfig.model_validate(options)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'options'}: {item['msg']}"
            for item in error.errors(include_url=False)
        )
        print(f"tierroute operator: {problems}", file=sys.stderr)
        return EXIT_USAGE
    return run_operator(config)
