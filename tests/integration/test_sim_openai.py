"""`tierroute sim` as a real process, driven by the official OpenAI SDK (sync, async, stream)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import Iterator

import httpx
import openai
import pytest
from PIL import Image

from tests.helpers.sim import Sim, running_sim

KEY = "sk-sim-test"
ANSWER_TOKENS = 12
PROFILE = {
    "api_keys": [KEY],
    "models": [
        {"name": "steady", "answer_tokens": ANSWER_TOKENS},
        {
            "name": "paced",
            "time_to_first_token": "20ms",
            "tokens_per_second": 400,
            "answer_tokens": ANSWER_TOKENS,
        },
        {"name": "claude-only", "apis": ["anthropic"]},
    ],
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    with running_sim(PROFILE, tmp_path_factory.mktemp("sim-openai")) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(sim: Sim) -> None:
    sim.reset()


@pytest.fixture
def client(sim: Sim) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=sim.openai_url, api_key=KEY, max_retries=0) as client:
        yield client


def _ask(client: openai.OpenAI, **options: object) -> openai.types.chat.ChatCompletion:
    return client.chat.completions.create(  # type: ignore[call-overload, no-any-return]
        model=options.pop("model", "steady"),
        messages=[{"role": "user", "content": "Say something."}],
        **options,
    )


def test_a_completion_has_an_answer_and_consistent_usage(client: openai.OpenAI) -> None:
    completion = _ask(client)
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == ANSWER_TOKENS
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_max_tokens_cuts_the_answer_with_finish_length(client: openai.OpenAI) -> None:
    completion = _ask(client, max_tokens=3)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 3
    newer = _ask(client, max_completion_tokens=2)
    assert newer.usage is not None
    assert newer.usage.completion_tokens == 2


def test_a_longer_prompt_and_an_image_cost_more_prompt_tokens(client: openai.OpenAI) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024)).save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    short = client.chat.completions.create(
        model="steady", messages=[{"role": "user", "content": "Describe."}]
    )
    with_image = client.chat.completions.create(
        model="steady",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe."},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    )
    assert short.usage is not None
    assert with_image.usage is not None
    assert with_image.usage.prompt_tokens > short.usage.prompt_tokens


@pytest.mark.parametrize("model", ["paced", "steady"])
def test_streaming_sends_the_same_answer_and_a_final_usage_chunk(
    client: openai.OpenAI, sim: Sim, model: str
) -> None:
    whole = _ask(client, model=model)
    sim.reset()
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Say something."}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == ANSWER_TOKENS
    assert whole.usage is not None
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens


def test_the_async_client_gets_concurrent_answers(sim: Sim) -> None:
    async def ask_many() -> list[str]:
        async with openai.AsyncOpenAI(
            base_url=sim.openai_url, api_key=KEY, max_retries=0
        ) as client:
            completions = await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model="steady", messages=[{"role": "user", "content": f"q{i}"}]
                    )
                    for i in range(20)
                )
            )
            stream = await client.chat.completions.create(
                model="paced", messages=[{"role": "user", "content": "s"}], stream=True
            )
            streamed = "".join([c.choices[0].delta.content or "" async for c in stream])
        return [c.choices[0].message.content or "" for c in completions] + [streamed]

    answers = asyncio.run(ask_many())
    assert len(answers) == 21
    assert all(answers)
    assert sim.stats()["models"]["steady"]["requests"] == 20


def test_the_expected_answer_header_is_answered_at_the_model_quality(
    client: openai.OpenAI, sim: Sim
) -> None:
    headers = {"x-sim-expected-answer": "Paris"}
    right = _ask(client, extra_headers=headers)
    assert right.choices[0].message.content == "Paris"
    sim.patch("steady", {"quality": 0})
    wrong = _ask(client, extra_headers=headers)
    assert wrong.choices[0].message.content not in ("Paris", "")
    encoded = base64.b64encode("Zürich".encode()).decode()
    sim.patch("steady", {"quality": 1})
    accented = _ask(client, extra_headers={"x-sim-expected-answer-b64": encoded})
    assert accented.choices[0].message.content == "Zürich"


def test_json_mode_answers_json(client: openai.OpenAI, sim: Sim) -> None:
    completion = _ask(client, response_format={"type": "json_object"})
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)
    sim.patch("steady", {"faults": {"invalid_json_rate": 1}})
    broken = _ask(client, response_format={"type": "json_object"})
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.choices[0].message.content or "")


def test_a_wrong_or_missing_key_is_refused_with_401(sim: Sim) -> None:
    with (
        openai.OpenAI(base_url=sim.openai_url, api_key="sk-wrong", max_retries=0) as client,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        _ask(client)
    assert caught.value.code == "invalid_api_key"
    assert "sk-wrong" not in str(caught.value.body)
    response = httpx.post(f"{sim.openai_url}/chat/completions", json={"model": "steady"})
    assert response.status_code == 401
    assert sim.stats()["rejected"]["unauthorized"] == 2


def test_an_unknown_model_is_404_in_openai_shape(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        _ask(client, model="no-such-model")
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        _ask(client, model="claude-only")


def test_bad_input_is_400_and_the_process_keeps_serving(sim: Sim, client: openai.OpenAI) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    url = f"{sim.openai_url}/chat/completions"
    for body in (b"{broken", b'{"model": "steady", "messages": []}', b"\xff\xfe"):
        response = httpx.post(url, content=body, headers=headers)
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"
    assert _ask(client).choices[0].message.content


def test_models_lists_the_openai_models(client: openai.OpenAI) -> None:
    ids = {model.id for model in client.models.list()}
    assert ids == {"steady", "paced"}
    assert client.models.retrieve("steady").id == "steady"


def test_health_endpoint_answers(sim: Sim) -> None:
    assert httpx.get(f"{sim.url}/healthz").json() == {"status": "ok"}


def test_stats_show_what_was_sent(client: openai.OpenAI, sim: Sim) -> None:
    _ask(client, max_tokens=5, extra_headers={"x-tierroute-request-id": "abc"})
    recent = sim.stats()["recent"]
    assert recent[-1]["model"] == "steady"
    assert recent[-1]["max_tokens"] == 5
    assert recent[-1]["headers"]["x-tierroute-request-id"] == "abc"
    assert KEY not in json.dumps(recent)
