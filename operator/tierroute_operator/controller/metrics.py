"""The operator's own Prometheus metrics: reconciles, errors, durations, writes, queue, leader.

Label values are bounded: kinds, results, condition reasons and written resource types; never
object names (a thousand policies would be a thousand series) and never anything secret.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.process_collector import ProcessCollector

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class OperatorMetrics:
    """Every metric the operator exports, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.reconciles = Counter(
            "tierroute_operator_reconciles_total",
            "Reconciles by kind and result (ok, failed, retry).",
            ["kind", "result"],
            registry=self.registry,
        )
        self.errors = Counter(
            "tierroute_operator_reconcile_errors_total",
            "Reconciles that did not end Ready, by kind and condition reason.",
            ["kind", "reason"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "tierroute_operator_reconcile_duration_seconds",
            "Time one reconcile took, reads and writes included.",
            ["kind"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.writes = Counter(
            "tierroute_operator_writes_total",
            "Writes to the API server by resource (configmap, secret, status, event).",
            ["resource"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "tierroute_operator_queue_depth",
            "Objects waiting to be reconciled.",
            registry=self.registry,
        )
        self.leader = Gauge(
            "tierroute_operator_leader",
            "1 when this replica is the active one, 0 while it stands by.",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The metrics in Prometheus text format."""
        return generate_latest(self.registry)
