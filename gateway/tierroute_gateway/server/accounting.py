"""After a request: tokens, cost, budget spend, metrics and the request's log line."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from tierroute_gateway.decision.cost import estimate_cost
from tierroute_gateway.server.errors import SERVER, TIMEOUT, GatewayError
from tierroute_gateway.server.fallback import Attempt, ChainFailedError
from tierroute_gateway.server.gateway import Gateway, TableState
from tierroute_gateway.server.headers import header_value
from tierroute_gateway.server.providers.exchange import Usage
from tierroute_gateway.server.routing import Routed, decision_reason_code

_CHARS_PER_TOKEN = 4


@dataclass(slots=True)
class Accounting:
    """What one request did, filled in as it goes."""

    request_id: str
    routed: Routed
    started: float
    upstream_seconds: float = 0.0
    model: str = ""
    tier: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    escalated: str | None = None
    first_token_seconds: float | None = None

    @property
    def attempt_count(self) -> int:
        """Provider calls made (refusals by an open breaker included)."""
        return len(self.attempts)


def answer_chars(answer: dict[str, Any]) -> int:
    """Characters of text in a chat completion (for an output estimate without usage)."""
    total = 0
    for choice in answer.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content)
    return total


class Settlement(NamedTuple):
    """Tokens and cost of a finished request, before they are booked."""

    outcome: str
    tokens: Usage | None
    cost: float


def settle(
    state: TableState,
    record: Accounting,
    outcome: str,
    *,
    attempts: list[Attempt],
    model: str | None = None,
    usage: Usage | None = None,
    output_chars: int = 0,
) -> Settlement:
    """The tokens and cost of a request (what its response headers need)."""
    routed = record.routed
    name = model or routed.decision.model
    entry = state.index.models[name]
    record.model, record.tier, record.attempts = name, entry.tier.value, attempts
    if outcome not in ("ok", "dropped"):
        return Settlement(outcome, usage, 0.0)
    tokens = usage or Usage(
        routed.features.input_tokens, -(-output_chars // _CHARS_PER_TOKEN), estimated=True
    )
    features = routed.features
    cost = estimate_cost(
        entry.prices,
        tokens.input_tokens,
        tokens.output_tokens,
        features.image_count,
        features.audio_seconds,
        cached_input_tokens=tokens.cached_input_tokens,
        cache_write_input_tokens=tokens.cache_write_input_tokens,
    )
    return Settlement(outcome, tokens, cost)


def book(gateway: Gateway, record: Accounting, settled: Settlement) -> None:
    """Count a settled request in the metrics, charge the budget and write its log line.

    Callers answering the client first book afterwards: none of this changes the answer."""
    routed = record.routed
    metrics = gateway.metrics
    outcome = settled.outcome
    metrics.child(
        metrics.requests,
        record.model,
        record.tier,
        routed.feature_label,
        routed.category_label,
        outcome,
    ).inc()
    if outcome in ("ok", "dropped") and settled.tokens is not None:
        _count_success(gateway, record, settled.tokens, settled.cost)
    overhead = time.perf_counter() - record.started - record.upstream_seconds
    metrics.overhead.observe(max(overhead, 0.0))
    _log(gateway, record, outcome, settled.tokens, cost=settled.cost, overhead=overhead)


def _count_success(gateway: Gateway, record: Accounting, tokens: Usage, cost: float) -> None:
    metrics = gateway.metrics
    name, attempts = record.model, record.attempts
    routed = record.routed
    metrics.child(metrics.cost, name, record.tier, routed.category_label).inc(cost)
    metrics.child(metrics.tokens, name, "input").inc(tokens.input_tokens)
    metrics.child(metrics.tokens, name, "output").inc(tokens.output_tokens)
    if attempts:
        metrics.child(metrics.latency, name).observe(attempts[-1].seconds)
    if record.first_token_seconds is not None:
        metrics.child(metrics.first_token, name).observe(record.first_token_seconds)
    reason = decision_reason_code(routed, name, record.escalated)
    metrics.child(metrics.decisions, routed.from_tier, record.tier, reason).inc()
    ledger = gateway.ledger
    category = routed.category
    if ledger is not None and cost > 0 and category in ledger.view.categories:
        ledger.record(str(category), cost, datetime.now(UTC))
    gateway.recent.remember(record.request_id, name)


def _log(
    gateway: Gateway,
    record: Accounting,
    outcome: str,
    tokens: Usage | None,
    *,
    cost: float,
    overhead: float,
) -> None:
    routed = record.routed
    gateway.log.write(
        {
            "time": round(time.time(), 3),
            "request_id": record.request_id,
            "route": routed.route,
            "category": routed.category,
            "model": record.model,
            "tier": record.tier,
            "decided_model": routed.decision.model,
            "attempts": [attempt.describe() for attempt in record.attempts],
            "input_tokens": tokens.input_tokens if tokens else None,
            "output_tokens": tokens.output_tokens if tokens else None,
            "tokens_estimated": tokens.estimated if tokens else None,
            "cost_usd": round(cost, 10),
            "latency_ms": round((time.perf_counter() - record.started) * 1000, 3),
            "overhead_ms": round(overhead * 1000, 3),
            "escalated": record.escalated,
            "outcome": outcome,
        }
    )


def routing_headers(record: Accounting, cost: str) -> list[tuple[bytes, bytes]]:
    """The `x-tierroute-*` response headers of an answered request."""
    routed = record.routed
    reason = routed.reason
    if record.model != routed.decision.model:
        reason += f"; answered by fallback {record.model}"
    return [
        (b"x-tierroute-model", header_value(record.model)),
        (b"x-tierroute-tier", header_value(record.tier)),
        (b"x-tierroute-reason", header_value(reason)),
        (b"x-tierroute-cost-usd", cost.encode("ascii")),
        (b"x-tierroute-request-id", header_value(record.request_id)),
        (b"x-tierroute-attempts", str(record.attempt_count).encode("ascii")),
    ]


def attempts_error(failure: ChainFailedError) -> GatewayError:
    """503 (every attempt failed) or 504 (deadline passed), listing the attempts."""
    listed = "; ".join(attempt.describe() for attempt in failure.attempts) or "none"
    if failure.timed_out:
        return GatewayError(
            504,
            f"the request deadline passed before any provider answered; attempts: {listed}",
            error_type=TIMEOUT,
            code="deadline_exceeded",
        )
    return GatewayError(
        503,
        f"every attempt failed; attempts: {listed}",
        error_type=SERVER,
        code="all_attempts_failed",
    )
