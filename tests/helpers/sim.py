"""Start `tierroute sim` for a test and drive its admin endpoint."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.helpers.processes import started


def sim_command(profile: Path, *options: str) -> list[str]:
    """The command line that runs `tierroute sim` on a profile with this interpreter."""
    cli = [sys.executable, "-m", "tierroute_gateway.cli"]
    return [*cli, "sim", "--profile", str(profile), *options]


@dataclass
class Sim:
    """A running simulator: its base URL and its admin endpoint."""

    url: str
    output: Any

    @property
    def openai_url(self) -> str:
        """Base URL for the OpenAI SDK (`.../v1`)."""
        return f"{self.url}/v1"

    def patch(self, model: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Change a model's settings (a JSON merge patch) through `/admin/models/{model}`."""
        response = httpx.put(f"{self.url}/admin/models/{model}", content=orjson.dumps(patch))
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reset(self) -> None:
        """Back to the profile as loaded, counters and random streams included."""
        httpx.post(f"{self.url}/admin/reset").raise_for_status()

    def stats(self) -> dict[str, Any]:
        """What `/admin/stats` reports."""
        response = httpx.get(f"{self.url}/admin/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


@contextmanager
def running_sim(
    profile: Mapping[str, Any], directory: Path, *options: str, name: str = "sim-profile.json"
) -> Iterator[Sim]:
    """Write `profile` into `directory`, run `tierroute sim` on it, and stop it afterwards."""
    path = directory / name
    path.write_bytes(orjson.dumps(profile))
    with started(sim_command(path, *options)) as running:
        yield Sim(running.url, running.output)
