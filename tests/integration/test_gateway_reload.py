"""Hot reload of the routing table: valid tables are used at once, invalid ones refused."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.helpers.gateway import gateway_command, model, routing_table, running_gateway
from tests.helpers.processes import started
from tests.helpers.sim import Sim, running_sim

ASK: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    profile = {"models": [{"name": "economy-a"}, {"name": "economy-b"}]}
    with running_sim(profile, tmp_path_factory.mktemp("sim")) as running:
        yield running


def table_serving(sim: Sim, name: str) -> dict[str, Any]:
    return routing_table(sim.url, [model(name, "economy")], policy=f"policy-{name}")


def wait_until(condition: Callable[[], bool], deadline_s: float = 10.0) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.1)


def answered_by(url: str) -> str:
    response = httpx.post(f"{url}/v1/chat/completions", json=ASK, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["x-tierroute-model"]


def test_valid_new_table_is_used_by_the_next_request(sim: Sim, tmp_path: Path) -> None:
    with running_gateway(table_serving(sim, "economy-a"), tmp_path) as gateway:
        first_hash = httpx.get(f"{gateway.url}/readyz").json()["hash"]
        assert answered_by(gateway.url) == "economy-a"
        gateway.write_table(table_serving(sim, "economy-b"))
        wait_until(lambda: httpx.get(f"{gateway.url}/readyz").json()["hash"] != first_hash)
        assert answered_by(gateway.url) == "economy-b"
        metrics = httpx.get(f"{gateway.url}/metrics").text
        assert 'tierroute_config_reloads_total{result="ok"} 2.0' in metrics
        assert 'tierroute_config_info{hash="' + first_hash not in metrics
        assert 'policy="policy-economy-b"' in metrics


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(b"{ this is not json", id="not-json"),
        pytest.param(b'{"schemaVersion": 99}', id="unknown-version"),
        pytest.param(b'{"schemaVersion": 1, "models": []}', id="invalid-content"),
    ],
)
def test_invalid_table_is_refused_and_the_old_one_keeps_serving(
    sim: Sim, tmp_path: Path, document: bytes
) -> None:
    with running_gateway(table_serving(sim, "economy-a"), tmp_path) as gateway:
        good_hash = httpx.get(f"{gateway.url}/readyz").json()["hash"]
        gateway.write_table(document)

        def refused() -> bool:
            text = httpx.get(f"{gateway.url}/metrics").text
            return 'tierroute_config_reloads_total{result="refused"} 1.0' in text

        wait_until(refused)
        assert answered_by(gateway.url) == "economy-a"
        ready = httpx.get(f"{gateway.url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["hash"] == good_hash
        wait_until(lambda: any("table_refused" in line for line in gateway.process.lines))


def test_kubelet_symlink_swap_is_picked_up(sim: Sim, tmp_path: Path) -> None:
    mount = tmp_path / "mount"
    mount.mkdir()

    def publish(version: str, document: dict[str, Any]) -> None:
        target = mount / f"..{version}"
        target.mkdir()
        (target / "routing.json").write_bytes(orjson.dumps(document))
        scratch = mount / "..data_tmp"
        scratch.symlink_to(target.name)
        os.replace(scratch, mount / "..data")

    publish("2026_01_01_00_00_00.1", table_serving(sim, "economy-a"))
    (mount / "routing.json").symlink_to("..data/routing.json")
    command = gateway_command(mount / "routing.json")
    with started(command) as running:
        url = running.url
        assert answered_by(url) == "economy-a"
        publish("2026_01_01_00_01_00.2", table_serving(sim, "economy-b"))
        wait_until(lambda: answered_by(url) == "economy-b")


def test_not_ready_without_a_valid_table_until_one_arrives(sim: Sim, tmp_path: Path) -> None:
    config = tmp_path / "routing.json"
    config.write_bytes(b"not a table")
    with started(gateway_command(config)) as running:
        url = running.url
        not_ready = httpx.get(f"{url}/readyz")
        assert not_ready.status_code == 503
        assert "refused" in not_ready.json()["reason"]
        refused = httpx.post(f"{url}/v1/chat/completions", json=ASK)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "no_routing_table"
        config.write_bytes(orjson.dumps(table_serving(sim, "economy-a")))
        wait_until(lambda: httpx.get(f"{url}/readyz").status_code == 200)
        assert answered_by(url) == "economy-a"
