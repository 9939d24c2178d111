"""Reconciling a policy with a learned router: the ConfigMap as read → what to write, and why
not. Whatever goes wrong with the artefact, the last good table stays."""

from __future__ import annotations

import base64
import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tests.unit.operator.learned_artefacts import artefact, config_map, with_learned_route
from tierroute_gateway.learned_router import LearnedRouter
from tierroute_gateway.learned_router.artefact import artefact_hash
from tierroute_gateway.routing_table import load_routing_table
from tierroute_operator.controller.entries import (
    SecretSnapshot,
    SecretState,
    parse_budget,
    parse_catalog,
)
from tierroute_operator.controller.learned_router_reference import (
    ConfigMapSnapshot,
    ConfigMapState,
)
from tierroute_operator.controller.reconcile import PolicyInputs, PolicyPlan, reconcile_policy

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NAMESPACE = "team-a"
PINNED = artefact(value=0.1)


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    document["metadata"] |= {"namespace": NAMESPACE, "uid": f"uid-{name}", "generation": 1,
                             "resourceVersion": "1"}  # fmt: skip
    return document


def present(router: LearnedRouter | str, **options: str) -> ConfigMapSnapshot:
    return ConfigMapSnapshot(ConfigMapState.PRESENT, config_map(router, **options))


def inputs(snapshot: ConfigMapSnapshot | None = None) -> PolicyInputs:
    keys = {"openai": "o", "anthropic": "a", "google": "g", "mistral": "m"}
    secret = {name: base64.b64encode(value.encode()).decode() for name, value in keys.items()}
    return PolicyInputs(
        body=with_learned_route(example("default-policy.yaml"), PINNED),
        catalog=parse_catalog(example("seed-catalog.yaml")),
        budget=parse_budget(example("monthly-budget.yaml")),
        secrets={"llm-provider-keys": SecretSnapshot(SecretState.PRESENT, secret, "7")},
        config_map=None,
        credentials=None,
        now=NOW,
        learned_router=snapshot if snapshot is not None else present(PINNED),
    )


def stored_after(before: PolicyInputs, plan: PolicyPlan) -> PolicyInputs:
    body = copy.deepcopy(dict(before.body))
    body["status"] = {**(body.get("status") or {}), **(plan.status or {})}
    return replace(
        before,
        body=body,
        config_map=plan.config_map or before.config_map,
        credentials=plan.secret or before.credentials,
        now=before.now + timedelta(seconds=30),
    )


def condition(plan: PolicyPlan, kind: str = "Ready") -> dict[str, Any]:
    assert plan.status is not None
    return next(item for item in plan.status["conditions"] if item["type"] == kind)


def good() -> PolicyInputs:
    first = inputs()
    return stored_after(first, reconcile_policy(first))


def test_the_pinned_artefact_lands_in_the_table_and_the_conditions_say_where_from() -> None:
    plan = reconcile_policy(inputs())
    assert plan.failure is None
    assert plan.config_map is not None
    table = load_routing_table(plan.config_map["data"]["routing.json"])
    assert table.learned_router is not None
    assert table.learned_router.artefact_hash == artefact_hash(PINNED)
    source = f"configmap {NAMESPACE}/router-v1 router.json"
    assert source in condition(plan, "ReferencesResolved")["message"]
    assert artefact_hash(PINNED) in condition(plan, "Compiled")["message"]


def _blocked(snapshot: ConfigMapSnapshot | None, reason: str) -> tuple[PolicyPlan, str]:
    """Reconcile a working policy against `snapshot`: the table stays, Ready says `reason`."""
    before = good()
    plan = reconcile_policy(replace(before, learned_router=snapshot))
    assert plan.config_map is None
    assert plan.secret is None
    assert plan.status is not None
    assert "hash" not in plan.status  # status.hash keeps naming the table still served
    assert plan.failure is not None
    assert plan.failure.reason == reason
    ready = condition(plan)
    assert (ready["status"], ready["reason"]) == ("False", reason)
    assert [(event.type, event.reason) for event in plan.events] == [("Warning", reason)]
    return plan, ready["message"]


def test_a_missing_configmap_names_it_and_its_key_and_is_retried() -> None:
    plan, message = _blocked(ConfigMapSnapshot(ConfigMapState.ABSENT), "ReferenceNotFound")
    assert plan.failure is not None
    assert not plan.failure.permanent
    assert "spec.learnedRouter.configMapRef.name" in message
    assert "ConfigMap 'router-v1'" in message
    assert "'router.json'" in message
    assert NAMESPACE in message


def test_a_missing_key_names_the_key() -> None:
    _, message = _blocked(present(PINNED, key="other.json"), "ReferenceNotFound")
    assert "spec.learnedRouter.configMapRef.key" in message
    assert "no key 'router.json'" in message


def test_an_invalid_artefact_is_reported_without_its_content() -> None:
    _, message = _blocked(present('{"schemaVersion": 1, "weights": "x"}'), "ReferenceInvalid")
    assert "ConfigMap 'router-v1' key 'router.json'" in message
    assert artefact_hash(PINNED) in message
    assert '"weights"' not in message


def test_a_changed_artefact_under_the_same_pin_names_both_hashes_and_waits() -> None:
    changed = artefact(value=0.7)
    plan, message = _blocked(present(changed), "CompileFailed")
    assert plan.failure is not None
    assert plan.failure.permanent
    assert "spec.learnedRouter.sha256" in message
    assert f"configmap {NAMESPACE}/router-v1 router.json" in message
    assert artefact_hash(PINNED) in message
    assert artefact_hash(changed) in message


def test_a_configmap_the_operator_may_not_read_says_so() -> None:
    _, message = _blocked(ConfigMapSnapshot(ConfigMapState.FORBIDDEN), "ReferenceForbidden")
    assert "ConfigMap 'router-v1'" in message


def test_a_configmap_not_read_yet_is_pending() -> None:
    _blocked(None, "ReferencePending")


def test_putting_the_pinned_artefact_back_recovers() -> None:
    broken = replace(good(), learned_router=present(artefact(value=0.7)))
    after = stored_after(broken, reconcile_policy(broken))
    plan = reconcile_policy(replace(after, learned_router=present(PINNED)))
    assert plan.failure is None
    assert plan.config_map is None  # the stored table already is the pinned one
    assert condition(plan)["status"] == "True"
    assert "Recovered" in [event.reason for event in plan.events]
