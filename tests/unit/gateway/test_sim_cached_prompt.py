"""The simulator's prompt-cache reads and writes: a model's `cached_prompt_share` and
`cache_write_share`, on both wire formats."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tierroute_gateway.sim import anthropic_api, openai_api
from tierroute_gateway.sim.behaviour import behaviour_of
from tierroute_gateway.sim.catalog import ProfileError, load_profile, profile_from_catalogs
from tierroute_gateway.sim.profile import ModelProfile
from tierroute_gateway.sim.usage import PromptTokens, cached_prompt_tokens, prompt_tokens_with_cache


def _data(frame: str) -> dict[str, Any]:
    """The JSON payload of one server-sent event frame (with or without an `event:` line)."""
    line = next(line for line in frame.split("\n") if line.startswith("data: "))
    payload: dict[str, Any] = json.loads(line.removeprefix("data: "))
    return payload


def _frames(raw: bytes) -> list[str]:
    return [frame for frame in raw.decode().split("\n\n") if frame]


def test_the_share_defaults_to_nothing_cached_and_reaches_the_behaviour() -> None:
    assert ModelProfile(name="m").cached_prompt_share == 0
    assert behaviour_of(ModelProfile(name="m", cached_prompt_share=0.25)).cached_prompt_share == (
        0.25
    )


@pytest.mark.parametrize("share", [-0.1, 1.5, "half"])
def test_a_share_outside_zero_to_one_is_refused_naming_the_field(share: object) -> None:
    with pytest.raises(ValidationError, match="cached_prompt_share"):
        ModelProfile.model_validate({"name": "m", "cached_prompt_share": share})


def test_a_profile_file_with_a_bad_share_names_the_field_path_and_value(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    path.write_text('{"models": [{"name": "m", "cached_prompt_share": 2}]}')
    with pytest.raises(ProfileError, match=r"models\.0\.cached_prompt_share: .*\(got 2\)"):
        load_profile(path)


@pytest.mark.parametrize(
    ("prompt", "share", "cached"),
    [(100, 0.5, 50), (7, 0.5, 3), (100, 0.29, 29), (10, 1.0, 10), (10, 0.0, 0), (0, 0.5, 0)],
)
def test_cached_tokens_are_the_floor_of_the_share_of_the_prompt(
    prompt: int, share: float, cached: int
) -> None:
    assert cached_prompt_tokens(prompt, share) == cached


@given(st.integers(min_value=0, max_value=10**7), st.floats(min_value=0, max_value=1))
def test_cached_tokens_stay_within_the_prompt_and_near_the_share(prompt: int, share: float) -> None:
    cached = cached_prompt_tokens(prompt, share)
    assert 0 <= cached <= prompt
    assert math.floor(share * prompt) - 1 <= cached <= share * prompt + 1e-6


def test_openai_body_reports_cached_tokens_inside_the_prompt_tokens() -> None:
    reply = openai_api.OpenAIReply("id1", "m", 1, include_usage=False)
    body = json.loads(reply.body(("Hi",), "stop", PromptTokens(40, cached=20)))
    assert body["usage"] == {
        "prompt_tokens": 40,
        "completion_tokens": 1,
        "total_tokens": 41,
        "prompt_tokens_details": {"cached_tokens": 20},
    }


def test_openai_stream_usage_chunk_reports_cached_tokens() -> None:
    reply = openai_api.OpenAIReply("id1", "m", 1, include_usage=True)
    raw = (
        reply.stream_start(PromptTokens(40, cached=20))
        + reply.stream_delta(("Hi",))
        + reply.stream_end(1, "stop", PromptTokens(40, cached=20))
    )
    frames = _frames(raw)
    assert frames[-1] == "data: [DONE]"
    usage = _data(frames[-2])["usage"]
    assert usage["prompt_tokens"] == 40
    assert usage["prompt_tokens_details"] == {"cached_tokens": 20}


def test_openai_usage_without_cache_reads_keeps_its_plain_shape() -> None:
    reply = openai_api.OpenAIReply("id1", "m", 1, include_usage=False)
    assert (
        "prompt_tokens_details"
        not in json.loads(reply.body(("Hi",), "stop", PromptTokens(40)))["usage"]
    )


def test_anthropic_body_reports_cache_reads_apart_from_input_tokens() -> None:
    reply = anthropic_api.AnthropicReply("msg_1", "m")
    usage = json.loads(reply.body(("Hi",), "stop", PromptTokens(40, cached=15)))["usage"]
    assert usage["cache_read_input_tokens"] == 15
    assert usage["input_tokens"] == 25
    assert usage["cache_creation_input_tokens"] == 0


def test_anthropic_stream_reports_cache_reads_in_message_start() -> None:
    reply = anthropic_api.AnthropicReply("msg_1", "m")
    raw = (
        reply.stream_start(PromptTokens(40, cached=15))
        + reply.stream_delta(("Hi",))
        + reply.stream_end(1, "stop", PromptTokens(40, cached=15))
    )
    start = _data(_frames(raw)[0])
    assert start["type"] == "message_start"
    usage = start["message"]["usage"]
    assert (usage["input_tokens"], usage["cache_read_input_tokens"]) == (25, 15)


def test_the_write_share_defaults_to_nothing_written_and_reaches_the_behaviour() -> None:
    assert ModelProfile(name="m").cache_write_share == 0
    assert behaviour_of(ModelProfile(name="m", cache_write_share=0.25)).cache_write_share == 0.25


@pytest.mark.parametrize("share", [-0.1, 1.5, "half"])
def test_a_write_share_outside_zero_to_one_is_refused_naming_the_field(share: object) -> None:
    with pytest.raises(ValidationError, match="cache_write_share"):
        ModelProfile.model_validate({"name": "m", "cache_write_share": share})


def test_reads_and_writes_over_the_whole_prompt_are_refused_naming_model_fields_values() -> None:
    with pytest.raises(ValidationError) as caught:
        ModelProfile(name="big", cached_prompt_share=0.75, cache_write_share=0.5)
    message = str(caught.value)
    for part in ("'big'", "cached_prompt_share (0.75)", "cache_write_share (0.5)", "at most 1"):
        assert part in message


@pytest.mark.parametrize(("cached", "written"), [(0.7, 0.3), (0.1, 0.9), (1.0, 0.0), (0, 1)])
def test_reads_and_writes_adding_up_to_the_whole_prompt_are_accepted(
    cached: float, written: float
) -> None:
    model = ModelProfile(name="m", cached_prompt_share=cached, cache_write_share=written)
    assert (model.cached_prompt_share, model.cache_write_share) == (cached, written)


def test_a_profile_file_with_shares_over_one_names_its_path_model_and_values(
    tmp_path: Path,
) -> None:
    path = tmp_path / "profile.json"
    models = [{"name": "ok"}, {"name": "big", "cached_prompt_share": 0.6, "cache_write_share": 0.6}]
    path.write_text(json.dumps({"models": models}))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    for part in (str(path), "models.1", "'big'", "cached_prompt_share (0.6)", "cache_write_share"):
        assert part in message


def test_a_catalog_built_profile_reports_neither_reads_nor_writes() -> None:
    catalog = {"kind": "ModelCatalog", "spec": {"models": [{"name": "m", "latency": "5ms"}]}}
    (model,) = profile_from_catalogs([catalog], where="catalog.yaml").models
    assert (model.cached_prompt_share, model.cache_write_share) == (0, 0)


@given(
    st.integers(min_value=0, max_value=10**7),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
)
def test_reads_and_writes_never_exceed_the_prompt_and_reads_follow_their_share(
    prompt: int, cached_share: float, write_share: float
) -> None:
    split = prompt_tokens_with_cache(prompt, cached_share, write_share)
    assert split.total == prompt
    assert split.cached == cached_prompt_tokens(prompt, cached_share)
    assert 0 <= split.written <= cached_prompt_tokens(prompt, write_share)
    assert split.cached + split.written <= prompt
    if cached_share + write_share <= 1:  # a valid profile: writes follow their share too
        assert split.written >= cached_prompt_tokens(prompt, write_share) - 1


def test_anthropic_body_reports_cache_writes_apart_from_input_tokens() -> None:
    reply = anthropic_api.AnthropicReply("msg_1", "m")
    raw = reply.body(("Hi",), "stop", PromptTokens(40, cached=15, written=10))
    usage = json.loads(raw)["usage"]
    assert usage == {
        "input_tokens": 40 - 15 - 10,
        "output_tokens": 1,
        "cache_read_input_tokens": 15,
        "cache_creation_input_tokens": 10,
    }


def test_anthropic_input_tokens_never_go_negative() -> None:
    reply = anthropic_api.AnthropicReply("msg_1", "m")
    raw = reply.body(("Hi",), "stop", PromptTokens(10, cached=8, written=8))
    assert json.loads(raw)["usage"]["input_tokens"] == 0


def test_anthropic_stream_reports_cache_writes_at_start_and_in_the_final_delta() -> None:
    reply = anthropic_api.AnthropicReply("msg_1", "m")
    prompt = PromptTokens(40, cached=15, written=5)
    raw = (
        reply.stream_start(prompt)
        + reply.stream_delta(("Hi", "!"))
        + reply.stream_end(2, "stop", prompt)
    )
    datas = [_data(frame) for frame in _frames(raw)]
    start = datas[0]["message"]["usage"]
    (final,) = [data["usage"] for data in datas if data["type"] == "message_delta"]
    for usage in (start, final):
        assert usage["input_tokens"] == 40 - 15 - 5
        assert usage["cache_read_input_tokens"] == 15
        assert usage["cache_creation_input_tokens"] == 5
    assert final["output_tokens"] == 2


def test_openai_usage_ignores_cache_writes() -> None:
    reply = openai_api.OpenAIReply("id1", "m", 1, include_usage=True)
    plain = json.loads(reply.body(("Hi",), "stop", PromptTokens(40, cached=20)))["usage"]
    with_writes = reply.body(("Hi",), "stop", PromptTokens(40, cached=20, written=10))
    assert json.loads(with_writes)["usage"] == plain
    end = reply.stream_end(1, "stop", PromptTokens(40, cached=20, written=10))
    assert _data(_frames(end)[-2])["usage"] == plain
