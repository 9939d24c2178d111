"""Throughput and memory of `tierroute bench run` against the simulator (issue 7).

Run: .venv/bin/python perf/bench_harness.py [--tasks 1000 5000 10000] [--concurrency 64]

For each task count a fresh child process runs the harness's runner in-process against one
`tierroute sim` model that answers at once (fixed 0 ms latency, quality 0.9), and reports the
run's wall time (suite check, requests, scoring, cost, incremental writes and the final
reordering; not interpreter start-up), its peak RSS, and the CPU time the runner and the
simulator spent per task (what bounds throughput on an idle machine: one core each). Each
task carries the same small PNG, so every request base64-encodes an image. With `taskset`
present the simulator is pinned to CPU 1 and the runner to CPU 0 (BENCH_HARNESS_PIN=0 turns
that off).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from PIL import Image

PIN = os.environ.get("BENCH_HARNESS_PIN", "1") == "1"
PROFILE = {
    "models": [
        {
            "name": "fast",
            "quality": 0.9,
            "latency": {"distribution": "fixed", "median_ms": 0},
            "time_to_first_token": {"distribution": "fixed", "median_ms": 0},
            "tokens_per_second": 0,
        }
    ]
}


def write_tasks(directory: Path, count: int) -> Path:
    """A JSONL suite of `count` vision tasks sharing one small PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(buffer, format="PNG")
    (directory / "image.png").write_bytes(buffer.getvalue())
    path = directory / f"tasks-{count}.jsonl"
    with path.open("wb") as handle:
        for index in range(count):
            task = {
                "id": f"t{index:06d}",
                "modality": "vision",
                "prompt": f"Read {index}.",
                "media": ["image.png"],
                "expected": str(index),
                "maxOutputTokens": 16,
            }
            handle.write(orjson.dumps(task) + b"\n")
    return path


def child(suite_path: str, url: str, concurrency: int, stream: bool) -> None:
    """Run one benchmark in this process; print its figures as JSON."""
    # Imported here so that the parent process stays small.
    from tierroute_bench.runner import RunOptions, run_benchmark  # noqa: PLC0415
    from tierroute_bench.targets import Target, endpoint_url  # noqa: PLC0415
    from tierroute_bench.tasks import load_suite  # noqa: PLC0415

    suite = load_suite(Path(suite_path))
    target = Target("fast", "fast", "openai", endpoint_url(url, "openai"))
    results = Path(suite_path).with_suffix(".results.jsonl")
    options = RunOptions(concurrency=concurrency, simulator=True, stream=stream, retries=0)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = time.process_time()
    started = time.perf_counter()
    summary = asyncio.run(run_benchmark(suite, [target], results, options))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"tasks": summary.written, "seconds": seconds, "outcomes": summary.outcomes,
                      "rss_before_kb": rss_before, "peak_rss_kb": peak, "cpu_s": cpu}))  # fmt: skip


def pinned(cpu: int) -> list[str]:
    """A `taskset` prefix when the tool exists, the machine has the CPU and pinning is on."""
    if PIN and shutil.which("taskset") and (os.cpu_count() or 1) > cpu:
        return ["taskset", "-c", str(cpu)]
    return []


def start_sim(directory: Path) -> tuple[subprocess.Popen[str], str]:
    profile = directory / "profile.json"
    profile.write_bytes(orjson.dumps(PROFILE))
    command = [*pinned(1), sys.executable, "-m", "tierroute_gateway.cli", "sim",
               "--profile", str(profile), "--port", "0"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if "listening on" not in line:
        process.terminate()
        raise RuntimeError(f"the simulator did not start: {line!r}")
    return process, line.split("listening on", 1)[1].strip()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(counts: list[int], concurrency: int, stream: bool) -> list[dict[str, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        sim, url = start_sim(directory)
        try:
            for count in counts:
                suite = write_tasks(directory, count)
                command = [*pinned(0), sys.executable, __file__, "--child", str(suite), url,
                           "--concurrency", str(concurrency)]  # fmt: skip
                command += [] if stream else ["--no-stream"]
                sim_cpu_before = cpu_seconds(sim.pid)
                output = subprocess.run(command, capture_output=True, text=True, check=True)
                row = json.loads(output.stdout.strip().splitlines()[-1])
                row["sim_cpu_s"] = cpu_seconds(sim.pid) - sim_cpu_before
                row["tasks_per_second"] = row["tasks"] / row["seconds"]
                rows.append(row)
                print(
                    f"{count:>7} tasks: {row['tasks_per_second']:6.0f} tasks/s, "
                    f"{row['seconds']:6.2f} s, peak RSS {row['peak_rss_kb'] / 1024:5.1f} MiB "
                    f"(before the run {row['rss_before_kb'] / 1024:.1f} MiB), CPU per task: "
                    f"runner {row['cpu_s'] / row['tasks'] * 1e6:4.0f} µs, "
                    f"simulator {row['sim_cpu_s'] / row['tasks'] * 1e6:4.0f} µs; {row['outcomes']}"
                )
        finally:
            sim.terminate()
            sim.wait(timeout=10)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--no-stream", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("SUITE", "URL"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        suite_path, url = arguments.child
        child(suite_path, url, arguments.concurrency, not arguments.no_stream)
        return
    measure(arguments.tasks, arguments.concurrency, not arguments.no_stream)


if __name__ == "__main__":
    main()
