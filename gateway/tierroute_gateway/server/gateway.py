"""The gateway's runtime: the table in use and the components every request shares.

`Gateway.apply_table` validates a new routing table document and, only if it is valid,
swaps the whole `TableState` in one assignment; requests hold the state they started with,
so a reload never mixes two tables in one request. Validating and indexing a table runs in a
worker thread: for a 500-model catalog it takes ~75 ms, which on the event loop would stall
every request in flight at each reload.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from tierroute_gateway.decision.budget import BudgetLedger
from tierroute_gateway.decision.index import RoutingIndex, build_index
from tierroute_gateway.routing_table import (
    Model,
    RoutingTable,
    RoutingTableError,
    content_hash,
    load_routing_table,
)
from tierroute_gateway.server.breaker import BreakerSettings
from tierroute_gateway.server.client_keys import read_client_keys
from tierroute_gateway.server.fallback import Executor
from tierroute_gateway.server.feedback import RecentAnswers
from tierroute_gateway.server.limits import ConcurrencyLimits
from tierroute_gateway.server.metrics import GatewayMetrics
from tierroute_gateway.server.request_log import RequestLog
from tierroute_gateway.server.settings import GatewaySettings
from tierroute_gateway.server.upstream import Upstreams


@dataclass(frozen=True, slots=True)
class TableState:
    """One routing table and everything precomputed from it."""

    table: RoutingTable
    content_hash: str
    index: RoutingIndex
    models: dict[str, Model]
    features: frozenset[str]
    categories: frozenset[str]
    models_listing: bytes


def build_state(table: RoutingTable) -> TableState:
    """Precompute what requests need from a table."""
    categories = {route.category for route in table.routes}
    if table.budget is not None:
        categories.update(category.name for category in table.budget.categories)
    return TableState(
        table=table,
        content_hash=content_hash(table),
        index=build_index(table),
        models={model.name: model for model in table.models},
        features=frozenset(table.features),
        categories=frozenset(categories),
        models_listing=_models_listing(table),
    )


def prepare_state(document: bytes) -> TableState:
    """Validate a table document and precompute its state (raises RoutingTableError)."""
    return build_state(load_routing_table(document))


def _models_listing(table: RoutingTable) -> bytes:
    data: list[dict[str, Any]] = [
        {"id": route.name, "object": "model", "created": 0, "owned_by": "tierroute"}
        for route in table.routes
    ]
    data += [
        {"id": model.name, "object": "model", "created": 0, "owned_by": model.provider}
        for model in table.models
    ]
    return orjson.dumps({"object": "list", "data": data})


@dataclass(slots=True)
class Gateway:
    """Everything shared by the requests of one gateway process."""

    settings: GatewaySettings
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)
    limits: ConcurrencyLimits = field(default_factory=ConcurrencyLimits)
    recent: RecentAnswers = field(default_factory=RecentAnswers)
    state: TableState | None = None
    ledger: BudgetLedger | None = None
    refusal: str = "no routing table loaded yet"
    client_keys: tuple[bytes, ...] = ()
    executor: Executor = field(init=False)
    upstreams: Upstreams = field(init=False)
    log: RequestLog = field(init=False)

    def __post_init__(self) -> None:
        metrics = self.metrics
        self.executor = Executor(
            self.limits,
            breaker_settings=BreakerSettings(
                consecutive_failures=self.settings.breaker_failures,
                open_seconds=self.settings.breaker_open_seconds,
            ),
            on_failure=lambda model, error_class: metrics.upstream_errors.labels(
                model, error_class
            ).inc(),
            on_fallback=lambda from_model, to_model: metrics.fallbacks.labels(
                from_model, to_model
            ).inc(),
        )
        self.upstreams = Upstreams(self.settings.credentials_dir, self.settings.upstream_pool_size)
        self.log = RequestLog(sys.stdout.buffer if self.settings.request_log else None)
        if self.settings.client_keys_file is not None:
            self.client_keys = read_client_keys(self.settings.client_keys_file)

    def adopt_client_keys(self, keys: tuple[bytes, ...]) -> None:
        """Use a rotated client keys file from the next request on (keys are never logged)."""
        self.client_keys = keys
        _event("client_keys_loaded", keys=len(keys))

    def refuse_client_keys(self, reason: str) -> None:
        """Keep the keys in force when a changed keys file cannot be used."""
        _event("client_keys_refused", reason=reason, kept=len(self.client_keys))

    async def apply_table(self, document: bytes, origin: str) -> bool:
        """Adopt a new table document, or refuse it and keep the one in use."""
        try:
            state = await asyncio.to_thread(prepare_state, document)
        except (RoutingTableError, ValueError) as error:
            self.metrics.reloads.labels("refused").inc()
            self.refusal = f"routing table from {origin} refused: {error}"
            _event("table_refused", origin=origin, reason=str(error), kept=self._hash())
            return False
        if self.state is not None and state.content_hash == self.state.content_hash:
            return True
        table = state.table
        try:
            await self.upstreams.configure(table)
        except OSError as error:
            self.metrics.reloads.labels("refused").inc()
            self.refusal = (
                f"routing table from {origin} refused: a credential is unreadable: {error}"
            )
            _event("table_refused", origin=origin, reason=self.refusal, kept=self._hash())
            return False
        except ValueError as error:
            # A provider that cannot be called as configured (a credential with a line break
            # in it, say); the message names the header, never its value.
            self.metrics.reloads.labels("refused").inc()
            self.refusal = f"routing table from {origin} refused: {error}"
            _event("table_refused", origin=origin, reason=self.refusal, kept=self._hash())
            return False
        self.limits.configure(table.models)
        previous_table = self.state.table if self.state is not None else None
        self.ledger = _carry_ledger(self.ledger, previous_table, table)
        previous = self._hash()
        self.state = state
        self.metrics.reloads.labels("ok").inc()
        self.metrics.set_config(table.source.policy, state.content_hash)
        self.publish_budget()
        _event("table_loaded", origin=origin, hash=state.content_hash, previous=previous)
        return True

    def publish_budget(self) -> None:
        """Refresh the budget-remaining gauges."""
        ledger = self.ledger
        if ledger is None:
            return
        now = datetime.now(UTC)
        self.metrics.set_budget(
            (name, ledger.state(name, now).remaining) for name in ledger.view.categories
        )

    def _hash(self) -> str | None:
        return self.state.content_hash if self.state is not None else None


def _carry_ledger(
    ledger: BudgetLedger | None, previous: RoutingTable | None, table: RoutingTable
) -> BudgetLedger | None:
    """Keep local spend while the snapshot is unchanged; a new snapshot already counts it."""
    if table.budget is None:
        return None
    if ledger is not None and previous is not None and previous.budget == table.budget:
        return ledger
    return BudgetLedger.from_snapshot(table.budget)


def _event(event: str, **fields: object) -> None:
    """A JSON log line about the gateway itself (not a request)."""
    record = {"time": time.time(), "event": event, **fields}
    sys.stderr.buffer.write(orjson.dumps(record) + b"\n")
    sys.stderr.flush()
