"""The pure core of the operator: a RoutingPolicy and what it references → what to write.

`reconcile_policy` takes the objects as read (the policy, its catalog and budget from the
indexes, the referenced Secrets, its learned-router ConfigMap, the stored generated objects)
and returns a plan: the ConfigMap and Secret to apply (None when the stored ones are right, or
when the last good table must stay), the status patch, the Events to post, and the failure if
any. It never touches the network or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.api.routing_policy_status import MAX_WARNINGS
from tierroute_operator.compile import CompileError, CompileResult, compile_policy
from tierroute_operator.controller import reasons
from tierroute_operator.controller import status as conditions
from tierroute_operator.controller.credentials import ReferenceProblem, resolve_credentials
from tierroute_operator.controller.entries import (
    BudgetEntry,
    CatalogEntry,
    InvalidObject,
    SecretSnapshot,
    parse_policy,
)
from tierroute_operator.controller.generated import (
    credentials_secret,
    needs_apply,
    routing_config_map,
    stored_hash,
)
from tierroute_operator.controller.learned_router_reference import (
    ConfigMapSnapshot,
    resolve_learned_router,
)
from tierroute_operator.controller.outcomes import EventNote, Failure, transition_events
from tierroute_operator.controller.resources import config_map_name, credentials_secret_name

T = TypeVar("T")


@dataclass(frozen=True)
class PolicyInputs:
    """Everything a RoutingPolicy's reconcile reads."""

    body: Mapping[str, Any]
    catalog: CatalogEntry | None
    budget: BudgetEntry | None
    secrets: Mapping[str, SecretSnapshot]
    config_map: Mapping[str, Any] | None
    credentials: Mapping[str, Any] | None
    now: datetime
    learned_router: ConfigMapSnapshot | None = None
    """The ConfigMap `spec.learnedRouter` names, as read (None: not read)."""

    @property
    def namespace(self) -> str:
        """The policy's namespace."""
        return str(self.body["metadata"]["namespace"])

    @property
    def name(self) -> str:
        """The policy's name."""
        return str(self.body["metadata"]["name"])

    @property
    def generation(self) -> int | None:
        """The policy's `metadata.generation`."""
        value = self.body["metadata"].get("generation")
        return int(value) if value is not None else None

    @property
    def stored_status(self) -> Mapping[str, Any]:
        """The policy's status as read."""
        return self.body.get("status") or {}


@dataclass(frozen=True)
class PolicyPlan:
    """What to write for one RoutingPolicy, in order: Secret, ConfigMap, status, Events."""

    secret: dict[str, Any] | None
    config_map: dict[str, Any] | None
    status: dict[str, Any] | None
    events: tuple[EventNote, ...]
    failure: Failure | None
    table_hash: str | None


@dataclass(frozen=True)
class _Blocked:
    failure: Failure
    conditions: tuple[conditions.DesiredCondition, ...]


@dataclass(frozen=True)
class _Compiled:
    result: CompileResult
    document: str
    table_hash: str
    credentials: Mapping[str, str]
    resolved: str


def reconcile_policy(inputs: PolicyInputs) -> PolicyPlan:
    """The plan that brings the cluster in line with one RoutingPolicy."""
    outcome = _evaluate(inputs)
    if isinstance(outcome, _Blocked):
        return _blocked_plan(inputs, outcome)
    return _compiled_plan(inputs, outcome)


def apply_failed_status(inputs: PolicyInputs, message: str) -> dict[str, Any] | None:
    """The status patch when writing the generated objects failed."""
    failure = Failure(reasons.APPLY_FAILED, message, permanent=False)
    blocked = _Blocked(
        failure,
        (
            conditions.true(
                conditions.REFERENCES_RESOLVED, reasons.RESOLVED, "References resolved."
            ),
            conditions.true(conditions.COMPILED, reasons.COMPILED, "The policy compiles."),
            conditions.false(conditions.READY, failure.reason, failure.message),
        ),
    )
    return _blocked_plan(inputs, blocked).status


def _evaluate(inputs: PolicyInputs) -> _Blocked | _Compiled:
    policy = parse_policy(inputs.body)
    if isinstance(policy, InvalidObject):
        return _spec_invalid(policy)
    problems, catalog, budget = _resolve(inputs, policy)
    if catalog is None or problems:
        return _unresolved(problems)
    credentials = resolve_credentials(catalog, inputs.secrets, inputs.namespace)
    if credentials.problems:
        return _unresolved(list(credentials.problems))
    learned = resolve_learned_router(policy, inputs.learned_router, inputs.namespace)
    if isinstance(learned, ReferenceProblem):
        return _unresolved([learned])
    try:
        result = compile_policy(catalog, policy, budget, now=inputs.now, learned_router=learned)
    except CompileError as error:
        return _compile_failed(error)
    resolved = _resolved_message(catalog, budget, len(credentials.data))
    if learned is not None:
        resolved = resolved.removesuffix(".") + f", learned router {learned.source}."
    return _Compiled(
        result=result,
        document=result.document.decode(),
        table_hash=result.table_hash,
        credentials=credentials.data,
        resolved=resolved,
    )


def _resolve(
    inputs: PolicyInputs, policy: RoutingPolicy
) -> tuple[list[ReferenceProblem], ModelCatalog | None, BudgetAllocation | None]:
    where = f"RoutingPolicy {policy.metadata.name}"
    problems: list[ReferenceProblem] = []
    catalog = _followed(
        inputs.catalog,
        "ModelCatalog",
        name=policy.spec.catalog_ref.name,
        where=f"{where}: spec.catalogRef.name",
        namespace=inputs.namespace,
        problems=problems,
    )
    budget = None
    if policy.spec.budget_ref is not None:
        budget = _followed(
            inputs.budget,
            "BudgetAllocation",
            name=policy.spec.budget_ref.name,
            where=f"{where}: spec.budgetRef.name",
            namespace=inputs.namespace,
            problems=problems,
        )
    return problems, catalog, budget


def _followed(
    entry: T | InvalidObject | None,
    kind: str,
    *,
    name: str,
    where: str,
    namespace: str,
    problems: list[ReferenceProblem],
) -> T | None:
    if entry is None:
        message = f"{where}: {kind} {name!r} not found in namespace {namespace}"
        problems.append(ReferenceProblem(reasons.REFERENCE_NOT_FOUND, message))
        return None
    if isinstance(entry, InvalidObject):
        message = f"{where}: {kind} {name!r} is invalid: {entry.describe()}"
        problems.append(ReferenceProblem(reasons.REFERENCE_INVALID, message))
        return None
    return entry


def _resolved_message(catalog: ModelCatalog, budget: BudgetAllocation | None, keys: int) -> str:
    parts = [f"ModelCatalog {catalog.metadata.name}"]
    if budget is not None:
        parts.append(f"BudgetAllocation {budget.metadata.name}")
    parts.append(f"{keys} provider key{'s' if keys != 1 else ''}")
    return "Resolved " + ", ".join(parts) + "."


def _spec_invalid(policy: InvalidObject) -> _Blocked:
    failure = Failure(reasons.SPEC_INVALID, policy.describe(), permanent=True)
    return _Blocked(
        failure,
        (
            conditions.unknown(
                conditions.REFERENCES_RESOLVED, reasons.SPEC_INVALID, "The spec does not parse."
            ),
            conditions.false(conditions.COMPILED, failure.reason, failure.message),
            conditions.false(conditions.READY, failure.reason, failure.message),
        ),
    )


def _unresolved(problems: Sequence[ReferenceProblem]) -> _Blocked:
    message = "; ".join(problem.message for problem in problems)
    failure = Failure(problems[0].reason, message, permanent=False)
    return _Blocked(
        failure,
        (
            conditions.false(conditions.REFERENCES_RESOLVED, failure.reason, message),
            conditions.unknown(
                conditions.COMPILED,
                reasons.REFERENCES_UNRESOLVED,
                "Not compiled: a reference cannot be followed.",
            ),
            conditions.false(conditions.READY, failure.reason, message),
        ),
    )


def _compile_failed(error: CompileError) -> _Blocked:
    message = "; ".join(str(problem) for problem in error.problems)
    failure = Failure(reasons.COMPILE_FAILED, message, permanent=True)
    return _Blocked(
        failure,
        (
            conditions.true(
                conditions.REFERENCES_RESOLVED, reasons.RESOLVED, "References resolved."
            ),
            conditions.false(conditions.COMPILED, failure.reason, message),
            conditions.false(conditions.READY, failure.reason, message),
        ),
    )


def _blocked_plan(inputs: PolicyInputs, blocked: _Blocked) -> PolicyPlan:
    """Keep the last good table; say why in the conditions; warn once per new problem."""
    stored = inputs.stored_status
    desired = {
        "observedGeneration": inputs.generation,
        "conditions": conditions.merge_conditions(
            stored.get("conditions") or (),
            blocked.conditions,
            generation=inputs.generation,
            now=inputs.now,
        ),
    }
    failure = blocked.failure
    events = transition_events(
        conditions.condition_of(stored, conditions.READY),
        ready=False,
        reason=failure.reason,
        message=conditions.shorten(failure.message),
    )
    return PolicyPlan(
        secret=None,
        config_map=None,
        status=conditions.status_patch(stored, desired),
        events=events,
        failure=failure,
        table_hash=None,
    )


def _compiled_plan(inputs: PolicyInputs, compiled: _Compiled) -> PolicyPlan:
    uid = str(inputs.body["metadata"]["uid"])
    table = compiled.result.table
    config_map = routing_config_map(
        inputs.name, inputs.namespace, uid, compiled.document, compiled.table_hash
    )
    secret = credentials_secret(
        inputs.name, inputs.namespace, uid, compiled.credentials, compiled.table_hash
    )
    counts = f"{len(table.models)} models, {len(table.routes)} routes"
    if table.learned_router is not None:
        counts += f", learned router {table.learned_router.artefact_hash}"
    desired_conditions = (
        conditions.true(conditions.REFERENCES_RESOLVED, reasons.RESOLVED, compiled.resolved),
        conditions.true(conditions.COMPILED, reasons.COMPILED, f"Compiled: {counts}."),
        conditions.true(
            conditions.READY,
            reasons.APPLIED,
            f"ConfigMap {config_map_name(inputs.name)} holds {compiled.table_hash}.",
        ),
    )
    stored = inputs.stored_status
    desired = {
        "observedGeneration": inputs.generation,
        "conditions": conditions.merge_conditions(
            stored.get("conditions") or (),
            desired_conditions,
            generation=inputs.generation,
            now=inputs.now,
        ),
        "configMap": config_map_name(inputs.name),
        "hash": compiled.table_hash,
        "shortHash": compiled.table_hash.removeprefix("sha256:")[:12],
        "models": len(table.models),
        "routes": len(table.routes),
        "chains": len(table.fallback.chains),
        "warnings": [
            conditions.shorten(warning, conditions.MAX_WARNING_CHARACTERS)
            for warning in compiled.result.warnings[:MAX_WARNINGS]
        ],
    }
    write_config_map = needs_apply(inputs.config_map, config_map)
    write_secret = needs_apply(inputs.credentials, secret)
    return PolicyPlan(
        secret=secret if write_secret else None,
        config_map=config_map if write_config_map else None,
        status=conditions.status_patch(stored, desired),
        events=_success_events(inputs, compiled, write_config_map, write_secret, counts),
        failure=None,
        table_hash=compiled.table_hash,
    )


def _success_events(
    inputs: PolicyInputs,
    compiled: _Compiled,
    write_config_map: bool,
    write_secret: bool,
    counts: str,
) -> tuple[EventNote, ...]:
    events = []
    config_map = config_map_name(inputs.name)
    previous = stored_hash(inputs.config_map) or inputs.stored_status.get("hash")
    if write_config_map and previous != compiled.table_hash:
        was = f" (was {previous})" if previous else ""
        events.append(
            EventNote(
                "Normal",
                reasons.TABLE_UPDATED,
                f"ConfigMap {config_map} now holds {compiled.table_hash}{was}: {counts}.",
            )
        )
    elif write_config_map:
        events.append(
            EventNote(
                "Normal",
                reasons.TABLE_RESTORED,
                f"ConfigMap {config_map} was missing or changed; restored {compiled.table_hash}.",
            )
        )
    if write_secret and not write_config_map:
        providers = ", ".join(sorted(compiled.credentials)) or "none"
        events.append(
            EventNote(
                "Normal",
                reasons.CREDENTIALS_UPDATED,
                f"Secret {credentials_secret_name(inputs.name)} updated (providers: {providers}).",
            )
        )
    ready_before = conditions.condition_of(inputs.stored_status, conditions.READY)
    if ready_before is not None and ready_before.get("status") == "False":
        events.append(
            EventNote(
                "Normal",
                reasons.RECOVERED,
                f"Ready again after {ready_before.get('reason')}: ConfigMap {config_map} holds "
                f"{compiled.table_hash}.",
            )
        )
    return tuple(events)
