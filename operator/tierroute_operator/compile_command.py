"""`tierroute compile PATH... [--policy NAME] [-o FILE]`: the routing table JSON of a policy."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from tierroute_operator.api.manifests import ManifestPathError
from tierroute_operator.compile import CompileError, CompileResult
from tierroute_operator.resolve import ResolveError, compile_manifests

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def compile_or_report(
    paths: Sequence[Path], policy: str | None, *, now: datetime
) -> CompileResult | int:
    """The compiled policy, or the exit code after printing one line per problem."""
    try:
        return compile_manifests(paths, policy, now=now)
    except ManifestPathError as error:
        print(f"tierroute: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (ResolveError, CompileError) as error:
        print(str(error), file=sys.stderr)
        return EXIT_PROBLEMS


def run_compile(
    paths: Sequence[Path], policy: str | None, output: Path | None, *, now: datetime
) -> int:
    """Write the table to `output` (or stdout), warnings and the hash to stderr."""
    result = compile_or_report(paths, policy, now=now)
    if isinstance(result, int):
        return result
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    document = result.document + b"\n"
    if output is None:
        sys.stdout.buffer.write(document)
    else:
        try:
            output.write_bytes(document)
        except OSError as error:
            print(f"tierroute: cannot write {output}: {error}", file=sys.stderr)
            return EXIT_USAGE
    print(f"compiled {result.table.source.policy}: {result.table_hash}", file=sys.stderr)
    return 0
