"""What `tierroute testbed up` records so that `env` and `down` find the running test bed."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from tierroute_operator.testbed.control_plane import ControlPlane
from tierroute_operator.testbed.errors import TestbedError
from tierroute_operator.testbed.processes import ManagedProcess

STATE_FILE = "state.json"
RUN_DIRECTORY = "run"


class RecordedProcess(BaseModel):
    """One process started by `tierroute testbed up`."""

    name: str = Field(description="What the process is: etcd, kube-apiserver, ...")
    pid: int = Field(description="Its process id, used to stop it.")
    argv: list[str] = Field(description="Its command line; argv[0] guards against a reused pid.")
    log_path: Path = Field(description="The file its stdout and stderr go to.")


class RunState(BaseModel):
    """The running test bed: where it is, how to reach it, which processes to stop."""

    server: str = Field(description="The API server's URL, https://127.0.0.1:<port>.")
    kubeconfig: Path = Field(description="Admin kubeconfig for the API server.")
    bin_dir: Path = Field(description="Directory holding kubectl, helm and the servers.")
    run_directory: Path = Field(description="Certificates, etcd data, logs; removed by `down`.")
    processes: list[RecordedProcess] = Field(description="Processes in the order started.")

    def managed_processes(self) -> list[ManagedProcess]:
        """The recorded processes, ready to be checked or stopped by process id."""
        return [
            ManagedProcess(name=p.name, pid=p.pid, argv=p.argv, log_path=p.log_path)
            for p in self.processes
        ]


def default_state_directory() -> Path:
    """~/.cache/tierroute/testbed-run (or under $XDG_CACHE_HOME)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tierroute" / "testbed-run"


def record(control_plane: ControlPlane, state_directory: Path) -> RunState:
    """Write the running control plane's state file and return what was written."""
    state = RunState(
        server=control_plane.server,
        kubeconfig=control_plane.kubeconfig,
        bin_dir=control_plane.bin_dir,
        run_directory=control_plane.directory,
        processes=[
            RecordedProcess(name=p.name, pid=p.pid, argv=p.argv, log_path=p.log_path)
            for p in control_plane.processes
        ],
    )
    path = state_directory / STATE_FILE
    path.write_text(state.model_dump_json(indent=2))
    return state


def load(state_directory: Path) -> RunState | None:
    """The recorded state, or None when nothing is recorded."""
    path = state_directory / STATE_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        return RunState.model_validate_json(text)
    except ValidationError as error:
        problem = error.errors()[0]
        location = ".".join(str(part) for part in problem["loc"])
        raise TestbedError(
            f"{path}: {location}: {problem['msg']}; remove the file after stopping its processes"
        ) from error
