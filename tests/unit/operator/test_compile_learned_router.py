"""Compiling a policy with a learned router: the pin, the models, the rule, the ConfigMap size,
and the offline paths (`tierroute compile`, `validate`) that find the artefact in manifests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.operator.learned_artefacts import artefact, config_map, with_learned_route
from tierroute_gateway.learned_router import LearnedRouter
from tierroute_gateway.learned_router.artefact import artefact_hash, canonical_artefact
from tierroute_gateway.routing_table import content_hash, load_routing_table
from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.api.manifests import load_manifests
from tierroute_operator.compile import (
    CONFIG_MAP_LIMIT_BYTES,
    CompileError,
    CompileResult,
    compile_policy,
)
from tierroute_operator.learned_router_source import ResolvedLearnedRouter
from tierroute_operator.resolve import ResolveError, compile_manifests
from tierroute_operator.validate import validate_manifests

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SOURCE = "configmap team-a/router-v1 router.json"


def _example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return document


def _compile(
    router: LearnedRouter | None, policy: dict[str, Any] | None = None, **choices: str
) -> CompileResult:
    policy = policy or with_learned_route(_example("default-policy.yaml"), router, **choices)
    return compile_policy(
        ModelCatalog.model_validate(_example("seed-catalog.yaml")),
        RoutingPolicy.model_validate(policy),
        BudgetAllocation.model_validate(_example("monthly-budget.yaml")),
        now=NOW,
        learned_router=ResolvedLearnedRouter(router, SOURCE) if router is not None else None,
    )


def _problems(caught: pytest.ExceptionInfo[CompileError]) -> list[tuple[str, str]]:
    return [(problem.path, problem.message) for problem in caught.value.problems]


def test_a_learned_route_carries_the_pinned_artefact_and_its_operating_point() -> None:
    router = artefact(rule="tradeoff", value=1e-05)
    result = _compile(router)
    learned = result.table.learned_router
    assert learned is not None
    assert learned.artefact == router
    assert learned.artefact_hash == artefact_hash(router)
    assert learned.source == SOURCE
    assert (learned.rule, learned.value) == ("tradeoff", "0.00001")
    loaded = load_routing_table(result.document)
    assert loaded == result.table
    assert content_hash(loaded) == result.table_hash


def test_the_policy_rule_and_value_override_the_operating_point() -> None:
    result = _compile(artefact(rule="tradeoff", value=2.0), rule="threshold", value="0.35")
    learned = result.table.learned_router
    assert learned is not None
    assert (learned.rule, learned.value) == ("threshold", "0.35")


def test_a_rule_other_than_the_operating_points_needs_a_value() -> None:
    with pytest.raises(CompileError) as caught:
        _compile(artefact(rule="tradeoff", value=2.0), rule="threshold")
    [(path, message)] = _problems(caught)
    assert path == "spec.learnedRouter.value"
    assert "'tradeoff'" in message


def test_a_threshold_operating_point_above_one_is_refused() -> None:
    with pytest.raises(CompileError) as caught:
        _compile(artefact(rule="threshold", value=1.5))
    assert [path for path, _ in _problems(caught)] == ["spec.learnedRouter.value"]


def test_an_artefact_other_than_the_pinned_one_is_refused_naming_both_hashes() -> None:
    pinned, served = artefact(value=0.1), artefact(value=0.2)
    policy = with_learned_route(_example("default-policy.yaml"), pinned)
    with pytest.raises(CompileError) as caught:
        _compile(served, policy)
    [(path, message)] = _problems(caught)
    assert path == "spec.learnedRouter.sha256"
    assert artefact_hash(pinned) in message
    assert artefact_hash(served) in message
    assert SOURCE in message


def test_an_artefact_that_knows_no_enabled_model_is_refused() -> None:
    with pytest.raises(CompileError) as caught:
        _compile(artefact(("mistralai/mixtral", "gpt-4-1106")))
    [(path, message)] = _problems(caught)
    assert path == "spec.learnedRouter"
    assert "gpt-4-1106" in message
    assert "--rename" in message


def test_models_known_to_only_one_side_are_warned_about() -> None:
    result = _compile(artefact(("gpt-4o", "not-in-the-catalog")))
    learned_warnings = [w for w in result.warnings if "spec.learnedRouter" in w]
    ignored = next(w for w in learned_warnings if "ignored" in w)
    never = next(w for w in learned_warnings if "never chosen" in w)
    assert "not-in-the-catalog" in ignored
    catalog = {m["name"] for m in _example("seed-catalog.yaml")["spec"]["models"]}
    assert all(name in never for name in catalog - {"gpt-4o"})
    assert "gpt-4o," not in never


def test_a_policy_whose_artefact_was_not_read_does_not_compile() -> None:
    policy = with_learned_route(_example("default-policy.yaml"), artefact())
    with pytest.raises(CompileError) as caught:
        _compile(None, policy)
    assert [path for path, _ in _problems(caught)] == ["spec.learnedRouter.configMapRef"]


def test_a_learned_router_no_route_uses_is_checked_but_left_out() -> None:
    router = artefact()
    policy = with_learned_route(_example("default-policy.yaml"), router)
    policy["spec"]["routes"][0]["strategy"] = "cost-optimized"
    result = _compile(router, policy)
    assert result.table.learned_router is None
    assert any("no route has strategy learned" in warning for warning in result.warnings)


def test_an_artefact_too_big_for_a_configmap_fails_with_the_sizes_and_the_fix() -> None:
    router = artefact(extra_buckets=90_000)
    size = len(canonical_artefact(router))
    assert size > CONFIG_MAP_LIMIT_BYTES  # the premise of the test
    with pytest.raises(CompileError) as caught:
        _compile(router)
    [(path, message)] = _problems(caught)
    assert path == "spec.learnedRouter"
    assert f"{size:,}" in message
    assert f"{CONFIG_MAP_LIMIT_BYTES:,}" in message
    assert "fit with fewer buckets" in message


def test_an_artefact_that_fits_compiles_with_the_rest_of_the_table() -> None:
    router = artefact(extra_buckets=40_000)
    result = _compile(router)
    assert len(canonical_artefact(router)) < len(result.document) < CONFIG_MAP_LIMIT_BYTES


# The offline paths: the artefact is a ConfigMap manifest among the files.


def _write(directory: Path, *documents: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for number, document in enumerate(documents):
        (directory / f"{number:02d}.yaml").write_text(yaml.safe_dump(document))
    return directory


def _manifests(tmp_path: Path, router: LearnedRouter, *extra: dict[str, Any]) -> Path:
    policy = with_learned_route(_example("default-policy.yaml"), router)
    catalog, budget = _example("seed-catalog.yaml"), _example("monthly-budget.yaml")
    return _write(tmp_path / "manifests", catalog, policy, budget, *extra)


def test_compile_finds_the_artefact_in_a_configmap_manifest(tmp_path: Path) -> None:
    router = artefact()
    folder = _manifests(tmp_path, router, config_map(router))
    result = compile_manifests([folder], "default", now=NOW)
    learned = result.table.learned_router
    assert learned is not None
    assert learned.artefact == router
    assert learned.source == "configmap default/router-v1 router.json"
    assert result.document == _compile(router).document.replace(
        SOURCE.encode(), learned.source.encode()
    )


def test_compile_reads_an_artefact_kept_as_binary_data(tmp_path: Path) -> None:
    router = artefact()
    binary = config_map(router)
    binary["binaryData"] = {
        "router.json": base64.b64encode(binary.pop("data")["router.json"].encode()).decode()
    }
    result = compile_manifests([_manifests(tmp_path, router, binary)], "default", now=NOW)
    assert result.table.learned_router is not None


def test_a_missing_configmap_names_the_policy_configmap_and_key(tmp_path: Path) -> None:
    router = artefact()
    folder = _manifests(tmp_path, router, config_map(router, name="another"))
    with pytest.raises(ResolveError) as caught:
        compile_manifests([folder], "default", now=NOW)
    message = str(caught.value)
    assert "RoutingPolicy default" in message
    assert "ConfigMap 'router-v1'" in message
    assert "'router.json'" in message


def test_a_missing_key_names_the_keys_there_are(tmp_path: Path) -> None:
    router = artefact()
    folder = _manifests(tmp_path, router, config_map(router, key="model.json"))
    with pytest.raises(ResolveError, match=r"configMapRef\.key: .*no key 'router.json'.*model"):
        compile_manifests([folder], "default", now=NOW)


def test_an_invalid_artefact_is_refused_without_quoting_it(tmp_path: Path) -> None:
    folder = _manifests(tmp_path, artefact(), config_map('{"secret-looking": "content"}'))
    with pytest.raises(ResolveError) as caught:
        compile_manifests([folder], "default", now=NOW)
    assert "does not hold a usable learned router" in str(caught.value)
    assert "secret-looking" not in str(caught.value)


def test_validate_warns_about_an_artefact_outside_the_files_and_refuses_a_wrong_one(
    tmp_path: Path,
) -> None:
    router = artefact()
    absent = validate_manifests(
        load_manifests([_manifests(tmp_path / "a", router)]), strict=False, now=NOW
    )
    assert absent.errors == 0
    assert any("ConfigMap 'router-v1'" in str(problem) for problem in absent.problems)
    strict = validate_manifests(
        load_manifests([_manifests(tmp_path / "a", router)]), strict=True, now=NOW
    )
    assert strict.errors == 1
    other = config_map(artefact(value=0.9))
    wrong = validate_manifests(
        load_manifests([_manifests(tmp_path / "b", router, other)]), strict=False, now=NOW
    )
    assert [problem.path for problem in wrong.problems if not problem.warning] == [None]
    assert any("spec.learnedRouter.sha256" in str(p) for p in wrong.problems if not p.warning)


def test_configmaps_are_read_aside_and_malformed_ones_are_warned_about(tmp_path: Path) -> None:
    router = artefact()
    malformed = config_map(router, name="numbers") | {"data": {"count": 3}}
    folder = _write(tmp_path / "m", config_map(router), malformed, config_map(router))
    manifests = load_manifests([folder])
    assert [item.name for item in manifests.config_maps] == ["router-v1"]
    assert manifests.objects == ()
    assert all(problem.warning for problem in manifests.problems)
    assert {(problem.object, problem.path) for problem in manifests.problems} == {
        ("ConfigMap/numbers", "data"),
        ("ConfigMap/router-v1", "metadata.name"),
    }
