"""Start a server process with its output in a log file, and stop it by its own process id."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tierroute_operator.testbed.errors import TestbedError

LOG_TAIL_CHARACTERS = 2000


@dataclass
class ManagedProcess:
    """A process the test bed started: what it is, its id, where its output goes."""

    name: str
    pid: int
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)

    def log_tail(self) -> str:
        """The last lines the process wrote, to explain why it failed."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text[-LOG_TAIL_CHARACTERS:].strip()


def start_process(
    name: str,
    argv: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    detached: bool = False,
) -> ManagedProcess:
    """Start `argv` with stdout and stderr in `log_path`.

    A detached process gets its own session and outlives its starter (for `tierroute testbed
    up`); otherwise it is told to exit when its starter dies, so a killed test run leaves
    nothing behind.
    """
    if shutil.which(argv[0]) is None:
        raise TestbedError(f"{name}: cannot start {argv[0]}: not an executable file")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = list(argv) if detached else [*_exit_with_parent(), *argv]
    with log_path.open("ab") as log:
        try:
            popen = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=detached,
            )
        except OSError as error:
            raise TestbedError(f"{name}: cannot start {argv[0]}: {error}") from error
    return ManagedProcess(name=name, pid=popen.pid, argv=list(argv), log_path=log_path, popen=popen)


def _exit_with_parent() -> list[str]:
    """A command prefix that makes Linux send SIGTERM to the process when its parent exits.

    util-linux's `setpriv` sets the parent-death signal and execs the command (same pid). It
    avoids `preexec_fn`, which is unsafe when the test process runs threads.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def is_running(process: ManagedProcess) -> bool:
    """Whether the process still runs (a zombie or a reused process id counts as gone)."""
    if process.popen is not None:
        return process.popen.poll() is None
    state = _proc_state(process.pid)
    if state is None or state == "Z":
        return False
    return _proc_argv0(process.pid) == process.argv[0]


def stop_process(process: ManagedProcess, *, timeout_s: float = 30.0) -> None:
    """SIGTERM the process by its id, wait up to `timeout_s`, then SIGKILL it."""
    if not is_running(process):
        _reap(process)
        return
    _signal(process, signal.SIGTERM)
    if _wait_gone(process, timeout_s):
        return
    _signal(process, signal.SIGKILL)
    if not _wait_gone(process, 10.0):
        raise TestbedError(f"{process.name} (pid {process.pid}) survived SIGKILL")


def _signal(process: ManagedProcess, signal_number: signal.Signals) -> None:
    try:
        os.kill(process.pid, signal_number)
    except ProcessLookupError:
        return


def _wait_gone(process: ManagedProcess, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_running(process):
            _reap(process)
            return True
        time.sleep(0.05)
    return False


def _reap(process: ManagedProcess) -> None:
    if process.popen is not None:
        process.popen.wait()


def _proc_state(pid: int) -> str | None:
    """The one-letter state from /proc/<pid>/stat, or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _proc_argv0(pid: int) -> str | None:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return cmdline.split(b"\0", 1)[0].decode(errors="replace")
