"""How much a benchmark run was disturbed by other work on the machine, and waiting for quiet.

On a small machine shared with other work, a latency tail measures that work as much as the
code under test: one CPU-bound process on either core, even at nice 19, delays the wake-ups of
the measured processes by up to a scheduler slice each (perf/RESULTS.md, issue 4, run 5). Two
figures say how disturbed a run was, whatever else is running:

- CPU pressure (`/proc/pressure/cpu`, "some"): the share of the run's wall time during which
  at least one runnable task waited for a CPU;
- run-queue wait (`/proc/<pid>/task/*/schedstat`, second field) of each measured process:
  how long its threads were ready to run but not running.

Neither sees the CPU itself slowing down: on this virtual machine, while other work runs on
either vCPU, both vCPUs run episodically slower or stall for 1-2 ms (below the guest: a
real-time thread that nothing in the guest can preempt sees it). `CpuSpeed` measures that: per
core, a SCHED_FIFO process times a fixed ~50 us piece of work every 5 ms (1 % of the core) and
reports the median time of that work in each 100 ms window: the run's CPU speed relative to
the fastest run of the benchmark, and the share of windows 1.5 times slower than the run's
median (episodes of a slowed CPU).

Its 100 ms windows hide the episodes that set the gateway's tail: several times a second,
for 10-50 ms, all work on both vCPUs (a compute loop as much as reads of memory, within a few
pages or across many) runs 3-30 times slower, with nothing else running in the guest (no guest
thread, interrupt or page-reporting pass lines up with them: the cause is below the guest).
`EpisodeMeter` finds them sample by sample: a SCHED_FIFO process times 200 random reads of a
64 MiB buffer every 5 ms (about 1 % of a core) and `SlowEpisodes` holds the stretches in which
that took over twice its median, as wall-clock intervals a benchmark can set requests against.

Before a run, `wait_until_quiet` waits (boundedly) until no other work keeps a core busy.
"""

from __future__ import annotations

import gc
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

PRESSURE = Path("/proc/pressure/cpu")
_WINDOW_NS = 100_000_000
_EPISODE = 1.5
_MEMORY_BYTES = 64 * 1024 * 1024
_MEMORY_READS = 200
_SLOW_FACTOR = 2.0
_EPISODE_GAP_S = 0.02


@dataclass
class Disturbance:
    """What one run shared the machine with."""

    seconds: float = 0.0
    pressure_ms: float = 0.0
    waited_ms: dict[str, float] = field(default_factory=dict)
    windows_us: dict[str, list[float]] = field(default_factory=dict)

    @property
    def pressure_share(self) -> float:
        """Share of the run during which some task waited for a CPU."""
        return self.pressure_ms / 1000 / self.seconds if self.seconds else 0.0

    def speed(self, reference_us: dict[str, float]) -> dict[str, float]:
        """Per core, the CPU's speed during the run relative to `reference_us` (1.0 = as
        fast as the fastest run of the benchmark)."""
        return {
            core: reference_us[core] / statistics.median(windows)
            for core, windows in self.windows_us.items()
            if windows and core in reference_us
        }

    def slowed(self) -> dict[str, float]:
        """Per core, the share of 100 ms windows over 1.5 times slower than the run's median:
        episodes in which the CPU ran much slower than around them."""
        return {
            core: sum(w > _EPISODE * statistics.median(windows) for w in windows) / len(windows)
            for core, windows in self.windows_us.items()
            if windows
        }

    def describe(self, reference_us: dict[str, float]) -> str:
        """One cell: CPU speed and slowed windows per core, pressure, run-queue waits."""
        waits = ", ".join(
            f"{name} {ms / self.seconds:.1f}" for name, ms in self.waited_ms.items() if self.seconds
        )
        speed = " / ".join(f"{value:.0%}" for value in self.speed(reference_us).values()) or "-"
        slowed = " / ".join(f"{share:.0%}" for share in self.slowed().values()) or "-"
        return (
            f"CPU speed {speed}, slowed windows {slowed}; pressure {self.pressure_share:.1%}; "
            f"waits ms/s: {waits}"
        )


def fastest_runs(runs: list[Disturbance]) -> dict[str, float]:
    """Per core, the lowest median work time (us) of any run: the reference speed."""
    fastest: dict[str, float] = {}
    for run in runs:
        for core, windows in run.windows_us.items():
            if windows:
                fastest[core] = min(fastest.get(core, float("inf")), statistics.median(windows))
    return fastest


class CpuSpeed:
    """Measures, per core, the share of 100 ms windows in which the CPU ran slowed down."""

    def __init__(self, cores: list[str], seconds: float) -> None:
        self._meters = {
            core: subprocess.Popen(
                [sys.executable, __file__, core, f"{seconds:g}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            for core in cores
        }

    def windows(self) -> dict[str, list[float]]:
        """Wait for the meters; per core, each window's median work time in us."""
        found = {}
        for core, meter in self._meters.items():
            stdout, _ = meter.communicate(timeout=600)
            if meter.returncode == 0 and stdout.strip():
                found[core] = [float(w) for w in orjson.loads(stdout)]
        return found


def _meter(core: int, seconds: float) -> list[float]:
    """Time a fixed piece of work every 5 ms at real-time priority on `core`."""
    os.sched_setaffinity(0, {core})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    gc.disable()
    clock, chunks = time.perf_counter_ns, []
    end = clock() + int(seconds * 1e9)
    while clock() < end:
        started = clock()
        total = 0
        for number in range(1000):
            total += number
        chunks.append((started, clock() - started))
        time.sleep(0.005)
    windows: dict[int, list[int]] = {}
    for started, took in chunks:
        windows.setdefault((started - chunks[0][0]) // _WINDOW_NS, []).append(took)
    return [statistics.median(took) / 1000 for took in windows.values()]


def pressure_total_us() -> int:
    """Microseconds some task has waited for a CPU since boot (0 without PSI)."""
    try:
        first = PRESSURE.read_text().splitlines()[0]
    except OSError:
        return 0
    return int(first.rsplit("total=", 1)[1])


def waited_ns(pid: int) -> int:
    """Nanoseconds the threads of `pid` have spent runnable but not running."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for task in tasks:
        try:
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def busy_cores(seconds: float = 2.0) -> float:
    """Cores' worth of CPU the whole machine used over `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]
        return sum(values[:8]) - idle, sum(values[:8])

    busy_before, total_before = sample()
    time.sleep(seconds)
    busy_after, total_after = sample()
    share = (busy_after - busy_before) / max(total_after - total_before, 1)
    return share * (os.cpu_count() or 1)


def wait_until_quiet(max_wait: float, busy_limit: float = 0.15) -> tuple[bool, float]:
    """Wait up to `max_wait` seconds until the machine uses under `busy_limit` cores while
    the benchmark's own processes are idle; whether it got quiet, and the last figure."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = busy_cores()
        if busy < busy_limit or time.monotonic() >= deadline:
            return busy < busy_limit, busy
        time.sleep(3)


@dataclass(frozen=True)
class SlowEpisodes:
    """Stretches of wall-clock time in which the machine ran much slower than usual."""

    intervals: list[tuple[float, float]]
    median_us: float
    worst: float
    seconds: float

    @property
    def share(self) -> float:
        """Share of the watched time inside an episode."""
        inside = sum(end - start for start, end in self.intervals)
        return inside / self.seconds if self.seconds else 0.0

    def touches(self, start: float, end: float, margin: float) -> bool:
        """Whether [start - margin, end + margin] (epoch seconds) overlaps an episode."""
        return any(first < end + margin and start - margin < last for first, last in self.intervals)

    def describe(self) -> str:
        """One line: how many episodes, how much of the time, how slow."""
        return (
            f"{len(self.intervals)} slow episodes ({self.share:.1%} of the time; a "
            f"{self.median_us:.0f} us read of random memory up to {self.worst:.0f}x slower)"
        )


def slow_episodes(samples: list[tuple[float, float]]) -> SlowEpisodes:
    """Episodes from (epoch start, microseconds) samples of the episode meter: samples over
    `_SLOW_FACTOR` times the median, merged when under `_EPISODE_GAP_S` apart."""
    if not samples:
        return SlowEpisodes([], 0.0, 0.0, 0.0)
    median = statistics.median(took for _, took in samples)
    intervals: list[tuple[float, float]] = []
    worst = 1.0
    for started, took in samples:
        if took <= _SLOW_FACTOR * median:
            continue
        worst = max(worst, took / median)
        ended = started + took / 1e6
        if intervals and started - intervals[-1][1] < _EPISODE_GAP_S:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], ended))
        else:
            intervals.append((started, ended))
    seconds = max(started + took / 1e6 for started, took in samples) - samples[0][0]
    return SlowEpisodes(intervals, median, worst, seconds)


class EpisodeMeter:
    """Runs the episode meter on `core` from construction until `stop`."""

    def __init__(self, core: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__, core, "0", "episodes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> SlowEpisodes:
        """Stop the meter and find the episodes in what it measured."""
        self._process.send_signal(signal.SIGTERM)
        stdout, _ = self._process.communicate(timeout=60)
        samples = orjson.loads(stdout) if stdout.strip() else []
        return slow_episodes([(float(started), float(took)) for started, took in samples])


def _episode_meter(core: int) -> list[tuple[float, float]]:
    """Time `_MEMORY_READS` random reads of a large buffer every 5 ms until SIGTERM."""
    stopped: list[int] = []
    signal.signal(signal.SIGTERM, lambda number, frame: stopped.append(number))
    buffer = bytearray(os.urandom(_MEMORY_BYTES))  # written pages: reads cannot share one
    chooser = random.Random(1)
    offsets = [chooser.randrange(_MEMORY_BYTES) for _ in range(_MEMORY_READS)]
    os.sched_setaffinity(0, {core})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    gc.disable()
    samples: list[tuple[float, float]] = []
    while not stopped:
        wall, started = time.time(), time.perf_counter_ns()
        total = 0
        for offset in offsets:
            total += buffer[offset]
        samples.append((wall, (time.perf_counter_ns() - started) / 1000))
        time.sleep(0.005)
    return samples


if __name__ == "__main__":
    if sys.argv[3:] == ["episodes"]:
        sys.stdout.write(orjson.dumps(_episode_meter(int(sys.argv[1]))).decode())
    else:
        sys.stdout.write(orjson.dumps(_meter(int(sys.argv[1]), float(sys.argv[2]))).decode())
