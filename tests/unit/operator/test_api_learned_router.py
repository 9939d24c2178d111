"""spec.learnedRouter: the reference to a fitted router, its pin and rule, and learned routes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from tierroute_operator.api import RoutingPolicy
from tierroute_operator.api.learned_router import DEFAULT_KEY, DecisionRule
from tierroute_operator.api.validation_errors import describe_validation_error
from tierroute_operator.crds import KIND_DEFINITIONS, crd_manifest

PIN = "sha256:" + "ab" * 32
MINIMAL: dict[str, Any] = {
    "apiVersion": "tierroute.io/v1alpha1",
    "kind": "RoutingPolicy",
    "metadata": {"name": "learned"},
    "spec": {
        "catalogRef": {"name": "default"},
        "routes": [
            {"name": "batch", "category": "x"},
            {"name": "auto", "category": "x", "strategy": "learned"},
        ],
        "learnedRouter": {"configMapRef": {"name": "router-v1"}, "sha256": PIN},
    },
}


@pytest.fixture
def policy() -> dict[str, Any]:
    return copy.deepcopy(MINIMAL)


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        RoutingPolicy.model_validate(document)
    return describe_validation_error(caught.value)


def test_a_learned_route_with_a_pinned_router_parses_with_defaults(
    policy: dict[str, Any],
) -> None:
    spec = RoutingPolicy.model_validate(policy).spec
    assert spec.learned_router is not None
    assert spec.learned_router.config_map_ref.key == DEFAULT_KEY == "router.json"
    assert spec.learned_router.sha256 == PIN
    assert (spec.learned_router.rule, spec.learned_router.value) == (None, None)


def test_a_learned_route_without_a_learned_router_names_the_route(
    policy: dict[str, Any],
) -> None:
    del policy["spec"]["learnedRouter"]
    [(path, message)] = problems(policy)
    assert path == "spec.routes[1].strategy"
    assert "spec.learnedRouter" in message


def test_the_pin_must_be_a_sha256(policy: dict[str, Any]) -> None:
    policy["spec"]["learnedRouter"]["sha256"] = "ab" * 32
    assert [path for path, _ in problems(policy)] == ["spec.learnedRouter.sha256"]


def test_a_threshold_above_one_is_refused_but_a_large_tradeoff_weight_is_not(
    policy: dict[str, Any],
) -> None:
    policy["spec"]["learnedRouter"] |= {"rule": "threshold", "value": "1.5"}
    [(path, message)] = problems(policy)
    assert path == "spec.learnedRouter.value"
    assert "'1.5'" in message
    policy["spec"]["learnedRouter"]["rule"] = "tradeoff"
    spec = RoutingPolicy.model_validate(policy).spec
    assert spec.learned_router is not None
    assert spec.learned_router.rule is DecisionRule.TRADEOFF


def test_value_is_a_decimal_string(policy: dict[str, Any]) -> None:
    policy["spec"]["learnedRouter"]["value"] = "-0.1"
    assert [path for path, _ in problems(policy)] == ["spec.learnedRouter.value"]


def _rules(schema: dict[str, Any]) -> list[str]:
    return [item["rule"] for item in schema.get("x-kubernetes-validations", ())]


def test_the_crd_carries_the_cel_twins_of_both_rules() -> None:
    definition = next(item for item in KIND_DEFINITIONS if item.kind == "RoutingPolicy")
    version = crd_manifest(definition)["spec"]["versions"][0]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert any("learnedRouter" in rule and "'learned'" in rule for rule in _rules(spec))
    learned = spec["properties"]["learnedRouter"]
    assert any("'threshold'" in rule for rule in _rules(learned))
    assert learned["required"] == ["configMapRef", "sha256"]
    route_strategy = spec["properties"]["routes"]["items"]["properties"]["strategy"]
    assert "learned" in route_strategy["enum"]
