"""The work queue: each key once, never twice at the same time, delayed retries."""

from __future__ import annotations

import asyncio

from tierroute_operator.controller.work_queue import WorkQueue


def test_a_key_waits_in_the_queue_only_once() -> None:
    async def scenario() -> list[str]:
        queue: WorkQueue[str] = WorkQueue()
        for key in ("a", "b", "a", "a"):
            queue.add(key)
        return [await queue.get(), await queue.get(), str(len(queue))]

    assert asyncio.run(scenario()) == ["a", "b", "0"]


def test_a_key_added_while_processed_comes_back_after_done() -> None:
    async def scenario() -> list[object]:
        queue: WorkQueue[str] = WorkQueue()
        queue.add("a")
        key = await queue.get()
        queue.add("a")  # an event while "a" is being reconciled
        waiting_meanwhile = len(queue)
        queue.done(key)
        return [waiting_meanwhile, len(queue), await queue.get()]

    assert asyncio.run(scenario()) == [0, 1, "a"]


def test_delayed_add_arrives_later_and_an_add_makes_it_sooner() -> None:
    async def scenario() -> list[object]:
        queue: WorkQueue[str] = WorkQueue()
        queue.add_after("a", 60)
        queue.add_after("b", 0.01)
        first = await asyncio.wait_for(queue.get(), 5)
        queue.add("a")
        second = await asyncio.wait_for(queue.get(), 5)
        queue.close()
        return [first, second]

    assert asyncio.run(scenario()) == ["b", "a"]
