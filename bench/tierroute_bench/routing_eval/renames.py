"""Renaming models in outcome rows, so a router fitted on one dataset's names serves another's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tierroute_bench.routing_eval.outcomes import OutcomeRow, Price


def rename_rows(
    rows: Sequence[OutcomeRow], prices: Mapping[str, Price], renames: Mapping[str, str]
) -> tuple[list[OutcomeRow], dict[str, Price]]:
    """Rows and prices with each model `old` called `renames[old]`."""
    if not renames:
        return list(rows), dict(prices)
    renamed = [
        OutcomeRow(
            id=row.id,
            prompt=row.prompt,
            category=row.category,
            split=row.split,
            outcomes={renames.get(m, m): outcome for m, outcome in row.outcomes.items()},
        )
        for row in rows
    ]
    return renamed, {renames.get(m, m): price for m, price in prices.items()}
