"""`tierroute validate PATH...`: offline checks of manifests for pre-merge pipelines.

Each object is validated on its own (the same rules the CRDs give the API server, plus what CEL
cannot check: time zones, regular expressions, durations), then each RoutingPolicy is checked
against the objects it references, when they are among the given files, by running the
compiler on them. A reference to an object that is not in the files is a warning, since it may
exist in the cluster; `--strict` makes it an error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.api.manifests import (
    LoadedObject,
    ManifestPathError,
    Manifests,
    Problem,
    load_manifests,
)
from tierroute_operator.compile import CompileError, compile_policy
from tierroute_operator.learned_router_source import (
    LearnedRouterSourceError,
    ResolvedLearnedRouter,
    config_map_data,
    read_learned_router,
)


@dataclass(frozen=True)
class ValidationReport:
    """The outcome: problems in reading order, and what the exit code should be."""

    problems: tuple[Problem, ...]
    objects: int
    files: int

    @property
    def errors(self) -> int:
        """How many problems fail validation."""
        return sum(1 for problem in self.problems if not problem.warning)

    @property
    def warnings(self) -> int:
        """How many problems are only warnings."""
        return len(self.problems) - self.errors

    @property
    def exit_code(self) -> int:
        """0 when valid, 1 otherwise."""
        return 1 if self.errors else 0

    def summary(self) -> str:
        """One line for humans, such as `2 errors, 1 warning in 4 objects from 3 files`."""
        return (
            f"{_count(self.errors, 'error')}, {_count(self.warnings, 'warning')} in "
            f"{_count(self.objects, 'tierroute object')} from {_count(self.files, 'file')}"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def validate_manifests(manifests: Manifests, *, strict: bool, now: datetime) -> ValidationReport:
    """Check every object and every policy's references; `now` dates the budget period."""
    problems = list(manifests.problems)
    for item in manifests.of_kind("RoutingPolicy"):
        problems += _check_policy(item, manifests, strict=strict, now=now)
    return ValidationReport(
        problems=tuple(dict.fromkeys(problems)),
        objects=len(manifests.objects),
        files=len(manifests.files),
    )


def _check_policy(
    item: LoadedObject, manifests: Manifests, *, strict: bool, now: datetime
) -> list[Problem]:
    policy = item.resource
    if not isinstance(policy, RoutingPolicy):
        return []
    namespace = policy.metadata.namespace
    catalog_name = policy.spec.catalog_ref.name
    catalog = manifests.find("ModelCatalog", catalog_name, namespace)
    problems = []
    if catalog is None:
        problems.append(_missing(item, "ModelCatalog", catalog_name, "spec.catalogRef", strict))
    budget = None
    if policy.spec.budget_ref is not None:
        budget_name = policy.spec.budget_ref.name
        budget = manifests.find("BudgetAllocation", budget_name, namespace)
        if budget is None:
            problems.append(
                _missing(item, "BudgetAllocation", budget_name, "spec.budgetRef", strict)
            )
    learned = _learned_router(item, policy, manifests, strict)
    if isinstance(learned, Problem):
        problems.append(learned)
    if problems or catalog is None or isinstance(learned, Problem):
        return problems
    return _compile(item, policy, catalog, budget, learned, now=now)


def _learned_router(
    item: LoadedObject, policy: RoutingPolicy, manifests: Manifests, strict: bool
) -> ResolvedLearnedRouter | Problem | None:
    """The artefact `spec.learnedRouter` names, or the problem that stops its checks."""
    reference = policy.spec.learned_router
    if reference is None:
        return None
    namespace = policy.metadata.namespace
    found = manifests.find_config_map(reference.config_map_ref.name, namespace)
    if found is None:
        name = reference.config_map_ref.name
        return _missing(item, "ConfigMap", name, "spec.learnedRouter.configMapRef", strict)
    try:
        return read_learned_router(
            policy, namespace or "default", config_map_data(found.body), absent=""
        )
    except LearnedRouterSourceError as error:
        return _attributed(error.message, [item], item, warning=False)


def _missing(item: LoadedObject, kind: str, name: str, field: str, strict: bool) -> Problem:
    return Problem(
        item.file,
        f"{kind} {name!r} is not in the given files"
        + ("" if strict else " (it may exist in the cluster)"),
        object=item.label,
        path=f"{field}.name",
        warning=not strict,
    )


def _compile(
    item: LoadedObject,
    policy: RoutingPolicy,
    catalog: LoadedObject,
    budget: LoadedObject | None,
    learned_router: ResolvedLearnedRouter | None,
    *,
    now: datetime,
) -> list[Problem]:
    """What the compiler says about the policy and the objects it references."""
    involved = [item, catalog, *([budget] if budget is not None else [])]
    catalog_resource = catalog.resource
    budget_resource = budget.resource if budget is not None else None
    if not isinstance(catalog_resource, ModelCatalog) or not (
        budget_resource is None or isinstance(budget_resource, BudgetAllocation)
    ):
        return []
    try:
        result = compile_policy(
            catalog_resource, policy, budget_resource, now=now, learned_router=learned_router
        )
    except CompileError as error:
        return [
            _attributed(str(problem), involved, item, warning=False) for problem in error.problems
        ]
    return [_attributed(text, involved, item, warning=True) for text in result.warnings]


def _attributed(
    text: str, involved: Sequence[LoadedObject], default: LoadedObject, *, warning: bool
) -> Problem:
    """A compiler message (`Kind name: path: message`) as a problem of the object it names."""
    for candidate in involved:
        prefix = f"{candidate.resource.kind} {candidate.resource.metadata.name}: "
        if text.startswith(prefix):
            return Problem(
                candidate.file, text.removeprefix(prefix), object=candidate.label, warning=warning
            )
    return Problem(default.file, text, object=default.label, warning=warning)


def run_validate(paths: Sequence[str], *, strict: bool, now: datetime) -> int:
    """The CLI shell: read, validate, print one line per problem; returns the exit code."""
    try:
        manifests = load_manifests([Path(path) for path in paths])
    except ManifestPathError as error:
        print(f"tierroute validate: error: {error}", file=sys.stderr)
        return 2
    report = validate_manifests(manifests, strict=strict, now=now)
    for problem in report.problems:
        print(problem)
    print(report.summary(), file=sys.stderr)
    return report.exit_code
