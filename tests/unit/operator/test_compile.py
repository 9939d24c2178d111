"""The compiler: examples compile, references are checked, problems name object and field."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tierroute_gateway.routing_table import canonical_json, content_hash, load_routing_table
from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.compile import CompileError, compile_policy

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return document


@pytest.fixture
def catalog_doc() -> dict[str, Any]:
    return _example("seed-catalog.yaml")


@pytest.fixture
def policy_doc() -> dict[str, Any]:
    return _example("default-policy.yaml")


@pytest.fixture
def budget_doc() -> dict[str, Any]:
    return _example("monthly-budget.yaml")


def _compile(catalog: dict[str, Any], policy: dict[str, Any], budget: dict[str, Any] | None) -> Any:
    return compile_policy(
        ModelCatalog.model_validate(catalog),
        RoutingPolicy.model_validate(policy),
        BudgetAllocation.model_validate(budget) if budget is not None else None,
        now=NOW,
    )


def _problems(error: pytest.ExceptionInfo[CompileError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


def test_examples_compile_into_a_table_the_gateway_loads(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    result = _compile(catalog_doc, policy_doc, budget_doc)
    loaded = load_routing_table(canonical_json(result.table))
    assert loaded == result.table
    assert content_hash(loaded) == content_hash(result.table)
    assert {model.name for model in loaded.models} == {
        model["name"] for model in catalog_doc["spec"]["models"]
    }
    assert [route.name for route in loaded.routes] == sorted(
        route["name"] for route in policy_doc["spec"]["routes"]
    )


def test_cache_read_and_write_prices_reach_the_table_and_absent_ones_stay_absent(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    models = catalog_doc["spec"]["models"]
    priced = next(model for model in models if model["provider"] == "anthropic")
    priced["pricing"]["cachedInputPerMillion"] = "0.30"
    priced["pricing"]["cacheWriteInputPerMillion"] = "3.75"
    table = _compile(catalog_doc, policy_doc, budget_doc).table
    by_name = {model.name: model.pricing for model in table.models}
    pricing = by_name[priced["name"]]
    assert (pricing.cached_input_per_million, pricing.cache_write_input_per_million) == (
        "0.30",
        "3.75",
    )
    others = [name for name in by_name if name != priced["name"]]
    assert all(by_name[name].cache_write_input_per_million is None for name in others)
    assert b"cacheWriteInputPerMillion" in canonical_json(table)


def test_budget_snapshot_splits_the_amount_by_percent(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    table = _compile(catalog_doc, policy_doc, budget_doc).table
    assert table.budget is not None
    amount = Decimal(budget_doc["spec"]["amount"])
    expected = {c["name"]: amount * c["percent"] / 100 for c in budget_doc["spec"]["categories"]}
    assert {c.name: Decimal(c.allocated) for c in table.budget.categories} == expected
    assert table.budget.period_start == "2026-11-01T00:00:00Z"
    assert table.budget.period_end == "2026-12-01T00:00:00Z"


def test_chain_step_to_unknown_model_names_object_and_field(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    policy_doc["spec"]["fallback"]["chains"][0]["steps"][1]["model"] = "gpt-5"
    with pytest.raises(CompileError) as error:
        _compile(catalog_doc, policy_doc, budget_doc)
    assert _problems(error) == [
        "RoutingPolicy default: spec.fallback.chains[0].steps[1].model: "
        "'gpt-5' is not in ModelCatalog default"
    ]


def test_missing_budget_is_a_problem_of_the_budget_ref(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any]
) -> None:
    with pytest.raises(CompileError) as error:
        _compile(catalog_doc, policy_doc, None)
    assert _problems(error) == [
        "RoutingPolicy default: spec.budgetRef.name: BudgetAllocation 'monthly' not found"
    ]


def test_chain_that_repeats_a_model_would_loop(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    steps = policy_doc["spec"]["fallback"]["chains"][0]["steps"]
    steps.append({"model": steps[0]["model"]})
    with pytest.raises(CompileError) as error:
        _compile(catalog_doc, policy_doc, budget_doc)
    [problem] = _problems(error)
    assert problem.startswith(
        f"RoutingPolicy default: spec.fallback.chains[0].steps[{len(steps) - 1}].model:"
    )
    assert "loop" in problem


def test_route_category_must_exist_in_the_budget(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    policy_doc["spec"]["routes"][0]["category"] = "marketing"
    with pytest.raises(CompileError) as error:
        _compile(catalog_doc, policy_doc, budget_doc)
    [problem] = _problems(error)
    assert problem.startswith("RoutingPolicy default: spec.routes[0].category: 'marketing'")


def test_route_without_a_model_for_some_complexity_is_refused(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    premium = [m["name"] for m in catalog_doc["spec"]["models"] if m["tier"] == "premium"]
    policy_doc["spec"]["routes"][0]["allowModels"] = premium
    policy_doc["spec"]["tierPriority"] = {"low": ["economy"]}
    with pytest.raises(CompileError) as error:
        _compile(catalog_doc, policy_doc, budget_doc)
    [problem] = _problems(error)
    assert problem.startswith("RoutingPolicy default: spec.routes[0]: route 'auto'")
    assert "low complexity" in problem


def test_default_model_turns_an_unreachable_route_into_a_warning(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    premium = [m["name"] for m in catalog_doc["spec"]["models"] if m["tier"] == "premium"]
    policy_doc["spec"]["routes"][0]["allowModels"] = premium
    policy_doc["spec"]["tierPriority"] = {"low": ["economy"]}
    policy_doc["spec"]["fallback"]["defaultModel"] = premium[0]
    result = _compile(catalog_doc, policy_doc, budget_doc)
    assert any("route 'auto'" in warning for warning in result.warnings)


def test_provider_without_credentials_is_a_warning(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    bare = [p["name"] for p in catalog_doc["spec"]["providers"] if "credentials" not in p]
    result = _compile(catalog_doc, policy_doc, budget_doc)
    for name in bare:
        assert any(f"provider {name!r} has no credentials" in w for w in result.warnings)


def test_disabled_model_leaves_the_table_and_its_chain_steps(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    step_model = policy_doc["spec"]["fallback"]["chains"][0]["steps"][1]["model"]
    for model in catalog_doc["spec"]["models"]:
        if model["name"] == step_model:
            model["disabled"] = True
    result = _compile(catalog_doc, policy_doc, budget_doc)
    assert step_model not in {model.name for model in result.table.models}
    steps = [step.model for step in result.table.fallback.chains[0].steps]
    assert step_model not in steps
    assert len(steps) == len(policy_doc["spec"]["fallback"]["chains"][0]["steps"]) - 1


def test_no_secret_value_reaches_the_table(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    secrets = yaml.safe_load_all((EXAMPLES / "credentials-secrets.yaml").read_text())
    values = [
        value
        for secret in secrets
        if secret
        for value in {**secret.get("stringData", {}), **secret.get("data", {})}.values()
    ]
    assert values
    document = canonical_json(_compile(catalog_doc, policy_doc, budget_doc).table).decode()
    for value in values:
        assert value not in document


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_hash_is_stable_under_reordering_of_unordered_lists(
    data: st.DataObject,
) -> None:
    catalog_doc = _example("seed-catalog.yaml")
    policy_doc = _example("default-policy.yaml")
    budget_doc = _example("monthly-budget.yaml")
    expected = content_hash(_compile(catalog_doc, policy_doc, budget_doc).table)
    shuffled_catalog = copy.deepcopy(catalog_doc)
    shuffled_policy = copy.deepcopy(policy_doc)
    shuffled_budget = copy.deepcopy(budget_doc)
    for container, key in (
        (shuffled_catalog["spec"], "models"),
        (shuffled_catalog["spec"], "providers"),
        (shuffled_policy["spec"], "routes"),
        (shuffled_policy["spec"], "features"),
        (shuffled_budget["spec"], "categories"),
    ):
        container[key] = data.draw(st.permutations(container[key]))
    for model in shuffled_catalog["spec"]["models"]:
        model["capabilities"] = data.draw(st.permutations(model["capabilities"]))
    result = _compile(shuffled_catalog, shuffled_policy, shuffled_budget)
    assert content_hash(result.table) == expected


def _with_measured_quality(catalog_doc: dict[str, Any], model: str, score: str) -> None:
    catalog_doc["status"] = {
        "models": [{"name": model, "measuredQuality": score, "qualitySource": "benchmark"}]
    }


def test_measured_quality_is_used_when_the_policy_prefers_it(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    target = catalog_doc["spec"]["models"][0]
    declared = Decimal(target["quality"])
    measured = str((declared / 2).quantize(Decimal("0.01")))
    _with_measured_quality(catalog_doc, target["name"], measured)
    policy_doc["spec"]["qualitySource"] = "measured"
    table = _compile(catalog_doc, policy_doc, budget_doc).table
    qualities = {model.name: model.quality for model in table.models}
    assert qualities[target["name"]] == measured
    others = {m["name"]: m["quality"] for m in catalog_doc["spec"]["models"][1:]}
    assert all(qualities[name] == quality for name, quality in others.items())


def test_measured_quality_is_ignored_by_default(
    catalog_doc: dict[str, Any], policy_doc: dict[str, Any], budget_doc: dict[str, Any]
) -> None:
    target = catalog_doc["spec"]["models"][0]
    _with_measured_quality(catalog_doc, target["name"], "0.10")
    table = _compile(catalog_doc, policy_doc, budget_doc).table
    assert {m.name: m.quality for m in table.models}[target["name"]] == target["quality"]
