"""Checks the compiler makes beyond the schema: references between objects, chains that loop,
routes that can never be served, providers without credentials."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from tierroute_gateway.routing_table import Complexity
from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.api.field_types import parse_duration_ms
from tierroute_operator.api.model_catalog import CatalogModel
from tierroute_operator.api.routing_policy import Route


@dataclass(frozen=True)
class Problem:
    """One problem, addressed as `Kind name: field.path: message`."""

    obj: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.obj}: {self.path}: {self.message}"


def label(resource: ModelCatalog | RoutingPolicy | BudgetAllocation) -> str:
    """`Kind name`, the way problems name an object."""
    return f"{resource.kind} {resource.metadata.name}"


def check_references(
    catalog: ModelCatalog, policy: RoutingPolicy, budget: BudgetAllocation | None
) -> tuple[list[Problem], list[str]]:
    """Errors that stop compilation and warnings that do not."""
    errors: list[Problem] = []
    warnings: list[str] = []
    errors += _object_references(catalog, policy, budget)
    if errors:
        return errors, warnings
    model_errors, model_warnings = _model_references(catalog, policy)
    errors += model_errors
    warnings += model_warnings
    errors += _provider_references(catalog, policy)
    errors += _chain_loops(policy)
    errors += _emptied_chains(catalog, policy)
    if budget is not None:
        errors += _categories(policy, budget)
    if not errors:
        reachability = list(_unreachable_routes(catalog, policy))
        if policy.spec.fallback.default_model is None:
            errors += reachability
        else:
            warnings += [
                f"{problem} (spec.fallback.defaultModel serves it)" for problem in reachability
            ]
    warnings += _providers_without_credentials(catalog)
    return errors, warnings


def _object_references(
    catalog: ModelCatalog, policy: RoutingPolicy, budget: BudgetAllocation | None
) -> list[Problem]:
    me = label(policy)
    spec = policy.spec
    problems = []
    if spec.catalog_ref.name != catalog.metadata.name:
        problems.append(
            Problem(
                me,
                "spec.catalogRef.name",
                f"refers to ModelCatalog {spec.catalog_ref.name!r}, not {catalog.metadata.name!r}",
            )
        )
    if spec.budget_ref is not None and budget is None:
        problems.append(
            Problem(
                me,
                "spec.budgetRef.name",
                f"BudgetAllocation {spec.budget_ref.name!r} not found",
            )
        )
    elif (
        spec.budget_ref is not None
        and budget is not None
        and spec.budget_ref.name != budget.metadata.name
    ):
        problems.append(
            Problem(
                me,
                "spec.budgetRef.name",
                f"refers to BudgetAllocation {spec.budget_ref.name!r}, "
                f"not {budget.metadata.name!r}",
            )
        )
    namespaces = {catalog.metadata.namespace, policy.metadata.namespace}
    if budget is not None:
        namespaces.add(budget.metadata.namespace)
    if len(namespaces) > 1:
        problems.append(
            Problem(me, "metadata.namespace", "policy, catalog and budget must share a namespace")
        )
    return problems


def _model_fields(policy: RoutingPolicy) -> Iterator[tuple[str, str, bool]]:
    """Every model reference of a policy: (field path, model name, is a deny list entry)."""
    spec = policy.spec
    for index, route in enumerate(spec.routes):
        for position, name in enumerate(route.allow_models):
            yield f"spec.routes[{index}].allowModels[{position}]", name, False
        for position, name in enumerate(route.deny_models):
            yield f"spec.routes[{index}].denyModels[{position}]", name, True
    for position, name in enumerate(spec.constraints.allow_models):
        yield f"spec.constraints.allowModels[{position}]", name, False
    for position, name in enumerate(spec.constraints.deny_models):
        yield f"spec.constraints.denyModels[{position}]", name, True
    if spec.fallback.default_model is not None:
        yield "spec.fallback.defaultModel", spec.fallback.default_model, False
    for index, chain in enumerate(spec.fallback.chains):
        for position, step in enumerate(chain.steps):
            yield f"spec.fallback.chains[{index}].steps[{position}].model", step.model, False
    for index, experiment in enumerate(spec.experiments):
        for position, variant in enumerate(experiment.variants):
            yield f"spec.experiments[{index}].variants[{position}].model", variant.model, False


def _model_references(
    catalog: ModelCatalog, policy: RoutingPolicy
) -> tuple[list[Problem], list[str]]:
    me, catalog_label = label(policy), label(catalog)
    declared = {model.name: model for model in catalog.spec.models}
    errors, warnings = [], []
    for path, name, deny in _model_fields(policy):
        model = declared.get(name)
        if model is None:
            message = f"{name!r} is not in {catalog_label}"
            if deny:
                warnings.append(str(Problem(me, path, message)))
            else:
                errors.append(Problem(me, path, message))
        elif model.disabled and path == "spec.fallback.defaultModel":
            errors.append(Problem(me, path, f"{name!r} is disabled in {catalog_label}"))
        elif model.disabled and not deny:
            warnings.append(str(Problem(me, path, f"{name!r} is disabled and will be skipped")))
    return errors, warnings


def _provider_references(catalog: ModelCatalog, policy: RoutingPolicy) -> list[Problem]:
    declared = {provider.name for provider in catalog.spec.providers}
    return [
        Problem(
            label(policy),
            f"spec.constraints.preferredProviders[{index}]",
            f"{name!r} is not a provider of {label(catalog)}",
        )
        for index, name in enumerate(policy.spec.constraints.preferred_providers)
        if name not in declared
    ]


def _chain_loops(policy: RoutingPolicy) -> list[Problem]:
    problems = []
    for index, chain in enumerate(policy.spec.fallback.chains):
        first_seen: dict[str, int] = {}
        for position, step in enumerate(chain.steps):
            if step.model in first_seen:
                problems.append(
                    Problem(
                        label(policy),
                        f"spec.fallback.chains[{index}].steps[{position}].model",
                        f"{step.model!r} already is steps[{first_seen[step.model]}]: "
                        "the chain would loop",
                    )
                )
            first_seen.setdefault(step.model, position)
    return problems


def _emptied_chains(catalog: ModelCatalog, policy: RoutingPolicy) -> list[Problem]:
    """Routes whose chain has only disabled models left."""
    disabled = {model.name for model in catalog.spec.models if model.disabled}
    emptied = {
        chain.name
        for chain in policy.spec.fallback.chains
        if all(step.model in disabled for step in chain.steps)
    }
    return [
        Problem(
            label(policy),
            f"spec.routes[{index}].fallbackChain",
            f"every model of chain {route.fallback_chain!r} is disabled in {label(catalog)}",
        )
        for index, route in enumerate(policy.spec.routes)
        if route.fallback_chain in emptied
    ]


def _categories(policy: RoutingPolicy, budget: BudgetAllocation) -> list[Problem]:
    declared = [category.name for category in budget.spec.categories]
    known = f"{label(budget)} ({', '.join(declared)})"
    used = [
        (f"spec.routes[{index}].category", route.category)
        for index, route in enumerate(policy.spec.routes)
    ] + [
        (f"spec.experiments[{index}].category", experiment.category)
        for index, experiment in enumerate(policy.spec.experiments)
        if experiment.category is not None
    ]
    return [
        Problem(label(policy), path, f"{name!r} is not a category of {known}")
        for path, name in used
        if name not in declared
    ]


def _unreachable_routes(catalog: ModelCatalog, policy: RoutingPolicy) -> Iterator[Problem]:
    """A route that no model could serve for some complexity, whatever the request."""
    for index, route in enumerate(policy.spec.routes):
        candidates = _route_candidates(catalog.spec.models, policy, route)
        for complexity in Complexity:
            tiers = policy.spec.tier_priority.for_complexity(complexity)
            if not any(model.tier in tiers for model in candidates):
                yield Problem(
                    label(policy),
                    f"spec.routes[{index}]",
                    f"route {route.name!r} has no eligible model for {complexity.value} "
                    f"complexity: tiers [{', '.join(tiers)}] hold none of the "
                    f"{len(candidates)} models left after the policy's filters",
                )


def _route_candidates(
    models: Iterable[CatalogModel], policy: RoutingPolicy, route: Route
) -> list[CatalogModel]:
    constraints = policy.spec.constraints
    max_latency = (
        parse_duration_ms(constraints.max_latency) if constraints.max_latency is not None else None
    )
    min_quality = Decimal(constraints.min_quality) if constraints.min_quality is not None else None
    allowed = [set(constraints.allow_models), set(route.allow_models)]
    denied = set(constraints.deny_models) | set(route.deny_models)
    providers = set(constraints.preferred_providers)
    return [
        model
        for model in models
        if not model.disabled
        and model.name not in denied
        and all(not allow or model.name in allow for allow in allowed)
        and (not providers or model.provider in providers)
        and (max_latency is None or parse_duration_ms(model.latency) <= max_latency)
        and (min_quality is None or Decimal(model.quality) >= min_quality)
    ]


def _providers_without_credentials(catalog: ModelCatalog) -> list[str]:
    used = {model.provider for model in catalog.spec.models if not model.disabled}
    return [
        str(
            Problem(
                label(catalog),
                f"spec.providers[{index}].credentials",
                f"provider {provider.name!r} has no credentials: requests go without an API key",
            )
        )
        for index, provider in enumerate(catalog.spec.providers)
        if provider.credentials is None and provider.name in used
    ]
