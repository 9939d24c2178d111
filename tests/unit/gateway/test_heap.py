"""Keeping the garbage collector off the request path (server/heap.py).

The gateway freezes each adopted table out of the collector's generations. That is safe only
if a replaced table is freed by reference counting alone: a table caught in a reference cycle
would stay frozen, and held, for the life of the process.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator

import pytest

from tests.helpers.learned_router import learned_routing, proof_router
from tests.unit.gateway.tables import seed_table
from tierroute_gateway.routing_table import (
    Route,
    RoutingTable,
    Strategy,
    canonical_json,
    load_routing_table,
)
from tierroute_gateway.server.gateway import build_state
from tierroute_gateway.server.heap import GcPauses, settle_heap
from tierroute_gateway.server.metrics import GatewayMetrics


def _learned_table() -> RoutingTable:
    route = Route(name="auto", category="standard", strategy=Strategy.LEARNED)
    routing = learned_routing(proof_router("gpt-4o", "llama-3-70b"))
    return seed_table(routes=(route,), learned_router=routing)


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """No automatic collection during the test, and nothing left frozen after it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _cyclic_garbage_of_ours() -> list[object]:
    """Objects of our packages that only the cycle collector can free, collected now.

    Filtered by module: other tests' threads may leave cyclic garbage of their own meanwhile.
    """
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return [item for item in gc.garbage if type(item).__module__.startswith("tierroute_")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.parametrize("table", [seed_table, _learned_table], ids=["seed", "learned"])
def test_a_replaced_table_is_freed_without_the_collector(
    table: Callable[[], RoutingTable], collector_paused: None
) -> None:
    document = canonical_json(table())
    loaded = load_routing_table(document)
    alive = weakref.ref(loaded)
    state = build_state(loaded)
    assert state.index.models
    del state, loaded
    assert alive() is None  # reference counting alone freed the table
    assert _cyclic_garbage_of_ours() == []  # and nothing of its index waits for the collector


def test_settled_objects_are_no_longer_walked_by_collections(collector_paused: None) -> None:
    survivor = {"kept": ["for", "the", "process"]}
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert not any(tracked is survivor for tracked in gc.get_objects())
    assert survivor["kept"] == ["for", "the", "process"]


def test_each_collection_is_counted_by_generation(collector_paused: None) -> None:
    metrics = GatewayMetrics()
    pauses = GcPauses(metrics.observe_gc_pause)
    pauses.install()
    try:
        gc.collect(1)
        gc.collect(2)
    finally:
        pauses.remove()
    text = metrics.exposition().decode()
    for generation, count in (("0", "0.0"), ("1", "1.0"), ("2", "1.0")):
        line = f'tierroute_gateway_gc_pause_seconds_count{{generation="{generation}"}} {count}'
        assert line in text
    assert pauses not in gc.callbacks
