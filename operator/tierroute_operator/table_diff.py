"""What a change of manifests does to routing: models added, removed or repriced, and which
decisions change for a fixed sample of requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tierroute_gateway.decision.errors import DecisionError
from tierroute_gateway.decision.features import extract_features, with_context_tokens
from tierroute_gateway.decision.index import RoutingIndex
from tierroute_gateway.decision.select import decide
from tierroute_gateway.routing_table import Model, RoutingTable, content_hash

_TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class SampleRequest:
    """One request of the built-in sample: a name, a body and an optional context size."""

    name: str
    body: dict[str, Any]
    context_tokens: int | None = None


def _user(content: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": content}]}


SAMPLE_REQUESTS: tuple[SampleRequest, ...] = (
    SampleRequest("classify", _user("Classify this text as positive or negative: 'Great!'"), 100),
    SampleRequest("extract", _user("Extract the dates from this paragraph and list them."), 400),
    SampleRequest("chat", _user("What is a good name for a grey cat?")),
    SampleRequest("write-code", _user("Write a Python function that merges two sorted lists.")),
    SampleRequest(
        "architecture",
        _user("Analyze this codebase architecture and suggest improvements for scalability"),
        50_000,
    ),
    SampleRequest("why", _user("Why does ice float on water? Think step by step.")),
    SampleRequest(
        "image",
        _user(
            [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image_url", "image_url": {"url": _TINY_PNG}},
            ]
        ),
    ),
    SampleRequest(
        "audio",
        _user(
            [
                {"type": "text", "text": "Transcribe this clip."},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            ]
        ),
    ),
    SampleRequest("long-context", _user("Summarize the attached report."), 120_000),
    SampleRequest(
        "json", {**_user("List three colours."), "response_format": {"type": "json_object"}}
    ),
)
"""Requests whose decisions `tierroute diff` compares, covering every routing rule."""


@dataclass(frozen=True)
class DecisionChange:
    """The decision for one sample request and route before and after."""

    request: str
    route: str
    before: str
    after: str


@dataclass(frozen=True)
class TableDiff:
    """Everything `tierroute diff` reports."""

    old_hash: str
    new_hash: str
    added_models: tuple[str, ...]
    removed_models: tuple[str, ...]
    repriced_models: tuple[tuple[str, str, str], ...]
    changed_models: tuple[str, ...]
    decisions: tuple[DecisionChange, ...]
    sampled: int

    @property
    def unchanged(self) -> bool:
        """Whether nothing a user would notice differs."""
        return self.old_hash == self.new_hash


def diff_tables(
    old: RoutingIndex, new: RoutingIndex, *, routes: tuple[str, ...], now: datetime
) -> TableDiff:
    """Compare two compiled tables, and their decisions over the sample for each route."""
    before = {model.name: model for model in old.table.models}
    after = {model.name: model for model in new.table.models}
    common = sorted(before.keys() & after.keys())
    repriced = tuple(
        (name, _price(before[name]), _price(after[name]))
        for name in common
        if before[name].pricing != after[name].pricing
    )
    changed = tuple(
        name
        for name in common
        if before[name].model_copy(update={"pricing": after[name].pricing}) != after[name]
    )
    decisions = []
    for route in routes:
        for sample in SAMPLE_REQUESTS:
            old_outcome = _outcome(old, route, sample, now)
            new_outcome = _outcome(new, route, sample, now)
            if old_outcome != new_outcome:
                decisions.append(DecisionChange(sample.name, route, old_outcome, new_outcome))
    return TableDiff(
        old_hash=content_hash(old.table),
        new_hash=content_hash(new.table),
        added_models=tuple(sorted(after.keys() - before.keys())),
        removed_models=tuple(sorted(before.keys() - after.keys())),
        repriced_models=repriced,
        changed_models=changed,
        decisions=tuple(decisions),
        sampled=len(routes) * len(SAMPLE_REQUESTS),
    )


def route_names(table: RoutingTable) -> tuple[str, ...]:
    """Names of the routes of a table."""
    return tuple(route.name for route in table.routes)


def _price(model: Model) -> str:
    pricing = model.pricing
    return f"${pricing.input_per_million}/${pricing.output_per_million} per 1M in/out"


def _outcome(index: RoutingIndex, route: str, sample: SampleRequest, now: datetime) -> str:
    body = {**sample.body, "model": route}
    try:
        features = extract_features(body, max_scan_chars=index.max_scan_chars)
        if sample.context_tokens is not None:
            features = with_context_tokens(features, sample.context_tokens)
        decision = decide(index, route, features, request_id=sample.name, now=now)
    except DecisionError as error:
        return f"error {error.status} {error.code}"
    chain = " > ".join(step.model for step in decision.chain)
    return f"{decision.model} ({decision.tier.value}; chain {chain})"


def format_diff(diff: TableDiff) -> str:
    """The diff as lines for humans."""
    if diff.unchanged:
        return f"no change: both compile to {diff.new_hash}"
    lines = [f"hash: {diff.old_hash} -> {diff.new_hash}"]
    lines += [f"+ model {name}" for name in diff.added_models]
    lines += [f"- model {name}" for name in diff.removed_models]
    lines += [f"~ model {name}: {old} -> {new}" for name, old, new in diff.repriced_models]
    lines += [f"~ model {name}: other fields changed" for name in diff.changed_models]
    lines.append(f"decisions: {len(diff.decisions)} of {diff.sampled} sample decisions change")
    lines += [
        f"  {change.route} / {change.request}: {change.before} -> {change.after}"
        for change in diff.decisions
    ]
    return "\n".join(lines)
