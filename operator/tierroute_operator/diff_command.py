"""`tierroute diff OLD_PATH NEW_PATH --policy NAME`: what a change does to routing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tierroute_gateway.decision.index import build_index
from tierroute_operator.compile_command import compile_or_report
from tierroute_operator.table_diff import diff_tables, format_diff, route_names


def run_diff(old_path: Path, new_path: Path, policy: str | None, *, now: datetime) -> int:
    """Print the differences; exit 0 whether or not routing changes, 1 on problems."""
    old = compile_or_report([old_path], policy, now=now)
    if isinstance(old, int):
        return old
    new = compile_or_report([new_path], policy, now=now)
    if isinstance(new, int):
        return new
    routes = tuple(sorted(set(route_names(old.table)) | set(route_names(new.table))))
    print(
        format_diff(
            diff_tables(build_index(old.table), build_index(new.table), routes=routes, now=now)
        )
    )
    return 0
