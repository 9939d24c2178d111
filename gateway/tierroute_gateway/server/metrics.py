"""The gateway's Prometheus metrics, on a registry of its own, with bounded label values.

Names and buckets of the seed's metrics are kept so its dashboards and queries work. Model,
tier and category labels only take values of the routing table; undeclared features and
unknown categories are counted as `other`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

QUALITY_BUCKETS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
LATENCY_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30)
FIRST_TOKEN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10)
OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
GC_PAUSE_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)
OTHER = "other"


class GatewayMetrics:
    """Every metric the gateway exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "llm_model_requests_total",
            "Requests answered, by model and outcome.",
            ["model", "tier", "feature", "category", "outcome"],
            registry=registry,
        )
        self.cost = Counter(
            "llm_model_cost_dollars",
            "Cost in USD of answered requests, from catalog pricing.",
            ["model", "tier", "category"],
            registry=registry,
        )
        self.quality = Histogram(
            "llm_model_quality_score",
            "Quality scores reported through /v1/feedback.",
            ["model"],
            buckets=QUALITY_BUCKETS,
            registry=registry,
        )
        self.latency = Histogram(
            "llm_model_latency_seconds",
            "Upstream latency of successful calls.",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.decisions = Counter(
            "llm_routing_decisions_total",
            "Routing decisions: the tier complexity asked for and the tier that answered.",
            ["from_tier", "to_tier", "reason"],
            registry=registry,
        )
        self.tokens = Counter(
            "llm_model_tokens_total",
            "Tokens by direction (input, output); estimated when a provider gave no usage.",
            ["model", "direction"],
            registry=registry,
        )
        self.first_token = Histogram(
            "llm_model_time_to_first_token_seconds",
            "Time to the first streamed chunk.",
            ["model"],
            buckets=FIRST_TOKEN_BUCKETS,
            registry=registry,
        )
        self.upstream_errors = Counter(
            "llm_upstream_errors_total",
            "Failed provider calls by failure class.",
            ["model", "error_class"],
            registry=registry,
        )
        self.fallbacks = Counter(
            "llm_fallbacks_total",
            "Moves from one chain step to the next.",
            ["from_model", "to_model"],
            registry=registry,
        )
        self.escalations = Counter(
            "llm_quality_gate_escalations_total",
            "Escalations to a higher tier by the quality gate.",
            ["trigger"],
            registry=registry,
        )
        self.budget_remaining = Gauge(
            "llm_budget_remaining_dollars",
            "Budget remaining per category: snapshot minus local spend.",
            ["category"],
            registry=registry,
        )
        self.breaker_open = Gauge(
            "llm_circuit_breaker_open",
            "1 while a model's circuit breaker refuses calls (open or probing).",
            ["model"],
            registry=registry,
        )
        self.config_info = Gauge(
            "tierroute_config_info",
            "The routing table in use: 1 for its policy and content hash.",
            ["policy", "hash"],
            registry=registry,
        )
        self.reloads = Counter(
            "tierroute_config_reloads_total",
            "Routing table reloads by result (ok, refused).",
            ["result"],
            registry=registry,
        )
        self.overhead = Histogram(
            "tierroute_gateway_overhead_seconds",
            "Time spent in the gateway itself, upstream time excluded.",
            buckets=OVERHEAD_BUCKETS,
            registry=registry,
        )
        self.responses = Counter(
            "tierroute_gateway_responses_total",
            "Responses by endpoint and HTTP status.",
            ["endpoint", "status"],
            registry=registry,
        )
        self.gc_pauses = Histogram(
            "tierroute_gateway_gc_pause_seconds",
            "Pauses of the event loop for Python's cyclic garbage collector, by generation.",
            ["generation"],
            buckets=GC_PAUSE_BUCKETS,
            registry=registry,
        )
        self.reloads.labels("ok")
        self.reloads.labels("refused")
        self._gc_generations = tuple(self.gc_pauses.labels(str(n)) for n in range(3))
        self._config_labels: tuple[str, str] | None = None
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def child(self, metric: Counter | Histogram, *values: str) -> Any:
        """`metric.labels(*values)`, cached: label values are bounded, lookups are hot."""
        key = (id(metric), values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found

    def observe_gc_pause(self, generation: int, seconds: float) -> None:
        """Count one garbage collection of `generation` (0, 1 or 2) that took `seconds`."""
        self._gc_generations[generation].observe(seconds)

    def set_config(self, policy: str, content_hash: str) -> None:
        """Point `tierroute_config_info` at the table now in use."""
        if self._config_labels is not None:
            self.config_info.remove(*self._config_labels)
        self._config_labels = (policy, content_hash)
        self.config_info.labels(policy, content_hash).set(1)

    def set_budget(self, remaining: Iterable[tuple[str, float]]) -> None:
        """Publish the remaining budget of each category."""
        for category, value in remaining:
            self.budget_remaining.labels(category).set(value)

    def exposition(self) -> bytes:
        """The text exposition format of every metric."""
        return generate_latest(self.registry)


def bounded(value: str | None, allowed: frozenset[str]) -> str:
    """`value` if it is one of `allowed`, else `other`."""
    return value if value is not None and value in allowed else OTHER
