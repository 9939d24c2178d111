"""The fallback chain of a decision: the models to try, in order, with their retry rules.

The selected model always comes first. After it, in this order of preference:

1. the route's declared chain (`route.fallbackChain`): its steps in order;
2. else a declared chain whose first step is the selected model (the first by name);
3. else a derived chain: the other eligible models in selection order (the rest of the
   chosen tier by the route's strategy, then the next tiers in priority order), capped at
   `MAX_DERIVED_CHAIN_STEPS` steps, each with `fallback.defaults`' retry rules.

Declared steps that may not serve the request are skipped, each with a note saying why. The
selected model keeps its own step's retry rules when the declared chain lists it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.index import ModelEntry, RoutingIndex
from tierroute_gateway.routing_table import Chain, ChainStep, Route


def build_chain(
    index: RoutingIndex,
    route: Route | None,
    primary: ModelEntry,
    derived: Iterable[ModelEntry],
    refusal: Callable[[ModelEntry], str | None],
) -> tuple[tuple[ChainStep, ...], tuple[str, ...]]:
    """The chain for `primary` and notes on skipped steps.

    `derived` lists the eligible models in selection order (used only without a declared
    chain); `refusal` says why a declared step's model may not serve the request.
    """
    declared: Chain | None = None
    if route is not None and route.fallback_chain is not None:
        declared = index.chains[route.fallback_chain]
    else:
        declared = index.chains_by_first_model.get(primary.name)
    if declared is not None:
        return _declared(index, declared, primary, refusal)
    steps = [primary.default_step]
    for model in derived:
        if len(steps) >= defaults.MAX_DERIVED_CHAIN_STEPS:
            break
        if model.name != primary.name:
            steps.append(model.default_step)
    return tuple(steps), ()


def _declared(
    index: RoutingIndex,
    chain: Chain,
    primary: ModelEntry,
    refusal: Callable[[ModelEntry], str | None],
) -> tuple[tuple[ChainStep, ...], tuple[str, ...]]:
    own = next((step for step in chain.steps if step.model == primary.name), None)
    steps = [own if own is not None else primary.default_step]
    seen = {primary.name}
    notes = []
    for position, step in enumerate(chain.steps):
        if step.model in seen:
            continue
        seen.add(step.model)
        why = refusal(index.models[step.model])
        if why is not None:
            notes.append(f"chain {chain.name!r} step {position} ({step.model}) skipped: {why}")
            continue
        steps.append(step)
    return tuple(steps), tuple(notes)
