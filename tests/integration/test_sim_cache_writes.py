"""Prompt-cache writes reported by a real `tierroute sim`: a model's `cache_write_share`.

Anthropic answers report `cache_creation_input_tokens` apart from `input_tokens`, whole and
streamed; OpenAI answers report no writes. Each expected count is computed here from the
prompt tokens the simulator says it counted (`/admin/stats`) and the shares in this profile.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.sim import Sim, running_sim, sim_command

HEADERS = {"x-api-key": "unused", "anthropic-version": "2023-06-01"}
SHARES = {  # model -> (cached_prompt_share, cache_write_share)
    "writer": (0.0, 0.3),
    "reader-writer": (0.45, 0.25),
    "all-cached": (0.6, 0.4),
    "plain": (0.0, 0.0),
}
PROMPT = "Read the attached contract and list every party it names, with its role. " * 12


def _model(name: str) -> dict[str, Any]:
    cached, written = SHARES[name]
    return {"name": name, "cached_prompt_share": cached, "cache_write_share": written}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    profile = {"models": [_model(name) for name in SHARES]}
    with running_sim(profile, tmp_path_factory.mktemp("sim-cache-writes")) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(sim: Sim) -> None:
    sim.reset()


def share_of(prompt_tokens: int, share: float) -> int:
    """floor(share x prompt) in exact decimal arithmetic."""
    return math.floor(Fraction(str(share)) * prompt_tokens)


def counted_prompt_tokens(sim: Sim) -> int:
    """The prompt tokens the simulator counted for the last request it answered."""
    recent = sim.stats()["recent"]
    assert recent, "the simulator recorded no request"
    tokens = recent[-1]["prompt_tokens"]
    assert isinstance(tokens, int)
    assert tokens > 0
    return tokens


def expected_anthropic_usage(sim: Sim, model: str) -> dict[str, int]:
    """The input counts an Anthropic answer of `model` should carry for the last request."""
    prompt = counted_prompt_tokens(sim)
    cached_share, write_share = SHARES[model]
    cached, written = share_of(prompt, cached_share), share_of(prompt, write_share)
    return {
        "input_tokens": prompt - cached - written,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": written,
    }


def input_counts(usage: dict[str, Any]) -> dict[str, int]:
    keys = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    return {key: usage[key] for key in keys}


def message(sim: Sim, model: str) -> dict[str, Any]:
    body = {"model": model, "max_tokens": 20, "messages": [{"role": "user", "content": PROMPT}]}
    response = httpx.post(f"{sim.url}/v1/messages", json=body, headers=HEADERS)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def streamed_message(sim: Sim, model: str) -> dict[str, dict[str, Any]]:
    """The data of each event of a streamed message, by event name (last one wins)."""
    body = {
        "model": model,
        "max_tokens": 20,
        "stream": True,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    events: dict[str, dict[str, Any]] = {}
    with httpx.stream("POST", f"{sim.url}/v1/messages", json=body, headers=HEADERS) as response:
        assert response.status_code == 200
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events[name] = json.loads(line.removeprefix("data: "))
    return events


def chat_completion(sim: Sim, model: str, *, stream: bool) -> dict[str, Any]:
    """An OpenAI chat completion's usage, whole or from the stream's usage chunk."""
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": PROMPT}]}
    url = f"{sim.url}/v1/chat/completions"
    if not stream:
        response = httpx.post(url, json=body)
        assert response.status_code == 200, response.text
        usage: dict[str, Any] = response.json()["usage"]
        return usage
    body |= {"stream": True, "stream_options": {"include_usage": True}}
    with httpx.stream("POST", url, json=body) as response:
        chunks = [
            json.loads(line.removeprefix("data: "))
            for line in response.iter_lines()
            if line.startswith("data: ") and line != "data: [DONE]"
        ]
    usage = chunks[-1]["usage"]
    return usage


@pytest.mark.parametrize("model", ["writer", "reader-writer", "all-cached", "plain"])
def test_an_anthropic_message_reports_cache_writes_apart_from_input(sim: Sim, model: str) -> None:
    usage = message(sim, model)["usage"]
    expected = expected_anthropic_usage(sim, model)
    assert input_counts(usage) == expected
    assert sum(expected.values()) == counted_prompt_tokens(sim)


@pytest.mark.parametrize("model", ["writer", "reader-writer", "all-cached"])
def test_a_streamed_anthropic_message_reports_cache_writes_at_start_and_end(
    sim: Sim, model: str
) -> None:
    events = streamed_message(sim, model)
    expected = expected_anthropic_usage(sim, model)
    assert input_counts(events["message_start"]["message"]["usage"]) == expected
    final = events["message_delta"]["usage"]
    assert input_counts(final) == expected
    assert final["output_tokens"] >= 1


def test_writes_are_a_share_of_the_prompt_the_plain_model_counts_whole(sim: Sim) -> None:
    plain = message(sim, "plain")["usage"]
    written = message(sim, "writer")["usage"]
    assert plain["cache_creation_input_tokens"] == 0
    prompt = plain["input_tokens"]
    assert written["cache_creation_input_tokens"] == share_of(prompt, SHARES["writer"][1]) > 0
    assert written["input_tokens"] == prompt - written["cache_creation_input_tokens"]


def test_a_prompt_wholly_read_or_written_leaves_only_the_rounding_remainder(sim: Sim) -> None:
    usage = message(sim, "all-cached")["usage"]
    prompt = counted_prompt_tokens(sim)
    read, written = usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]
    assert read > 0
    assert written > 0
    # Each count is a floor, so what is left over is under one token per share.
    assert 0 <= usage["input_tokens"] == prompt - read - written < 2


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("model", ["writer", "reader-writer"])
def test_openai_answers_report_no_cache_writes(sim: Sim, model: str, stream: bool) -> None:
    usage = chat_completion(sim, model, stream=stream)
    prompt = counted_prompt_tokens(sim)
    cached = share_of(prompt, SHARES[model][0])
    assert usage["prompt_tokens"] == prompt
    details = usage.get("prompt_tokens_details")
    assert details == ({"cached_tokens": cached} if cached else None)
    assert not [key for key in json.dumps(usage).split('"') if "creation" in key or "write" in key]


def test_an_admin_patch_can_turn_cache_writes_on(sim: Sim) -> None:
    sim.patch("plain", {"cache_write_share": 0.5})
    usage = message(sim, "plain")["usage"]
    prompt = counted_prompt_tokens(sim)
    assert usage["cache_creation_input_tokens"] == share_of(prompt, 0.5)
    assert usage["input_tokens"] == prompt - share_of(prompt, 0.5)


def test_an_admin_patch_over_the_whole_prompt_is_refused(sim: Sim) -> None:
    response = httpx.put(f"{sim.url}/admin/models/reader-writer", json={"cache_write_share": 0.7})
    assert response.status_code == 400
    error = response.json()["error"]
    for part in ("reader-writer", "cached_prompt_share (0.45)", "cache_write_share (0.7)"):
        assert part in error


def test_a_profile_whose_shares_exceed_the_prompt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    model = {"name": "greedy", "cached_prompt_share": 0.8, "cache_write_share": 0.3}
    path.write_text(json.dumps({"models": [model]}))
    result = subprocess.run(
        sim_command(path), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    for part in (
        str(path),
        "models.0",
        "'greedy'",
        "cached_prompt_share (0.8)",
        "cache_write_share (0.3)",
        "at most 1",
    ):
        assert part in result.stderr
