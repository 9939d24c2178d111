"""RoutingPolicy: the seed's defaults, references inside the policy, broken policies named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from tierroute_gateway.routing_table import Complexity, ErrorClass, EscalationTrigger, Tier
from tierroute_operator.api import RoutingPolicy
from tierroute_operator.api.validation_errors import describe_validation_error

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MINIMAL: dict[str, Any] = {
    "apiVersion": "tierroute.io/v1alpha1",
    "kind": "RoutingPolicy",
    "metadata": {"name": "minimal"},
    "spec": {"catalogRef": {"name": "default"}, "routes": [{"name": "auto", "category": "x"}]},
}


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        RoutingPolicy.model_validate(document)
    return describe_validation_error(caught.value)


@pytest.fixture
def policy() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / "default-policy.yaml").read_text())
    return document


@pytest.fixture
def minimal() -> dict[str, Any]:
    return copy.deepcopy(MINIMAL)


def test_default_policy_routes_auto_over_the_default_catalog_and_monthly_budget(
    policy: dict[str, Any],
) -> None:
    parsed = RoutingPolicy.model_validate(policy)
    assert parsed.spec.catalog_ref.name == "default"
    assert parsed.spec.budget_ref is not None
    assert parsed.spec.budget_ref.name == "monthly"
    assert parsed.spec.route("auto") is not None


def test_default_policy_declares_the_seeds_fallback_chain(policy: dict[str, Any]) -> None:
    parsed = RoutingPolicy.model_validate(policy)
    chains = parsed.spec.fallback.chains
    steps = [(s.model, s.max_retries, s.timeout) for chain in chains for s in chain.steps]
    assert steps == [
        ("gpt-4o-mini", 2, "10s"),
        ("claude-3-5-haiku", 2, "15s"),
        ("gemini-2-flash", 1, "20s"),
    ]


def test_omitted_sections_take_the_seeds_defaults(minimal: dict[str, Any]) -> None:
    spec = RoutingPolicy.model_validate(minimal).spec
    assert spec.tier_priority.for_complexity(Complexity.HIGH) == (
        Tier.PREMIUM, Tier.STANDARD, Tier.ECONOMY)  # fmt: skip
    assert spec.tier_priority.for_complexity(Complexity.MEDIUM) == (
        Tier.STANDARD, Tier.PREMIUM, Tier.ECONOMY)  # fmt: skip
    assert spec.tier_priority.for_complexity(Complexity.LOW) == (
        Tier.ECONOMY, Tier.STANDARD, Tier.PREMIUM)  # fmt: skip
    classification = spec.classification
    assert classification.complex_patterns is None
    assert classification.simple_patterns is None
    assert classification.high_complexity_context_tokens == 50_000
    assert classification.long_context_tokens == 32_000
    defaults = spec.fallback.defaults
    assert (defaults.max_retries, defaults.timeout) == (2, "30s")
    assert set(defaults.retry_on) == set(ErrorClass)
    assert not spec.quality_gate.enabled
    assert set(spec.quality_gate.escalate_on) == set(EscalationTrigger)
    assert spec.routes[0].strategy.value == "cost-optimized"


def test_an_empty_pattern_list_is_kept_apart_from_an_omitted_one(minimal: dict[str, Any]) -> None:
    minimal["spec"]["classification"] = {"simplePatterns": []}
    classification = RoutingPolicy.model_validate(minimal).spec.classification
    assert classification.simple_patterns == ()
    assert classification.complex_patterns is None


def test_missing_catalog_reference_is_refused(minimal: dict[str, Any]) -> None:
    del minimal["spec"]["catalogRef"]
    assert problems(minimal) == [("spec.catalogRef", "required field is missing")]


def test_a_route_naming_an_undeclared_chain_is_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["routes"][0]["fallbackChain"] = "cascade"
    assert problems(minimal) == [
        ("spec.routes[0].fallbackChain", "'cascade' is not declared in spec.fallback.chains")
    ]


def test_duplicate_route_names_are_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["routes"].append({"name": "auto", "category": "y"})
    assert [path for path, _ in problems(minimal)] == ["spec.routes[1].name"]


def test_a_chain_without_steps_is_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["fallback"] = {"chains": [{"name": "empty", "steps": []}]}
    assert [path for path, _ in problems(minimal)] == ["spec.fallback.chains[0].steps"]


def test_malformed_duration_names_the_field(minimal: dict[str, Any]) -> None:
    minimal["spec"]["fallback"] = {"defaults": {"timeout": "30 seconds"}}
    assert [path for path, _ in problems(minimal)] == ["spec.fallback.defaults.timeout"]


def test_unknown_retry_class_is_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["fallback"] = {"defaults": {"retryOn": ["timeout", "bad_request"]}}
    assert [path for path, _ in problems(minimal)] == ["spec.fallback.defaults.retryOn[1]"]


def test_a_regex_that_does_not_compile_names_its_index(minimal: dict[str, Any]) -> None:
    minimal["spec"]["classification"] = {"complexPatterns": [r"\bok\b", r"\b(analyze"]}
    [(path, message)] = problems(minimal)
    assert path == "spec.classification.complexPatterns[1]"
    assert "is not a supported pattern" in message


def test_capability_patterns_are_keyed_by_capability(minimal: dict[str, Any]) -> None:
    minimal["spec"]["classification"] = {"capabilityPatterns": {"telepathy": ["mind"]}}
    [(path, _)] = problems(minimal)
    assert path == "spec.classification.capabilityPatterns.telepathy"


def experiment(*weights: int, route: str | None = None) -> dict[str, Any]:
    variants = [
        {"name": f"v{index}", "model": "gpt-4o-mini", "weight": weight}
        for index, weight in enumerate(weights)
    ]
    return {"name": "test", "variants": variants, **({"route": route} if route else {})}


def test_a_variant_of_weight_zero_is_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["experiments"] = [experiment(50, 0)]
    [(path, message)] = problems(minimal)
    assert path == "spec.experiments[0].variants[1].weight"
    assert "greater than or equal to 1" in message


def test_an_experiment_needs_two_variants(minimal: dict[str, Any]) -> None:
    minimal["spec"]["experiments"] = [experiment(100)]
    assert [path for path, _ in problems(minimal)] == ["spec.experiments[0].variants"]


def test_duplicate_variant_names_are_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["experiments"] = [experiment(50, 50)]
    minimal["spec"]["experiments"][0]["variants"][1]["name"] = "v0"
    assert [path for path, _ in problems(minimal)] == ["spec.experiments[0].variants[1].name"]


def test_an_experiment_on_an_undeclared_route_is_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["experiments"] = [experiment(50, 50, route="chat")]
    assert problems(minimal) == [
        ("spec.experiments[0].route", "'chat' is not declared in spec.routes")
    ]


def test_duplicate_tiers_in_a_priority_are_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["tierPriority"] = {"low": ["economy", "economy"]}
    assert [path for path, _ in problems(minimal)] == ["spec.tierPriority.low[1]"]


def test_a_min_quality_above_one_is_refused(minimal: dict[str, Any]) -> None:
    minimal["spec"]["constraints"] = {"minQuality": "1.5"}
    assert [path for path, _ in problems(minimal)] == ["spec.constraints.minQuality"]
