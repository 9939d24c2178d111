"""Finding a RoutingPolicy and the objects it references among loaded manifests, and compiling
it: what `tierroute compile`, `explain`, `diff` and the gateway's `--manifests` share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.api.manifests import Manifests, load_manifests
from tierroute_operator.compile import CompileResult, compile_policy
from tierroute_operator.learned_router_source import (
    LearnedRouterSourceError,
    ResolvedLearnedRouter,
    config_map_data,
    read_learned_router,
)


class ResolveError(ValueError):
    """The manifests do not hold a policy and what it references; the message says which."""


def resolve_policy(
    manifests: Manifests, policy_name: str | None
) -> tuple[ModelCatalog, RoutingPolicy, BudgetAllocation | None]:
    """The named policy (or the only one) with its catalog and budget from `manifests`."""
    invalid = [problem for problem in manifests.problems if not problem.warning]
    if invalid:
        raise ResolveError("\n".join(str(problem) for problem in invalid))
    policies = [item.resource for item in manifests.of_kind("RoutingPolicy")]
    if policy_name is not None:
        policies = [policy for policy in policies if policy.metadata.name == policy_name]
    if not policies:
        wanted = f"RoutingPolicy {policy_name!r}" if policy_name else "a RoutingPolicy"
        raise ResolveError(f"{wanted} is not in {', '.join(manifests.files) or 'the paths'}")
    if len(policies) > 1:
        names = ", ".join(
            sorted(f"{p.metadata.namespace or 'default'}/{p.metadata.name}" for p in policies)
        )
        raise ResolveError(f"several RoutingPolicies ({names}): choose one with --policy")
    policy = policies[0]
    if not isinstance(policy, RoutingPolicy):
        raise ResolveError(f"{policy.kind} is not a RoutingPolicy")
    namespace = policy.metadata.namespace
    catalog_item = manifests.find("ModelCatalog", policy.spec.catalog_ref.name, namespace)
    if catalog_item is None or not isinstance(catalog_item.resource, ModelCatalog):
        raise ResolveError(
            f"RoutingPolicy {policy.metadata.name}: spec.catalogRef.name: ModelCatalog "
            f"{policy.spec.catalog_ref.name!r} is not in the given files"
        )
    budget = None
    if policy.spec.budget_ref is not None:
        budget_item = manifests.find("BudgetAllocation", policy.spec.budget_ref.name, namespace)
        if budget_item is None or not isinstance(budget_item.resource, BudgetAllocation):
            raise ResolveError(
                f"RoutingPolicy {policy.metadata.name}: spec.budgetRef.name: BudgetAllocation "
                f"{policy.spec.budget_ref.name!r} is not in the given files"
            )
        budget = budget_item.resource
    return catalog_item.resource, policy, budget


def resolve_learned_router(
    manifests: Manifests, policy: RoutingPolicy
) -> ResolvedLearnedRouter | None:
    """The artefact `spec.learnedRouter` names, from a ConfigMap among `manifests` (None when
    the policy has no learned router)."""
    reference = policy.spec.learned_router
    if reference is None:
        return None
    namespace = policy.metadata.namespace
    found = manifests.find_config_map(reference.config_map_ref.name, namespace)
    try:
        return read_learned_router(
            policy,
            namespace or "default",
            config_map_data(found.body) if found is not None else None,
            absent=f"is not in {', '.join(manifests.files) or 'the given files'}",
        )
    except LearnedRouterSourceError as error:
        raise ResolveError(error.message) from error


def compile_manifests(
    paths: Sequence[Path], policy_name: str | None, *, now: datetime
) -> CompileResult:
    """Load manifests from `paths` and compile one policy (raises ResolveError, CompileError,
    ManifestPathError)."""
    manifests = load_manifests(paths)
    catalog, policy, budget = resolve_policy(manifests, policy_name)
    learned_router = resolve_learned_router(manifests, policy)
    return compile_policy(catalog, policy, budget, now=now, learned_router=learned_router)


def compile_manifests_document(paths: Sequence[Path], policy_name: str | None) -> bytes:
    """The routing table JSON of one policy under `paths`, compiled now: the gateway's
    `--manifests` compiler (entry point `tierroute.manifest_compilers`). Raises ValueError."""
    return compile_manifests(paths, policy_name, now=datetime.now(UTC)).document
