"""The simulator's profile: which models it serves and how each one behaves.

A profile is a YAML or JSON document (`SimProfile`); `catalog.py` builds one from a
ModelCatalog manifest instead. Durations accept a number of milliseconds or a string with a
unit (`"800ms"`, `"1.5s"`, `"2m"`); rates are probabilities in [0, 1].
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_duration_ms(value: object, where: str) -> float:
    """Milliseconds from an integer/float of milliseconds or a string such as `"800ms"`."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: expected a duration, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{where}: a duration cannot be negative, got {value!r}")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNIT_MS[match.group(2) or "ms"]
    raise ValueError(f"{where}: expected milliseconds or a string like '800ms', got {value!r}")


class Latency(BaseModel):
    """A delay distribution: fixed, or lognormal given by its median and 99th percentile."""

    model_config = ConfigDict(extra="forbid")

    distribution: Literal["fixed", "lognormal"] = Field(
        default="fixed", description="`fixed` always waits `median_ms`; `lognormal` draws."
    )
    median_ms: float = Field(default=0.0, ge=0, description="Median delay in milliseconds.")
    p99_ms: float | None = Field(
        default=None,
        ge=0,
        description="99th percentile in milliseconds (lognormal only; defaults to 3x median).",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, value: Any) -> Any:
        """A bare duration (`"800ms"`, `250`) means a fixed delay."""
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            return {"distribution": "fixed", "median_ms": parse_duration_ms(value, "latency")}
        if isinstance(value, dict):
            converted = dict(value)
            for key in ("median_ms", "p99_ms"):
                if isinstance(converted.get(key), str):
                    converted[key] = parse_duration_ms(converted[key], key)
            return converted
        return value

    @model_validator(mode="after")
    def _p99_not_below_median(self) -> Latency:
        if self.p99_ms is not None and self.p99_ms < self.median_ms:
            raise ValueError(
                f"p99_ms ({self.p99_ms}) must not be below median_ms ({self.median_ms})"
            )
        return self


class Faults(BaseModel):
    """How often each failure class happens; at most one fault per request, rates sum <= 1."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0, le=1, description="Share answered 500.")
    error_status: int = Field(
        default=500, ge=500, le=599, description="HTTP status of the `error` fault."
    )
    rate_limit_rate: float = Field(default=0.0, ge=0, le=1, description="Share answered 429.")
    retry_after_s: int = Field(
        default=1, ge=0, description="`Retry-After` header value (seconds) on a 429."
    )
    timeout_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share that hangs without answering."
    )
    timeout_ms: float = Field(
        default=300_000.0,
        ge=0,
        description="How long a hanging request hangs before its connection is closed.",
    )
    reset_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share whose connection is reset with no answer."
    )
    drop_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share cut mid-answer: some bytes or stream chunks, then a reset.",
    )
    drop_after_tokens: int = Field(
        default=2, ge=0, description="Tokens streamed before a mid-stream drop cuts the stream."
    )
    invalid_json_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of JSON-mode answers that are not valid JSON (independent draw).",
    )

    @field_validator("timeout_ms", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration_ms(value, "timeout_ms") if isinstance(value, str) else value

    @model_validator(mode="after")
    def _rates_sum_at_most_one(self) -> Faults:
        total = (
            self.error_rate
            + self.rate_limit_rate
            + self.timeout_rate
            + self.reset_rate
            + self.drop_rate
        )
        if total > 1.0 + 1e-9:
            raise ValueError(
                "error_rate + rate_limit_rate + timeout_rate + reset_rate + drop_rate "
                f"must be at most 1, got {total:g}"
            )
        return self


class ModelProfile(BaseModel):
    """One simulated model: its id, the APIs serving it, its speed, faults and quality."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Model id clients send (provider-side id).")
    aliases: list[str] = Field(
        default_factory=list, description="Other ids answered by this model (catalog names)."
    )
    apis: list[Literal["openai", "anthropic"]] = Field(
        default=["openai", "anthropic"],
        min_length=1,
        description="Wire APIs on which this model is served.",
    )
    owned_by: str = Field(default="tierroute-sim", description="`owned_by` in /v1/models.")
    latency: Latency = Field(
        default_factory=Latency, description="Delay before a non-streaming answer."
    )
    time_to_first_token: Latency = Field(
        default_factory=Latency, description="Delay before the first streamed token."
    )
    tokens_per_second: float = Field(
        default=0.0, ge=0, description="Streaming speed after the first token; 0 = unthrottled."
    )
    quality: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Probability of answering `x-sim-expected-answer` correctly.",
    )
    answer_tokens: int = Field(
        default=48, ge=1, description="Length of a free answer before `max_tokens` cuts it."
    )
    image_tokens: int | None = Field(
        default=None,
        ge=0,
        description="Fixed tokens per image; unset = the API's own rule from the image size.",
    )
    audio_tokens_per_second: float = Field(
        default=10.0, ge=0, description="Prompt tokens per second of input audio."
    )
    cached_prompt_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of a request's prompt tokens reported as read from the provider's "
        "prompt cache (floor of share x prompt tokens): OpenAI "
        "`prompt_tokens_details.cached_tokens`, Anthropic `cache_read_input_tokens`.",
    )
    cache_write_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of a request's prompt tokens reported as written to the provider's "
        "prompt cache (floor of share x prompt tokens): Anthropic "
        "`cache_creation_input_tokens`, taken out of `input_tokens` as cache reads are; "
        "OpenAI reports no cache writes. With `cached_prompt_share`, at most 1.",
    )
    faults: Faults = Field(default_factory=Faults, description="Failure injection rates.")

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, value: Any) -> Any:
        """Accept `quality` as a decimal string, as ModelCatalog manifests write it."""
        if isinstance(value, dict) and isinstance(value.get("quality"), str):
            converted = dict(value)
            try:
                converted["quality"] = float(converted["quality"])
            except ValueError as error:
                raise ValueError(f"quality: not a decimal, got {value['quality']!r}") from error
            return converted
        return value

    @model_validator(mode="after")
    def _cache_shares_sum_at_most_one(self) -> ModelProfile:
        total = self.cached_prompt_share + self.cache_write_share
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"model {self.name!r}: cached_prompt_share ({self.cached_prompt_share:g}) + "
                f"cache_write_share ({self.cache_write_share:g}) must be at most 1, "
                f"got {total:g}"
            )
        return self


class SimProfile(BaseModel):
    """Everything one `tierroute sim` process serves."""

    model_config = ConfigDict(extra="forbid")

    models: list[ModelProfile] = Field(min_length=1, description="The simulated models.")
    api_keys: list[str] = Field(
        default_factory=list,
        description="Accepted API keys; empty = any key (or none) is accepted.",
    )

    @model_validator(mode="after")
    def _ids_unique(self) -> SimProfile:
        seen: dict[str, str] = {}
        for model in self.models:
            for model_id in (model.name, *model.aliases):
                if model_id in seen:
                    raise ValueError(
                        f"model id {model_id!r} of {model.name!r} is already used by "
                        f"{seen[model_id]!r}"
                    )
                seen[model_id] = model.name
        return self
