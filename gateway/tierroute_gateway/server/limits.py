"""Bounded in-flight requests per model, from the catalog's `maxConcurrency`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from tierroute_gateway.routing_table import Model


class ConcurrencyLimits:
    """One semaphore per limited model; unlimited models have none."""

    def __init__(self) -> None:
        self._limits: dict[str, tuple[int, asyncio.Semaphore]] = {}

    def configure(self, models: Iterable[Model]) -> None:
        """Adopt the limits of a (new) table, keeping the semaphores whose limit is unchanged."""
        current = {}
        for model in models:
            if model.max_concurrency is None:
                continue
            kept = self._limits.get(model.name)
            if kept is not None and kept[0] == model.max_concurrency:
                current[model.name] = kept
            else:
                current[model.name] = (
                    model.max_concurrency,
                    asyncio.Semaphore(model.max_concurrency),
                )
        self._limits = current

    def semaphore(self, model: str) -> asyncio.Semaphore | None:
        """The semaphore bounding `model`, None when it is unlimited."""
        limit = self._limits.get(model)
        return limit[1] if limit is not None else None

    def saturated(self, model: str) -> bool:
        """Whether every slot of `model` is taken right now."""
        limit = self._limits.get(model)
        return limit is not None and limit[1].locked()
