"""The learned router's part of the routing index, built once per routing table load.

The table carries the fitted artefact inline (`learnedRouter`, hash-checked when the table is
loaded). Here it becomes a `Predictor` (weights laid out for lookups), the rule and its value
become floats, and each `learned` route gets its candidates: the models its allow/deny
lists, the policy and automation leave it that the artefact knows. A table whose routes use
`learned` without a learned router, or whose artefact reads more of a prompt than the
gateway keeps, is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tierroute_gateway.decision import defaults
from tierroute_gateway.learned_router import Predictor
from tierroute_gateway.routing_table import (
    RoutingTable,
    RoutingTableError,
    Strategy,
    decimal_value,
)

if TYPE_CHECKING:
    from tierroute_gateway.decision.index import ModelEntry, RouteEntry


@dataclass(frozen=True, slots=True)
class LearnedIndex:
    """A table's learned router, ready for requests."""

    predictor: Predictor
    rule: str
    """`threshold` or `tradeoff`."""
    value: float
    """The threshold, or the cost weight λ (per USD of 1,000 calls)."""
    artefact_hash: str
    columns: Mapping[str, int]
    """Each model the artefact knows: its position in the artefact's predictions."""
    output_tokens: Mapping[str, int]
    """Each known model's expected completion tokens (mean over the fitting rows)."""
    routes: Mapping[str, tuple[ModelEntry, ...]]
    """Each `learned` route's candidates that the artefact knows, in catalog order."""


def _check_learned_routes(table: RoutingTable) -> None:
    """Refuse a table whose routes use `learned` while it carries no learned router."""
    if table.learned_router is not None:
        return
    for position, route in enumerate(table.routes):
        if route.strategy is Strategy.LEARNED:
            raise RoutingTableError(
                f"routes[{position}].strategy: route {route.name!r} uses strategy 'learned' "
                f"but the table has no learnedRouter"
            )


def build_learned_index(
    table: RoutingTable, routes: Mapping[str, RouteEntry]
) -> LearnedIndex | None:
    """The table's learned router for the hot path; None when the table has none."""
    _check_learned_routes(table)
    learned = table.learned_router
    if learned is None:
        return None
    artefact = learned.artefact
    if artefact.features.max_chars > defaults.PROMPT_TAIL_CHARS:
        raise RoutingTableError(
            f"learnedRouter.artefact.features.maxChars: {artefact.features.max_chars} is more "
            f"than the {defaults.PROMPT_TAIL_CHARS} characters of a prompt the gateway keeps"
        )
    columns = {model.name: position for position, model in enumerate(artefact.models)}
    return LearnedIndex(
        predictor=Predictor(artefact),
        rule=learned.rule,
        value=float(decimal_value(learned.value)),
        artefact_hash=learned.artefact_hash,
        columns=columns,
        output_tokens={
            model.name: round(model.expected_output_tokens) for model in artefact.models
        },
        routes={
            name: tuple(model for model in entry.candidates if model.name in columns)
            for name, entry in routes.items()
            if entry.route.strategy is Strategy.LEARNED
        },
    )
