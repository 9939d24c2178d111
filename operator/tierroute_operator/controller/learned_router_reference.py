"""The learned-router ConfigMap a RoutingPolicy references, as read, and what it yields (pure).

The shell GETs the ConfigMap `spec.learnedRouter.configMapRef` names at each reconcile and
hands it over as a `ConfigMapSnapshot`; `resolve_learned_router` turns it into the artefact the
compiler checks, or a `ReferenceProblem` whose reason and message the conditions carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tierroute_operator.api import RoutingPolicy
from tierroute_operator.controller import reasons
from tierroute_operator.controller.credentials import ReferenceProblem
from tierroute_operator.learned_router_source import (
    LearnedRouterSourceError,
    ResolvedLearnedRouter,
    SourceProblem,
    config_map_data,
    read_learned_router,
)


class ConfigMapState(StrEnum):
    """What the GET of a referenced ConfigMap found."""

    PRESENT = "present"
    ABSENT = "absent"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class ConfigMapSnapshot:
    """A referenced ConfigMap as read; `body` (the artefact) is never printed."""

    state: ConfigMapState
    body: Mapping[str, Any] = field(default_factory=dict, repr=False)


def learned_router_config_map(policy_body: Mapping[str, Any]) -> str | None:
    """The ConfigMap name in a policy's `spec.learnedRouter.configMapRef`, read from the raw
    object (the shell reads it before the spec is parsed)."""
    spec = policy_body.get("spec") or {}
    reference = (spec.get("learnedRouter") or {}).get("configMapRef") or {}
    name = reference.get("name")
    return name if isinstance(name, str) and name else None


def resolve_learned_router(
    policy: RoutingPolicy, snapshot: ConfigMapSnapshot | None, namespace: str
) -> ResolvedLearnedRouter | ReferenceProblem | None:
    """The artefact of `spec.learnedRouter` (None when the policy has none), or the problem."""
    reference = policy.spec.learned_router
    if reference is None:
        return None
    name = reference.config_map_ref.name
    where = f"RoutingPolicy {policy.metadata.name}: spec.learnedRouter.configMapRef.name"
    if snapshot is None:
        return ReferenceProblem(
            reasons.REFERENCE_PENDING, f"{where}: ConfigMap {name!r} not read yet"
        )
    if snapshot.state is ConfigMapState.FORBIDDEN:
        return ReferenceProblem(
            reasons.REFERENCE_FORBIDDEN,
            f"{where}: the operator may not read ConfigMap {name!r} in namespace {namespace}: "
            "its Role must allow get on configmaps (deploy/rbac/cluster-role.yaml)",
        )
    present = snapshot.state is ConfigMapState.PRESENT
    try:
        return read_learned_router(
            policy,
            namespace,
            config_map_data(snapshot.body) if present else None,
            absent=f"not found in namespace {namespace}",
        )
    except LearnedRouterSourceError as error:
        reason = (
            reasons.REFERENCE_NOT_FOUND
            if error.problem is SourceProblem.NOT_FOUND
            else reasons.REFERENCE_INVALID
        )
        return ReferenceProblem(reason, error.message)
