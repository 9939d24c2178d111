"""Added latency at fixed rates with the targets interleaved, so each sees the same machine.

Run: PATH=$HOME/.cargo/bin:$PATH .venv/bin/python perf/bench_added_latency.py
         [--rate 500] [--slices 12] [--slice-seconds 5] [--baseline WORKTREE]

perf/bench_gateway.py measures each target in a run of its own, so "added" latency there is
the difference of two runs made seconds apart, and on a machine whose CPUs slow down in
episodes (perf/RESULTS.md, run 5) one run can catch an episode the other misses. Here the
direct simulator, the gateway and the floor proxy (perf/thin_proxy.py) all run at once (the
gateway and the floor on core 0, each idle while the other is measured; the simulator and oha
on core 1, as in bench_gateway.py) and take turns: `--slices` rounds of `--slice-seconds` at
`--rate` each, in rotating order. Every request's latency (oha `--db-url`, with latency
correction) is pooled per target over all slices, so the percentiles of the three targets come
from the same stretch of machine time. `--baseline` adds the gateway of another checkout (`git
worktree add /tmp/base <commit>`) as a fourth target: an A/B of two commits under the same
conditions.

Alongside, `machine_load.EpisodeMeter` watches (on the load core) for the machine's slow
episodes: stretches of 10-50 ms, several a second, in which all work on both vCPUs runs 3-30
times slower. A second table repeats the figures for the requests that started and
ended at least `--margin-ms` away from any episode: what each target adds where the machine
lets it, beside what the run as a whole shows. Prints Markdown tables. Not a test: nothing
asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_gateway import find_oha, oha_command
from gateway_targets import LOAD_CORE, gateway, simulator, thin_proxy
from machine_load import EpisodeMeter, SlowEpisodes

PERCENTILES = (50, 90, 99, 99.9)
DIRECT = "direct to the simulator"

Timed = tuple[float, float, float]
"""One answered request: intended start and end (epoch seconds), latency in milliseconds."""


def main() -> int:
    """Interleave the three targets and print pooled percentiles."""
    arguments = _arguments()
    oha = find_oha()
    if oha is None:
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-added-") as scratch:
        work = Path(scratch)
        with contextlib.ExitStack() as stack:
            sim_url, _ = stack.enter_context(simulator(work))
            gateway_url, _ = stack.enter_context(gateway(work, sim_url))
            floor_url, _ = stack.enter_context(thin_proxy(work, sim_url))
            targets = {
                DIRECT: sim_url,
                "tierroute gateway": gateway_url,
                "thin proxy on the gateway's stack (floor)": floor_url,
            }
            if arguments.baseline is not None:
                base_url, _ = stack.enter_context(gateway(work, sim_url, arguments.baseline))
                targets[f"gateway of {arguments.baseline}"] = base_url
            for url in targets.values():
                _oha(oha, url, ["-z", "3s", "-c", "32"], None)  # warm-up
            requests: dict[str, list[Timed]] = {name: [] for name in targets}
            names = list(targets)
            meter = EpisodeMeter(LOAD_CORE)
            for number in range(arguments.slices):
                rotation = names[number % len(names) :] + names[: number % len(names)]
                for name in rotation:
                    database = work / f"slice-{number}-{names.index(name)}.db"
                    options = [
                        "-z", f"{arguments.slice_seconds}s", "-q", str(arguments.rate),
                        "-c", "64", "--latency-correction",
                    ]  # fmt: skip
                    launched = time.time()
                    _oha(oha, targets[name], options, database)
                    requests[name] += _read_requests(database, launched)
            episodes = meter.stop()
    _print_tables(requests, episodes, arguments)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=500, help="requests per second (500)")
    parser.add_argument("--slices", type=int, default=12, help="rounds of the three (12)")
    parser.add_argument(
        "--slice-seconds", type=int, default=5, help="seconds per target per round (5)"
    )
    parser.add_argument(
        "--baseline", type=Path, help="a checkout (git worktree) whose gateway runs alongside"
    )
    parser.add_argument(
        "--margin-ms",
        type=float,
        default=50.0,
        help="distance from a slow episode for a request to count as outside it (50)",
    )
    return parser.parse_args()


def _oha(oha: str, url: str, options: list[str], database: Path | None) -> None:
    extra = ["--db-url", str(database)] if database is not None else []
    subprocess.run(oha_command(oha, url, [*options, *extra]), capture_output=True, check=True)


def _read_requests(database: Path, launched: float) -> list[Timed]:
    """Each answered request, timed from its intended start (latency correction).

    oha records times relative to its own start, a few milliseconds after `launched`: the
    epoch times here are that much early, well inside the episode margin."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT COALESCE(start_latency_correction, start), end FROM oha WHERE status = 200"
        ).fetchall()
    return [(launched + start, launched + end, (end - start) * 1000) for start, end in rows]


def _percentile(ordered: list[float], share: float) -> float:
    index = min(len(ordered) - 1, max(0, round(share / 100 * len(ordered)) - 1))
    return ordered[index]


def _print_tables(
    requests: dict[str, list[Timed]], episodes: SlowEpisodes, arguments: argparse.Namespace
) -> None:
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {arguments.rate} RPS, {arguments.slices} "
        f"rounds of {arguments.slice_seconds} s per target, interleaved; "
        f"{episodes.describe()}\n"
    )
    print("All requests:\n")
    _print_table({name: [timed[2] for timed in rows] for name, rows in requests.items()})
    margin = arguments.margin_ms / 1000
    print(f"\nRequests at least {arguments.margin_ms:g} ms away from a slow episode:\n")
    _print_table(
        {
            name: [timed[2] for timed in rows if not episodes.touches(timed[0], timed[1], margin)]
            for name, rows in requests.items()
        },
        totals={name: len(rows) for name, rows in requests.items()},
    )


def _print_table(latencies: dict[str, list[float]], totals: dict[str, int] | None = None) -> None:
    direct = sorted(latencies[DIRECT])
    base = {share: _percentile(direct, share) for share in PERCENTILES} if direct else {}
    header = ["target", "requests", *(f"p{share:g}" for share in PERCENTILES)]
    header += ["added p50", "added p99"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" + " ---: |" * (len(header) - 1))
    for name, values in latencies.items():
        ordered = sorted(values)
        if not ordered or not base:
            print(f"| {name} | 0 |" + " - |" * (len(header) - 2))
            continue
        counted = f"{len(ordered):,}"
        if totals is not None:
            counted += f" ({len(ordered) / max(totals[name], 1):.0%})"
        figures = {share: _percentile(ordered, share) for share in PERCENTILES}
        cells = [name, counted, *(f"{figures[share]:.2f}" for share in PERCENTILES)]
        cells += [f"{figures[50] - base[50]:.2f}", f"{figures[99] - base[99]:.2f}"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
