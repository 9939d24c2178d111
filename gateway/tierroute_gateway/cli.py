"""The `tierroute` console script: one command, subcommands contributed by each component.

Each component registers its subcommands through the `tierroute.commands` entry point group
(see pyproject.toml), so this dispatcher needs no import of the operator or the bench package:
the gateway never imports the operator.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every installed component's subcommands."""
    parser = argparse.ArgumentParser(
        prog="tierroute", description="Kubernetes-native, cost-aware router for LLM traffic."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for entry in sorted(entry_points(group="tierroute.commands"), key=lambda e: e.name):
        register: Register = entry.load()
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; the exit code is its result."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = arguments.handler
    try:
        return handler(arguments)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
