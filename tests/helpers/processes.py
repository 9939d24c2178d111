"""Start a real server process for a test, wait until it says where it listens, always stop it.

`serving(command)` runs `command`, waits (with a deadline) for a line of its output matching
`listening on URL`, yields the URL, and on exit stops the whole process group: SIGTERM, then
SIGKILL after a deadline. stdout and stderr are merged and drained on a thread so a chatty
process never blocks on a full pipe; the last lines are kept for error messages.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

LISTENING = re.compile(r"listening on (\S+)")
KEPT_LINES = 200


class ProcessStartError(RuntimeError):
    """The process exited or stayed silent before saying where it listens."""


@dataclass
class StartedProcess:
    """A running process, the URL it announced, and its output so far."""

    process: subprocess.Popen[str]
    url: str = ""
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=KEPT_LINES))
    drained: threading.Event = field(default_factory=threading.Event)
    """Set once the process's output has been read to its end."""

    def output(self) -> str:
        """The last lines the process printed (stdout and stderr merged)."""
        return "\n".join(self.lines)


@contextmanager
def started(
    command: Sequence[str | Path],
    *,
    ready: re.Pattern[str] = LISTENING,
    ready_deadline_s: float = 30.0,
    stop_deadline_s: float = 10.0,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Iterator[StartedProcess]:
    """Run `command` until the block ends; ready once a line matches `ready` (group 1 = URL)."""
    process = subprocess.Popen(
        [str(part) for part in command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=None if env is None else dict(env),
        cwd=cwd,
        start_new_session=True,  # its own process group: stopping it stops its children too
    )
    started_process = StartedProcess(process)
    found = threading.Event()
    reader = threading.Thread(
        target=_drain, args=(started_process, ready, found), daemon=True, name="drain-output"
    )
    reader.start()
    try:
        _wait_ready(started_process, found, ready_deadline_s, command)
        yield started_process
    finally:
        stop(process, stop_deadline_s)
        reader.join(timeout=stop_deadline_s)


@contextmanager
def serving(
    command: Sequence[str | Path],
    *,
    ready: re.Pattern[str] = LISTENING,
    ready_deadline_s: float = 30.0,
    stop_deadline_s: float = 10.0,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Iterator[str]:
    """Run `command` until the block ends and yield the URL it says it listens on."""
    with started(
        command,
        ready=ready,
        ready_deadline_s=ready_deadline_s,
        stop_deadline_s=stop_deadline_s,
        env=env,
        cwd=cwd,
    ) as running:
        yield running.url


def stop(process: subprocess.Popen[str], deadline_s: float = 10.0) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after `deadline_s`."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=deadline_s)
    _signal_group(process, signal.SIGKILL)  # children that outlived their parent


def _signal_group(process: subprocess.Popen[str], signal_number: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal_number)


def _drain(running: StartedProcess, ready: re.Pattern[str], found: threading.Event) -> None:
    stream = running.process.stdout
    if stream is None:
        running.drained.set()
        return
    try:
        for line in stream:
            running.lines.append(line.rstrip("\n"))
            if not found.is_set():
                match = ready.search(line)
                if match:
                    running.url = match.group(1)
                    found.set()
        stream.close()
    finally:
        running.drained.set()


def _wait_ready(
    running: StartedProcess,
    found: threading.Event,
    deadline_s: float,
    command: Sequence[str | Path],
) -> None:
    deadline = time.monotonic() + deadline_s
    shown = " ".join(str(part) for part in command)
    while not found.wait(timeout=0.05):
        code = running.process.poll()
        if code is not None:
            found.wait(timeout=1.0)  # the reader may still hold the last lines
            if found.is_set():
                return
            raise ProcessStartError(
                f"{shown!r} exited with code {code} before it said where it listens:\n"
                f"{running.output()}"
            )
        if time.monotonic() > deadline:
            raise ProcessStartError(
                f"{shown!r} did not say where it listens within {deadline_s:g}s:\n"
                f"{running.output()}"
            )
