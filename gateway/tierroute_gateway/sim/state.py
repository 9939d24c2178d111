"""The simulator's run-time state: served models, their random streams, and what happened.

Admin changes replace a model's whole `Behaviour` (one reference), so a request in flight
keeps the behaviour it started with. Nothing here does I/O.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError

from tierroute_gateway.sim.behaviour import (
    Behaviour,
    Draw,
    Outcome,
    behaviour_of,
    draw_request,
    model_random,
)
from tierroute_gateway.sim.profile import ModelProfile, SimProfile

Api = Literal["openai", "anthropic"]
RECENT_REQUESTS = 256
"""How many recent requests `/admin/stats` keeps."""
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})
_IMMUTABLE = ("name", "aliases")


class PatchError(ValueError):
    """An admin change that names no model or would make a model invalid."""


@dataclass(slots=True)
class ModelStats:
    """Requests one model received, by outcome."""

    requests: int = 0
    streamed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Served:
    """A model as the request path sees it: its behaviour and the APIs serving it."""

    behaviour: Behaviour
    apis: frozenset[str]
    owned_by: str


class SimState:
    """Models, random streams and counters of one simulator process."""

    def __init__(self, profile: SimProfile, seed: int) -> None:
        self.seed = seed
        self.api_keys = frozenset(profile.api_keys)
        self._initial = {model.name: model for model in profile.models}
        self.profiles: dict[str, ModelProfile] = {}
        self.served: dict[str, Served] = {}
        self.model_ids: dict[str, str] = {}
        self._random: dict[str, random.Random] = {}
        self.stats: dict[str, ModelStats] = {}
        self.rejected: dict[str, int] = {}
        self.recent: deque[Seen] = deque(maxlen=RECENT_REQUESTS)
        self.request_count = 0
        self.reset()

    def reset(self) -> None:
        """Back to the profile as loaded: rates, random streams and counters."""
        self.profiles = dict(self._initial)
        self.model_ids = {
            model_id: model.name
            for model in self._initial.values()
            for model_id in (model.name, *model.aliases)
        }
        self.served = {name: _served(model) for name, model in self.profiles.items()}
        self._random = {name: model_random(self.seed, name) for name in self.profiles}
        self.stats = {name: ModelStats() for name in self.profiles}
        self.rejected = {}
        self.recent.clear()
        self.request_count = 0

    def lookup(self, model_id: str, api: Api) -> Served | None:
        """The model answering `model_id` on `api`, if any."""
        name = self.model_ids.get(model_id)
        if name is None:
            return None
        served = self.served[name]
        return served if api in served.apis else None

    def draw(self, behaviour: Behaviour) -> Draw:
        """The next draw of this model's random stream."""
        return draw_request(behaviour, self._random[behaviour.name])

    def next_request_number(self) -> int:
        """A counter for response ids (deterministic under a seed)."""
        self.request_count += 1
        return self.request_count

    def record(self, name: str, outcome: Outcome, seen: Seen) -> None:
        """Count a request that reached a model."""
        stats = self.stats[name]
        stats.requests += 1
        stats.streamed += seen.stream
        stats.outcomes[outcome.value] = stats.outcomes.get(outcome.value, 0) + 1
        self.recent.append(seen)

    def reject(self, seen: Seen) -> None:
        """Count a request refused before reaching a model (auth, bad input, unknown model)."""
        self.rejected[seen.outcome] = self.rejected.get(seen.outcome, 0) + 1
        self.recent.append(seen)

    def patch_model(self, model_id: str, patch: dict[str, Any]) -> ModelProfile:
        """Merge `patch` into a model's settings; the model's random stream continues."""
        name = self.model_ids.get(model_id)
        if name is None:
            raise KeyError(model_id)
        changed = [key for key in _IMMUTABLE if key in patch]
        if changed:
            raise PatchError(f"{name}: {', '.join(changed)} cannot change at run time")
        merged = _merge(self.profiles[name].model_dump(), patch)
        try:
            profile = ModelProfile.model_validate(merged)
        except ValidationError as error:
            raise PatchError(f"{name}: {_describe(error)}") from error
        self.profiles[name] = profile
        self.served[name] = _served(profile)
        return profile

    def stats_document(self) -> dict[str, Any]:
        """What `/admin/stats` answers."""
        return {
            "total": sum(stats.requests for stats in self.stats.values()),
            "models": {
                name: {
                    "requests": stats.requests,
                    "streamed": stats.streamed,
                    "outcomes": dict(stats.outcomes),
                }
                for name, stats in self.stats.items()
            },
            "rejected": dict(self.rejected),
            "recent": [seen.document() for seen in self.recent],
        }


class Seen(NamedTuple):
    """One request as `/admin/stats` lists it; its headers are filtered only when read."""

    api: Api
    model: str
    outcome: str
    headers: Mapping[str, str]
    stream: bool = False
    served: str | None = None
    prompt_tokens: int | None = None
    max_tokens: int | None = None
    json_mode: bool = False

    def document(self) -> dict[str, Any]:
        """The JSON form; credentials never appear in it."""
        return {
            "api": self.api,
            "model": self.model,
            "served": self.served,
            "outcome": self.outcome,
            "stream": self.stream,
            "prompt_tokens": self.prompt_tokens,
            "max_tokens": self.max_tokens,
            "json_mode": self.json_mode,
            "headers": _visible_headers(self.headers),
        }


def _visible_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """`x-*` headers, the user agent and the API version; never credentials."""
    kept = {}
    for key, value in headers.items():
        name = key.lower()
        if name in _SECRET_HEADERS:
            continue
        if name.startswith("x-") or name in ("user-agent", "anthropic-version"):
            kept[name] = value
    return kept


def _served(profile: ModelProfile) -> Served:
    return Served(behaviour_of(profile), frozenset(profile.apis), profile.owned_by)


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386): objects merge key by key, null deletes, the rest replaces."""
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or '(model)'}: {issue['msg']}"
        for issue in error.errors()
    )
