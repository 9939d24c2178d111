"""Pure decisions of the simulator: which fault a request meets, how long it waits, what it says.

Everything here is a function of a model's `Behaviour` and uniform numbers drawn from a
`random.Random` the caller owns (one per model, seeded from the run's seed and the model's
name), so the same seed and the same sequence of requests give the same outcomes. Each request
draws the same count of numbers whatever its outcome, so changing one rate does not shift the
draws of later requests.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist
from typing import Literal, NamedTuple

import orjson

from tierroute_gateway.sim.answers import lorem_pieces, split_pieces, wrong_answer
from tierroute_gateway.sim.profile import Latency, ModelProfile

_Z_99 = NormalDist().inv_cdf(0.99)
_STANDARD_NORMAL = NormalDist()


class Outcome(StrEnum):
    """What happens to one request."""

    OK = "ok"
    ERROR = "error"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    RESET = "reset"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class Delay:
    """A delay distribution in seconds: `median * exp(sigma * z)`, z standard normal."""

    median_s: float
    sigma: float

    def at(self, uniform: float) -> float:
        """The delay at quantile `uniform` of the distribution."""
        if self.sigma == 0.0 or self.median_s == 0.0:
            return self.median_s
        clamped = min(max(uniform, 1e-12), 1.0 - 1e-12)
        return self.median_s * math.exp(self.sigma * _STANDARD_NORMAL.inv_cdf(clamped))


@dataclass(frozen=True, slots=True)
class Behaviour:
    """A model's profile flattened into what the request path reads."""

    name: str
    fault_bounds: tuple[tuple[float, Outcome], ...]
    latency: Delay
    first_token: Delay
    token_interval_s: float
    quality: float
    answer_tokens: int
    invalid_json_rate: float
    error_status: int
    retry_after_s: int
    timeout_s: float
    drop_after_tokens: int
    image_tokens: int | None
    audio_tokens_per_second: float
    cached_prompt_share: float
    cache_write_share: float


class Draw(NamedTuple):
    """The random part of one request's fate."""

    outcome: Outcome
    latency_s: float
    first_token_s: float
    correct: bool
    invalid_json: bool
    variant: float


class Answer(NamedTuple):
    """The generated text, as the pieces (tokens) a stream sends, and why it stopped."""

    pieces: tuple[str, ...]
    finish: Literal["stop", "length"]

    @property
    def text(self) -> str:
        """The whole answer."""
        return "".join(self.pieces)


def delay_of(latency: Latency) -> Delay:
    """The `Delay` a profile's latency describes."""
    median_s = latency.median_ms / 1000.0
    if latency.distribution == "fixed" or median_s == 0.0:
        return Delay(median_s, 0.0)
    p99_s = (latency.p99_ms if latency.p99_ms is not None else latency.median_ms * 3) / 1000.0
    return Delay(median_s, math.log(p99_s / median_s) / _Z_99)


def behaviour_of(profile: ModelProfile) -> Behaviour:
    """Flatten a validated model profile for the request path."""
    faults = profile.faults
    bounds: list[tuple[float, Outcome]] = []
    total = 0.0
    for rate, outcome in (
        (faults.error_rate, Outcome.ERROR),
        (faults.rate_limit_rate, Outcome.RATE_LIMITED),
        (faults.timeout_rate, Outcome.TIMEOUT),
        (faults.reset_rate, Outcome.RESET),
        (faults.drop_rate, Outcome.DROP),
    ):
        if rate > 0:
            total += rate
            bounds.append((total, outcome))
    return Behaviour(
        name=profile.name,
        fault_bounds=tuple(bounds),
        latency=delay_of(profile.latency),
        first_token=delay_of(profile.time_to_first_token),
        token_interval_s=1.0 / profile.tokens_per_second if profile.tokens_per_second else 0.0,
        quality=profile.quality,
        answer_tokens=profile.answer_tokens,
        invalid_json_rate=faults.invalid_json_rate,
        error_status=faults.error_status,
        retry_after_s=faults.retry_after_s,
        timeout_s=faults.timeout_ms / 1000.0,
        drop_after_tokens=faults.drop_after_tokens,
        image_tokens=profile.image_tokens,
        audio_tokens_per_second=profile.audio_tokens_per_second,
        cached_prompt_share=profile.cached_prompt_share,
        cache_write_share=profile.cache_write_share,
    )


def model_random(seed: int, model: str) -> random.Random:
    """The random stream of one model under a run's seed (stable across processes)."""
    return random.Random(f"tierroute-sim:{seed}:{model}")


def draw_request(behaviour: Behaviour, rng: random.Random) -> Draw:
    """Draw one request's fate: always six numbers, whatever the outcome."""
    fault, latency, first_token, quality, json_fault, variant = (
        rng.random(),
        rng.random(),
        rng.random(),
        rng.random(),
        rng.random(),
        rng.random(),
    )
    return Draw(
        outcome=outcome_at(behaviour.fault_bounds, fault),
        latency_s=behaviour.latency.at(latency),
        first_token_s=behaviour.first_token.at(first_token),
        correct=quality < behaviour.quality,
        invalid_json=json_fault < behaviour.invalid_json_rate,
        variant=variant,
    )


def outcome_at(bounds: tuple[tuple[float, Outcome], ...], uniform: float) -> Outcome:
    """The outcome whose cumulative-rate band holds `uniform` (OK above every band)."""
    for bound, outcome in bounds:
        if uniform < bound:
            return outcome
    return Outcome.OK


def compose_answer(
    behaviour: Behaviour,
    draw: Draw,
    *,
    expected: str | None,
    max_tokens: int | None,
    json_mode: bool,
    answer_tokens: int | None = None,
) -> Answer:
    """The answer: the expected text (or a wrong one), else lorem ipsum; cut at `max_tokens`."""
    if expected is not None:
        text = expected.strip() if draw.correct else wrong_answer(expected, draw.variant)
        pieces = split_pieces(text)
    else:
        pieces = lorem_pieces(answer_tokens or behaviour.answer_tokens)
    if json_mode:
        document = orjson.dumps({"answer": "".join(pieces)}).decode()
        pieces = split_pieces(document[:-1] if draw.invalid_json else document)
    if max_tokens is not None and len(pieces) > max_tokens:
        return Answer(pieces[:max_tokens], "length")
    return Answer(pieces, "stop")
