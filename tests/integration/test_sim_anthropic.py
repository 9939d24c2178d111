"""`tierroute sim`'s Anthropic Messages endpoint: the official SDK and raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import pytest

from tests.helpers.sim import Sim, running_sim

KEY = "sk-ant-sim-test"
ANSWER_TOKENS = 10
PROFILE = {
    "api_keys": [KEY],
    "models": [
        {
            "name": "claude-sim-20250101",
            "aliases": ["claude-sim"],
            "apis": ["anthropic"],
            "answer_tokens": ANSWER_TOKENS,
            "tokens_per_second": 500,
        },
        {"name": "gpt-only", "apis": ["openai"]},
    ],
}
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
BODY = {"model": "claude-sim", "max_tokens": 100, "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    with running_sim(PROFILE, tmp_path_factory.mktemp("sim-anthropic")) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(sim: Sim) -> None:
    sim.reset()


@pytest.fixture
def client(sim: Sim) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=sim.url, api_key=KEY, max_retries=0) as client:
        yield client


def test_a_message_has_text_usage_and_stop_reason(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model="claude-sim",
        max_tokens=100,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello"}],
    )
    assert message.role == "assistant"
    assert message.content[0].type == "text"
    assert message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == ANSWER_TOKENS
    assert message.usage.input_tokens > 0


def test_max_tokens_stops_with_max_tokens(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model="claude-sim", max_tokens=4, messages=[{"role": "user", "content": "Hello"}]
    )
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 4


def test_the_sdk_stream_gives_the_same_text_and_usage(
    client: anthropic.Anthropic, sim: Sim
) -> None:
    whole = client.messages.create(
        model="claude-sim", max_tokens=100, messages=[{"role": "user", "content": "Hello"}]
    )
    sim.reset()
    with client.messages.stream(
        model="claude-sim", max_tokens=100, messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    first = whole.content[0]
    assert first.type == "text"
    assert text == first.text
    assert final.usage.output_tokens == ANSWER_TOKENS
    assert final.usage.input_tokens == whole.usage.input_tokens
    assert final.stop_reason == "end_turn"


def test_raw_stream_follows_the_anthropic_event_sequence(sim: Sim) -> None:
    with httpx.stream(
        "POST", f"{sim.url}/v1/messages", json={**BODY, "stream": True}, headers=HEADERS
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [
            line.removeprefix("event: ")
            for line in response.iter_lines()
            if line.startswith("event: ")
        ]
    deltas = events.count("content_block_delta")
    assert deltas == ANSWER_TOKENS
    assert events == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * deltas,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_a_wrong_key_is_401_authentication_error(sim: Sim) -> None:
    with (
        anthropic.Anthropic(base_url=sim.url, api_key="sk-ant-wrong", max_retries=0) as client,
        pytest.raises(anthropic.AuthenticationError) as caught,
    ):
        client.messages.create(
            model="claude-sim", max_tokens=5, messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    }


def test_a_missing_version_header_is_400(sim: Sim) -> None:
    response = httpx.post(f"{sim.url}/v1/messages", json=BODY, headers={"x-api-key": KEY})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_model_not_served_on_anthropic_is_404(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.messages.create(
            model="gpt-only", max_tokens=5, messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.status_code == 404


def test_rate_limits_use_the_anthropic_shape_and_retry_after(sim: Sim) -> None:
    sim.patch("claude-sim", {"faults": {"rate_limit_rate": 1, "retry_after_s": 3}})
    response = httpx.post(f"{sim.url}/v1/messages", json=BODY, headers=HEADERS)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["error"]["type"] == "rate_limit_error"


def test_models_are_listed_in_anthropic_shape(sim: Sim) -> None:
    response = httpx.get(f"{sim.url}/v1/models", headers=HEADERS)
    ids = [model["id"] for model in response.json()["data"]]
    assert ids == ["claude-sim", "claude-sim-20250101"]
    assert response.json()["has_more"] is False
