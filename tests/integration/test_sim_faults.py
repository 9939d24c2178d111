"""Fault injection in `tierroute sim`: each failure class, the admin endpoint, determinism."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.helpers.sim import Sim, running_sim

PROFILE = {"models": [{"name": "flaky", "answer_tokens": 20}, {"name": "calm"}]}
CHAT = {"model": "flaky", "messages": [{"role": "user", "content": "Hello"}]}
BROKEN_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    with running_sim(PROFILE, tmp_path_factory.mktemp("sim-faults"), "--seed", "42") as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(sim: Sim) -> None:
    sim.reset()


@pytest.fixture
def client(sim: Sim) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=sim.openai_url, api_key="any", max_retries=0) as client:
        yield client


def _post(sim: Sim, **options: object) -> httpx.Response:
    return httpx.post(f"{sim.openai_url}/chat/completions", json={**CHAT, **options})


def _outcomes(sim: Sim, model: str = "flaky") -> dict[str, int]:
    outcomes: dict[str, int] = sim.stats()["models"][model]["outcomes"]
    return outcomes


def test_error_faults_answer_500_in_openai_shape(sim: Sim, client: openai.OpenAI) -> None:
    sim.patch("flaky", {"faults": {"error_rate": 1}})
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(**CHAT)  # type: ignore[call-overload]
    assert caught.value.status_code == 500
    sim.patch("flaky", {"faults": {"error_status": 503}})
    assert _post(sim).status_code == 503
    assert _post(sim, model="calm").status_code == 200
    assert _outcomes(sim) == {"error": 2}


def test_rate_limit_faults_answer_429_with_retry_after(sim: Sim, client: openai.OpenAI) -> None:
    sim.patch("flaky", {"faults": {"rate_limit_rate": 1, "retry_after_s": 7}})
    response = _post(sim)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(**CHAT)  # type: ignore[call-overload]


def test_timeout_faults_hang_past_the_client_timeout(sim: Sim) -> None:
    sim.patch("flaky", {"faults": {"timeout_rate": 1, "timeout_ms": "60s"}})
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{sim.openai_url}/chat/completions", json=CHAT, timeout=0.5)
    assert _outcomes(sim) == {"timeout": 1}


def test_a_timeout_fault_ends_with_a_reset_after_its_duration(sim: Sim) -> None:
    sim.patch("flaky", {"faults": {"timeout_rate": 1, "timeout_ms": 50}})
    with pytest.raises(BROKEN_CONNECTION):
        _post(sim)


def test_reset_faults_close_the_connection_without_an_answer(
    sim: Sim, client: openai.OpenAI
) -> None:
    sim.patch("flaky", {"faults": {"reset_rate": 1}})
    with pytest.raises(BROKEN_CONNECTION):
        _post(sim)
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(**CHAT)  # type: ignore[call-overload]
    assert _outcomes(sim) == {"reset": 2}


def test_drop_faults_cut_a_body_in_the_middle(sim: Sim) -> None:
    sim.patch("flaky", {"faults": {"drop_rate": 1}})
    with pytest.raises(BROKEN_CONNECTION):
        _post(sim)


def test_drop_faults_cut_a_stream_after_some_tokens(sim: Sim, client: openai.OpenAI) -> None:
    sim.patch("flaky", {"faults": {"drop_rate": 1, "drop_after_tokens": 3}})
    received: list[str] = []

    def read_stream() -> None:
        stream = client.chat.completions.create(**CHAT, stream=True)  # type: ignore[call-overload]
        received.extend(chunk.choices[0].delta.content or "" for chunk in stream)

    with pytest.raises((openai.APIConnectionError, *BROKEN_CONNECTION)):
        read_stream()
    assert len([piece for piece in received if piece]) == 3


def test_admin_patches_are_validated(sim: Sim) -> None:
    url = f"{sim.url}/admin/models"
    too_much = httpx.put(f"{url}/flaky", json={"faults": {"error_rate": 0.7, "reset_rate": 0.7}})
    assert too_much.status_code == 400
    assert "at most 1" in too_much.json()["error"]
    not_a_rate = httpx.put(f"{url}/flaky", json={"faults": {"error_rate": "often"}})
    assert not_a_rate.status_code == 400
    assert "faults.error_rate" in not_a_rate.json()["error"]
    assert httpx.put(f"{url}/nope", json={}).status_code == 404
    assert httpx.put(f"{url}/flaky", content=b"{").status_code == 400


def test_admin_lists_models_and_reset_heals_them(sim: Sim) -> None:
    sim.patch("flaky", {"faults": {"error_rate": 1}})
    models = httpx.get(f"{sim.url}/admin/models").json()["models"]
    flaky = next(model for model in models if model["name"] == "flaky")
    assert flaky["faults"]["error_rate"] == 1
    assert _post(sim).status_code == 500
    sim.reset()
    assert _post(sim).status_code == 200
    assert sim.stats()["total"] == 1


def _outcome_sequence(sim: Sim, count: int = 40) -> list[str]:
    sim.patch("flaky", {"faults": {"error_rate": 0.3, "reset_rate": 0.2}})
    sequence = []
    for _ in range(count):
        try:
            sequence.append(str(_post(sim).status_code))
        except BROKEN_CONNECTION:
            sequence.append("reset")
    return sequence


def test_the_same_seed_gives_the_same_faults_in_another_process(sim: Sim, tmp_path: Path) -> None:
    first = _outcome_sequence(sim)
    assert {"200", "500", "reset"} <= set(first)
    with running_sim(PROFILE, tmp_path, "--seed", "42") as same:
        assert _outcome_sequence(same) == first
    with running_sim(PROFILE, tmp_path, "--seed", "43") as other:
        assert _outcome_sequence(other) != first


def test_answers_are_the_same_under_the_same_seed(sim: Sim) -> None:
    sim.patch("flaky", {"quality": 0.5})
    headers = {"x-sim-expected-answer": "Canberra"}
    first = [_post(sim).json() for _ in range(1)]
    url = f"{sim.openai_url}/chat/completions"
    answers = [httpx.post(url, json=CHAT, headers=headers).json() for _ in range(10)]
    sim.reset()
    sim.patch("flaky", {"quality": 0.5})
    assert [_post(sim).json()["choices"] for _ in range(1)] == [r["choices"] for r in first]
    again = [httpx.post(url, json=CHAT, headers=headers).json() for _ in range(10)]
    contents = [a["choices"][0]["message"]["content"] for a in answers]
    assert contents == [a["choices"][0]["message"]["content"] for a in again]
    assert "Canberra" in contents
    assert any(content != "Canberra" for content in contents)
