"""The learned-router part of compilation: the pin, the models it knows, the decision rule.

`learned_routing` checks a resolved artefact against the policy's `spec.learnedRouter` and the
catalog and returns what the routing table carries (`LearnedRouting`), or problems addressed
like every compiler problem. Pure: the artefact was read before (`learned_router_source.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from tierroute_gateway import routing_table as table
from tierroute_gateway.learned_router.artefact import LearnedRouter, artefact_hash
from tierroute_operator.api import ModelCatalog, RoutingPolicy
from tierroute_operator.api.learned_router import DecisionRule, LearnedRouterRef
from tierroute_operator.compile_checks import Problem, label
from tierroute_operator.learned_router_source import ResolvedLearnedRouter

FIELD = "spec.learnedRouter"


@dataclass
class LearnedOutcome:
    """What the table carries (None: nothing) and what the compiler reports."""

    routing: table.LearnedRouting | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def learned_routing(
    catalog: ModelCatalog, policy: RoutingPolicy, resolved: ResolvedLearnedRouter | None
) -> LearnedOutcome:
    """Check the artefact against the pin and the catalog; the table's learned router."""
    reference = policy.spec.learned_router
    outcome = LearnedOutcome()
    if reference is None:
        return outcome
    me = label(policy)
    if resolved is None:
        outcome.errors.append(
            Problem(me, f"{FIELD}.configMapRef", "the learned router artefact was not read")
        )
        return outcome
    actual = artefact_hash(resolved.artefact)
    if actual != reference.sha256:
        outcome.errors.append(
            Problem(
                me,
                f"{FIELD}.sha256",
                f"{resolved.source} holds an artefact hashing to {actual}, not the pinned "
                f"{reference.sha256}: pin the new hash once the artefact is evaluated, or put "
                "the pinned artefact back",
            )
        )
        return outcome
    outcome.warnings += _model_overlap(catalog, policy, resolved, outcome.errors)
    rule, value = _decision_rule(reference, resolved.artefact, me, outcome.errors)
    if outcome.errors or rule is None or value is None:
        return outcome
    if not any(route.strategy is table.Strategy.LEARNED for route in policy.spec.routes):
        outcome.warnings.append(
            str(
                Problem(
                    me,
                    FIELD,
                    "no route has strategy learned: the routing table does not carry the router",
                )
            )
        )
        return outcome
    outcome.routing = table.LearnedRouting(
        artefact_hash=actual,
        source=resolved.source,
        rule=rule.value,
        value=value,
        artefact=resolved.artefact,
    )
    return outcome


def _model_overlap(
    catalog: ModelCatalog,
    policy: RoutingPolicy,
    resolved: ResolvedLearnedRouter,
    errors: list[Problem],
) -> list[str]:
    me, catalog_label = label(policy), label(catalog)
    known = [model.name for model in resolved.artefact.models]
    enabled = sorted(model.name for model in catalog.spec.models if not model.disabled)
    if not set(known) & set(enabled):
        errors.append(
            Problem(
                me,
                FIELD,
                f"the artefact in {resolved.source} knows none of the enabled models of "
                f"{catalog_label} (it knows {', '.join(known)}; the catalog enables "
                f"{', '.join(enabled) or 'none'}): fit it with `--rename OLD=NEW` to use "
                "catalog names",
            )
        )
        return []
    warnings = []
    foreign = [name for name in known if name not in enabled]
    if foreign:
        warnings.append(
            f"{me}: {FIELD}: artefact models not enabled in {catalog_label} are ignored: "
            + ", ".join(foreign)
        )
    unknown = [name for name in enabled if name not in known]
    if unknown:
        warnings.append(
            f"{me}: {FIELD}: models of {catalog_label} the artefact does not know are never "
            "chosen by learned routes: " + ", ".join(unknown)
        )
    return warnings


def _decision_rule(
    reference: LearnedRouterRef, artefact: LearnedRouter, me: str, errors: list[Problem]
) -> tuple[DecisionRule | None, str | None]:
    point = artefact.operating_point
    rule = reference.rule if reference.rule is not None else DecisionRule(point.rule)
    value = reference.value
    if value is None and rule.value != point.rule:
        errors.append(
            Problem(
                me,
                f"{FIELD}.value",
                f"required with rule {rule.value!r}: the artefact's operating point is "
                f"{point.rule!r} {point.value:g}, whose value does not apply",
            )
        )
        return rule, None
    if value is None:
        if not math.isfinite(point.value):
            errors.append(
                Problem(me, f"{FIELD}.value", "the artefact's operating point value is not finite")
            )
            return rule, None
        value = format(Decimal(repr(point.value)), "f")
    if rule is DecisionRule.THRESHOLD and Decimal(value) > 1:
        errors.append(
            Problem(
                me,
                f"{FIELD}.value",
                f"threshold {value} (the artefact's operating point) must lie in [0, 1]",
            )
        )
        return rule, None
    return rule, value
