"""A real Prometheus server on loopback scraping given targets, and its HTTP query API."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tierroute_operator.testbed.errors import TestbedError
from tierroute_operator.testbed.ports import LOOPBACK, free_port
from tierroute_operator.testbed.processes import ManagedProcess, start_process, stop_process
from tierroute_operator.testbed.readiness import wait_until_ready

INSTALL_HINT = "install it with `make prometheus` (apt-get install prometheus)"
JOB_NAME = "testbed"


@dataclass
class PrometheusServer:
    """A running Prometheus: its base URL and its process."""

    url: str
    directory: Path
    process: ManagedProcess


def find_prometheus() -> Path | None:
    """The `prometheus` binary on PATH (Debian installs /usr/bin/prometheus), or None."""
    found = shutil.which("prometheus")
    return Path(found) if found else None


def scrape_configuration(targets: Sequence[str], scrape_interval: str) -> dict[str, Any]:
    """A Prometheus configuration scraping `targets` (host:port) every `scrape_interval`."""
    return {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": scrape_interval,
        },
        "scrape_configs": [{"job_name": JOB_NAME, "static_configs": [{"targets": list(targets)}]}],
    }


def start_prometheus(
    targets: Sequence[str],
    directory: Path,
    *,
    scrape_interval: str = "1s",
    binary: Path | None = None,
    timeout_s: float = 60,
) -> PrometheusServer:
    """Start Prometheus in `directory` scraping `targets`; return once /-/ready answers."""
    executable = binary or find_prometheus()
    if executable is None:
        raise TestbedError(f"prometheus not found on PATH: {INSTALL_HINT}")
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(scrape_configuration(targets, scrape_interval)))
    address = f"{LOOPBACK}:{free_port()}"
    argv = [
        str(executable),
        f"--config.file={config_path}",
        f"--storage.tsdb.path={directory / 'data'}",
        f"--web.listen-address={address}",
        "--log.level=warn",
    ]
    process = start_process("prometheus", argv, directory / "prometheus.log")
    server = PrometheusServer(url=f"http://{address}", directory=directory, process=process)
    try:
        wait_until_ready(process, f"{server.url}/-/ready", timeout_s=timeout_s)
    except BaseException:
        stop_prometheus(server)
        raise
    return server


def stop_prometheus(server: PrometheusServer, *, timeout_s: float = 30) -> None:
    """Stop the Prometheus process by its own process id."""
    stop_process(server.process, timeout_s=timeout_s)


def query_instant(url: str, promql: str, *, timeout_s: float = 10) -> list[dict[str, Any]]:
    """Run an instant query against Prometheus at `url`; return `data.result` (a vector)."""
    request_url = f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    try:
        with urllib.request.urlopen(request_url, timeout=timeout_s) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise TestbedError(f"query {promql!r}: HTTP {error.code}: {detail}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise TestbedError(f"query {promql!r} against {url}: {error}") from error
    if body.get("status") != "success":
        raise TestbedError(f"query {promql!r}: {body.get('error', body)}")
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def wait_for_query(
    url: str, promql: str, *, timeout_s: float = 30, poll_interval_s: float = 0.25
) -> list[dict[str, Any]]:
    """Repeat an instant query until it returns a non-empty vector, within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = query_instant(url, promql)
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TestbedError(f"query {promql!r} returned nothing within {timeout_s:.0f} s")
        time.sleep(poll_interval_s)
