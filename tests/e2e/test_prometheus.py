"""Smoke tests of the real Prometheus: it scrapes an exporter the test starts and answers
instant queries; stopping it ends its process."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.testbed import StartPrometheus, unavailable
from tierroute_operator.testbed.errors import TestbedError
from tierroute_operator.testbed.ports import free_port
from tierroute_operator.testbed.processes import is_running, start_process, stop_process
from tierroute_operator.testbed.prometheus import (
    find_prometheus,
    query_instant,
    start_prometheus,
    stop_prometheus,
    wait_for_query,
)
from tierroute_operator.testbed.readiness import wait_until_ready

pytestmark = pytest.mark.prometheus

METRIC = "testbed_smoke_requests_total"
EXPORTER = f"""\
import http.server, sys

port, value = int(sys.argv[1]), sys.argv[2]
body = f"# TYPE {METRIC} counter\\n{METRIC} {{value}}\\n".encode()


class Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


http.server.HTTPServer(("127.0.0.1", port), Metrics).serve_forever()
"""


@pytest.fixture
def exporter_value() -> int:
    """The counter value the exporter serves, chosen by the test."""
    return random.randint(1, 1_000_000)


@pytest.fixture
def exporter(tmp_path: Path, exporter_value: int) -> Iterator[str]:
    """A real HTTP process serving one counter on /metrics; yields its host:port."""
    script = tmp_path / "exporter.py"
    script.write_text(EXPORTER)
    port = free_port()
    argv = [sys.executable, str(script), str(port), str(exporter_value)]
    process = start_process("exporter", argv, tmp_path / "exporter.log")
    try:
        wait_until_ready(process, f"http://127.0.0.1:{port}/metrics", expect_body=METRIC)
        yield f"127.0.0.1:{port}"
    finally:
        stop_process(process)


def test_instant_query_returns_the_scraped_counter(
    prometheus: StartPrometheus, exporter: str, exporter_value: int
) -> None:
    server = prometheus([exporter])
    result = wait_for_query(server.url, METRIC)
    assert [sample["metric"]["instance"] for sample in result] == [exporter]
    assert float(result[0]["value"][1]) == exporter_value


def test_scrape_target_health_is_queryable(prometheus: StartPrometheus, exporter: str) -> None:
    server = prometheus([exporter])
    up = wait_for_query(server.url, f'up{{instance="{exporter}"}}')
    assert up[0]["value"][1] == "1"


def test_invalid_query_raises_an_error_naming_it(prometheus: StartPrometheus) -> None:
    server = prometheus([])
    with pytest.raises(TestbedError, match="rate\\("):
        query_instant(server.url, "rate(")


def test_stopping_prometheus_ends_its_process(tmp_path: Path) -> None:
    if find_prometheus() is None:
        unavailable("prometheus not found on PATH: install it with `make prometheus`")
    server = start_prometheus([], tmp_path)
    assert is_running(server.process)
    stop_prometheus(server)
    assert not is_running(server.process)
    assert server.process.popen is not None
    assert server.process.popen.returncode is not None
