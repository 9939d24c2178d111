"""Experiment assignment: sticky, weighted, and the same in every process and Python version.

A request's variant is fixed by sha256 of (experiment name, assignment key): the first 8
bytes as an integer, modulo the sum of the integer weights, located among the cumulative
weights. The key is the user id for `stickiness: user` (the `x-tierroute-user` header, else
the body's `user`), falling back to the request id when a request carries no user; it is the
request id for `stickiness: request`. A `promote-variant` adjustment sends everyone to the
promoted variant. An experiment applies to a request when its route and category (each when
set) match; when several do, the first by name is used. A variant whose model may not serve
the request is skipped, and the note says why.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from tierroute_gateway.decision.eligibility import Limits, refusal
from tierroute_gateway.decision.index import ExperimentEntry, ModelEntry, RouteEntry, RoutingIndex
from tierroute_gateway.routing_table import Variant


def assignment_key(entry: ExperimentEntry, user: str | None, request_id: str) -> str:
    """What a request's assignment hashes: its user when sticky and known, else its id."""
    if entry.experiment.stickiness == "user" and user:
        return "user:" + user
    return "request:" + request_id


def assignment_point(experiment_name: str, key: str, total: int) -> int:
    """A point in [0, total) fixed by the experiment name and the key."""
    digest = hashlib.sha256(f"{experiment_name}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % total


def assign_variant(entry: ExperimentEntry, key: str) -> Variant:
    """The variant `key` falls in (the promoted one when an adjustment promoted it)."""
    if entry.promoted is not None:
        return entry.promoted
    point = assignment_point(entry.experiment.name, key, entry.total)
    for variant, bound in zip(entry.experiment.variants, entry.cumulative, strict=True):
        if point < bound:
            return variant
    return entry.experiment.variants[-1]


def applicable_experiment(route: RouteEntry, category: str | None) -> ExperimentEntry | None:
    """The first experiment (by name) of `route` whose category matches, if any."""
    for entry in route.experiments:
        if entry.experiment.category is None or entry.experiment.category == category:
            return entry
    return None


class Assignment(NamedTuple):
    """The experiment a request fell into; `model` is None when its variant was skipped."""

    experiment: str
    variant: str
    model: ModelEntry | None
    note: str


def experiment_assignment(
    index: RoutingIndex,
    entry: RouteEntry,
    limits: Limits,
    category: str | None,
    *,
    user: str | None,
    request_id: str,
) -> Assignment | None:
    """The request's experiment variant, if an experiment applies; skipped if ineligible."""
    found = applicable_experiment(entry, category)
    if found is None:
        return None
    chosen = assign_variant(found, assignment_key(found, user, request_id))
    model = index.models[chosen.model]
    name = found.experiment.name
    why = refusal(index, entry.route, model, limits)
    if why is not None:
        note = f"experiment {name} skipped: variant {chosen.name} ({model.name}) {why}"
        return Assignment(name, chosen.name, None, note)
    note = f"experiment {name}: variant {chosen.name} routes to {model.name}"
    return Assignment(name, chosen.name, model, note)
