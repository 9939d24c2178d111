"""The operator's pure core: a RoutingPolicy and what it references → what to write."""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tierroute_gateway.routing_table import content_hash, load_routing_table
from tierroute_operator.api import ModelCatalog
from tierroute_operator.compile import compile_policy
from tierroute_operator.controller.entries import (
    SecretSnapshot,
    SecretState,
    parse_budget,
    parse_catalog,
    parse_policy,
)
from tierroute_operator.controller.reconcile import PolicyInputs, PolicyPlan, reconcile_policy

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NAMESPACE = "team-a"
KEYS = {"openai": "key-o", "anthropic": "key-a", "google": "key-g", "mistral": "key-m"}


def example(name: str) -> dict[str, Any]:
    """An example manifest as the API server would return it."""
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    document["metadata"] |= {
        "namespace": NAMESPACE,
        "uid": f"uid-{name}",
        "generation": 1,
        "resourceVersion": "1",
    }
    return document


def source_secret(keys: Mapping[str, str] = KEYS) -> SecretSnapshot:
    data = {name: base64.b64encode(value.encode()).decode() for name, value in keys.items()}
    return SecretSnapshot(SecretState.PRESENT, data, "7")


def inputs(**changes: Any) -> PolicyInputs:
    """The example policy with its catalog, budget and Secret, nothing generated yet."""
    base = PolicyInputs(
        body=example("default-policy.yaml"),
        catalog=parse_catalog(example("seed-catalog.yaml")),
        budget=parse_budget(example("monthly-budget.yaml")),
        secrets={"llm-provider-keys": source_secret()},
        config_map=None,
        credentials=None,
        now=NOW,
    )
    return replace(base, **changes)


def stored_after(
    before: PolicyInputs, plan: PolicyPlan, later: timedelta = timedelta(0)
) -> PolicyInputs:
    """The inputs of the next reconcile once `plan` was written."""
    body = copy.deepcopy(dict(before.body))
    body["status"] = {**(body.get("status") or {}), **(plan.status or {})}
    return replace(
        before,
        body=body,
        config_map=plan.config_map or before.config_map,
        credentials=plan.secret or before.credentials,
        now=before.now + later,
    )


def ready(plan: PolicyPlan) -> dict[str, Any]:
    assert plan.status is not None
    return next(item for item in plan.status["conditions"] if item["type"] == "Ready")


def test_first_reconcile_writes_secret_configmap_and_ready_status() -> None:
    plan = reconcile_policy(inputs())
    assert plan.failure is None
    assert plan.config_map is not None
    assert plan.secret is not None
    table = load_routing_table(plan.config_map["data"]["routing.json"])
    assert content_hash(table) == plan.table_hash
    assert plan.config_map["metadata"]["annotations"]["tierroute.io/hash"] == plan.table_hash
    assert plan.config_map["metadata"]["ownerReferences"][0]["uid"] == "uid-default-policy.yaml"
    assert plan.secret["data"] == source_secret().data
    assert plan.status is not None
    assert plan.status["hash"] == plan.table_hash
    assert plan.status["observedGeneration"] == 1
    assert ready(plan)["status"] == "True"
    assert [event.reason for event in plan.events] == ["RoutingTableUpdated"]


def test_table_is_the_compilers() -> None:
    first = inputs()
    plan = reconcile_policy(first)
    policy, catalog, budget = parse_policy(first.body), first.catalog, first.budget
    compiled = compile_policy(catalog, policy, budget, now=NOW)  # type: ignore[arg-type]
    assert plan.table_hash == content_hash(compiled.table)


def test_reconcile_of_an_unchanged_cluster_writes_nothing() -> None:
    first = inputs()
    second = stored_after(first, reconcile_policy(first), later=timedelta(minutes=5))
    plan = reconcile_policy(second)
    assert (plan.config_map, plan.secret, plan.status, plan.events) == (None, None, None, ())


def test_missing_catalog_keeps_the_table_and_names_the_field() -> None:
    good = stored_after(inputs(), reconcile_policy(inputs()))
    plan = reconcile_policy(replace(good, catalog=None))
    assert plan.config_map is None
    assert plan.secret is None
    assert plan.failure is not None
    assert plan.failure.reason == "ReferenceNotFound"
    assert not plan.failure.permanent
    assert "spec.catalogRef.name" in ready(plan)["message"]
    assert plan.status is not None
    assert "hash" not in plan.status  # the last good table's hash stays
    assert [(event.type, event.reason) for event in plan.events] == [
        ("Warning", "ReferenceNotFound")
    ]


def test_a_repeated_failure_warns_once() -> None:
    good = stored_after(inputs(), reconcile_policy(inputs()))
    broken = replace(good, catalog=None)
    again = stored_after(broken, reconcile_policy(broken), later=timedelta(seconds=30))
    plan = reconcile_policy(again)
    assert plan.events == ()
    assert plan.status is None


def test_invalid_catalog_is_a_reference_problem() -> None:
    bad = example("seed-catalog.yaml")
    bad["spec"]["models"][0]["provider"] = "nobody"
    plan = reconcile_policy(inputs(catalog=parse_catalog(bad)))
    assert plan.failure is not None
    assert plan.failure.reason == "ReferenceInvalid"
    assert "spec.models[0].provider" in plan.failure.message


def test_uncompilable_spec_fails_permanently_naming_the_field() -> None:
    body = example("default-policy.yaml")
    body["spec"]["fallback"]["chains"][0]["steps"][0]["model"] = "no-such-model"
    plan = reconcile_policy(inputs(body=body))
    assert plan.failure is not None
    assert plan.failure.reason == "CompileFailed"
    assert plan.failure.permanent
    assert "spec.fallback.chains[0].steps[0].model" in ready(plan)["message"]
    assert plan.config_map is None


def test_spec_the_models_refuse_is_spec_invalid() -> None:
    body = example("default-policy.yaml")
    body["spec"]["routes"][0]["strategy"] = "cheapest-ever"
    plan = reconcile_policy(inputs(body=body))
    assert plan.failure is not None
    assert plan.failure.reason == "SpecInvalid"
    assert "spec.routes[0].strategy" in plan.failure.message


@pytest.mark.parametrize(
    ("snapshot", "reason", "field"),
    [
        (SecretSnapshot(SecretState.ABSENT), "ReferenceNotFound", "secretRef.name"),
        (SecretSnapshot(SecretState.FORBIDDEN), "ReferenceForbidden", "secretRef.name"),
        (source_secret({"openai": "x"}), "ReferenceNotFound", "secretRef.key"),
    ],
)
def test_unreadable_credentials_keep_the_table(
    snapshot: SecretSnapshot, reason: str, field: str
) -> None:
    plan = reconcile_policy(inputs(secrets={"llm-provider-keys": snapshot}))
    assert plan.failure is not None
    assert plan.failure.reason == reason
    assert f"spec.providers[1].credentials.{field}" in plan.failure.message
    assert plan.config_map is None


def test_no_key_value_appears_in_status_or_events() -> None:
    for case in (inputs(), inputs(secrets={"llm-provider-keys": source_secret({"openai": "x"})})):
        plan = reconcile_policy(case)
        text = repr(plan.status) + repr(plan.events)
        assert all(value not in text for value in KEYS.values())
        encoded = source_secret().data.values()
        assert all(value not in text for value in encoded)


def test_edited_configmap_is_restored_and_said_so() -> None:
    good = stored_after(inputs(), reconcile_policy(inputs()))
    edited = copy.deepcopy(good.config_map)
    assert edited is not None
    edited["data"]["routing.json"] = "{}"
    plan = reconcile_policy(replace(good, config_map=edited))
    assert plan.config_map == good.config_map
    assert [event.reason for event in plan.events] == ["RoutingTableRestored"]
    assert plan.status is None


def test_rotated_key_rewrites_only_the_secret() -> None:
    good = stored_after(inputs(), reconcile_policy(inputs()))
    rotated = {"llm-provider-keys": source_secret({**KEYS, "openai": "new"})}
    plan = reconcile_policy(replace(good, secrets=rotated))
    assert plan.config_map is None
    assert plan.secret is not None
    assert [event.reason for event in plan.events] == ["CredentialsUpdated"]


def test_fixing_a_problem_reports_recovery() -> None:
    good = stored_after(inputs(), reconcile_policy(inputs()))
    broken = stored_after(
        replace(good, catalog=None), reconcile_policy(replace(good, catalog=None))
    )
    plan = reconcile_policy(replace(broken, catalog=good.catalog))
    assert ready(plan)["status"] == "True"
    assert [event.reason for event in plan.events] == ["Recovered"]
    assert plan.config_map is None  # the same table is still in place


@settings(max_examples=30, deadline=None)
@given(st.decimals(min_value="0.01", max_value="99", places=2).map(str))
def test_any_price_change_changes_the_hash_and_rewrites_the_table(price: str) -> None:
    good = stored_after(inputs(), reconcile_policy(inputs()))
    catalog = example("seed-catalog.yaml")
    original = catalog["spec"]["models"][0]["pricing"]["inputPerMillion"]
    catalog["spec"]["models"][0]["pricing"]["inputPerMillion"] = price
    plan = reconcile_policy(replace(good, catalog=parse_catalog(catalog)))
    assert (plan.table_hash != good.body["status"]["hash"]) == (price != original)
    assert (plan.config_map is not None) == (price != original)
    assert reconcile_policy(replace(good, catalog=parse_catalog(catalog))) == plan


def test_a_policy_preferring_measured_quality_routes_on_published_figures() -> None:
    catalog = example("seed-catalog.yaml")
    target = catalog["spec"]["models"][0]["name"]
    catalog["status"] = {"models": [{"name": target, "measuredQuality": "0.11"}]}
    policy = example("default-policy.yaml")
    policy["spec"]["qualitySource"] = "measured"
    plan = reconcile_policy(inputs(body=policy, catalog=parse_catalog(catalog)))
    assert plan.config_map is not None
    table = load_routing_table(plan.config_map["data"]["routing.json"])
    assert {model.name: model.quality for model in table.models}[target] == "0.11"


def test_an_unparsable_catalog_status_does_not_invalidate_the_catalog() -> None:
    catalog = example("seed-catalog.yaml")
    catalog["status"] = {"models": [{"name": "x", "measuredQuality": "not a score"}]}
    assert isinstance(parse_catalog(catalog), ModelCatalog)
