"""`tierroute testbed up|env|down`: a detached control plane for humans.

`up` builds the binaries if needed, starts the control plane in the background and prints the
shell lines to use it; `env` prints them again; `down` stops every recorded process by its id.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from tierroute_operator.testbed.binaries import build_binaries, configured_bin_dir
from tierroute_operator.testbed.control_plane import STOP_ORDER, start_control_plane
from tierroute_operator.testbed.errors import TestbedError
from tierroute_operator.testbed.processes import is_running, stop_process
from tierroute_operator.testbed.run_state import (
    RUN_DIRECTORY,
    STATE_FILE,
    RunState,
    default_state_directory,
    load,
    record,
)


def run_up(arguments: argparse.Namespace) -> int:
    """Start the test bed unless it already runs; print the export lines."""
    return _report_errors("up", lambda: _up(arguments))


def run_env(arguments: argparse.Namespace) -> int:
    """Print the export lines of the running test bed."""
    return _report_errors("env", lambda: _env(arguments))


def run_down(arguments: argparse.Namespace) -> int:
    """Stop the recorded processes and remove the run directory."""
    return _report_errors("down", lambda: _down(arguments))


def _report_errors(command: str, action: Callable[[], int]) -> int:
    """Run `action`; turn a TestbedError into one line on stderr and exit code 1."""
    try:
        return action()
    except TestbedError as error:
        first_line = str(error).strip().splitlines()[0]
        print(f"tierroute testbed {command}: {first_line}", file=sys.stderr)
        return 1


def _state_directory(arguments: argparse.Namespace) -> Path:
    explicit: Path | None = arguments.state_dir
    return explicit if explicit is not None else default_state_directory()


def _up(arguments: argparse.Namespace) -> int:
    state_directory = _state_directory(arguments)
    state = load(state_directory)
    if state is not None and _running(state):
        print(f"test bed already running at {state.server}", file=sys.stderr)
        print(export_lines(state))
        return 0
    if state is not None:
        _stop_and_remove(state, state_directory)
    bin_dir = configured_bin_dir(arguments.bin_dir) or build_binaries()
    run_directory = state_directory / RUN_DIRECTORY
    shutil.rmtree(run_directory, ignore_errors=True)
    try:
        control_plane = start_control_plane(bin_dir, run_directory, detached=True)
    except TestbedError as error:
        first_line = str(error).strip().splitlines()[0]
        raise TestbedError(f"{first_line} (logs in {run_directory / 'logs'})") from error
    state = record(control_plane, state_directory)
    print(
        f"test bed up at {state.server}; logs in {run_directory / 'logs'}; "
        "stop it with `tierroute testbed down`",
        file=sys.stderr,
    )
    print(export_lines(state))
    return 0


def _env(arguments: argparse.Namespace) -> int:
    state = load(_state_directory(arguments))
    if state is None or not _running(state):
        raise TestbedError("no test bed running: start one with `tierroute testbed up`")
    print(export_lines(state))
    return 0


def _down(arguments: argparse.Namespace) -> int:
    state_directory = _state_directory(arguments)
    state = load(state_directory)
    if state is None:
        print("no test bed recorded: nothing to stop", file=sys.stderr)
        return 0
    _stop_and_remove(state, state_directory)
    print(f"test bed at {state.server} stopped", file=sys.stderr)
    return 0


def _running(state: RunState) -> bool:
    return all(is_running(process) for process in state.managed_processes())


def _stop_and_remove(state: RunState, state_directory: Path) -> None:
    """Stop in STOP_ORDER (API server before etcd), then forget the run."""
    by_name = {process.name: process for process in state.managed_processes()}
    for name in STOP_ORDER:
        if name in by_name:
            stop_process(by_name[name])
    shutil.rmtree(state_directory / RUN_DIRECTORY, ignore_errors=True)
    (state_directory / STATE_FILE).unlink(missing_ok=True)


def export_lines(state: RunState) -> str:
    """Shell lines that point kubectl and helm at the test bed (for `eval`)."""
    return "\n".join(
        [
            f"export KUBECONFIG={shlex.quote(str(state.kubeconfig))}",
            f'export PATH={shlex.quote(str(state.bin_dir))}:"$PATH"',
        ]
    )
