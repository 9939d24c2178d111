"""`tierroute router fit --configmap`: a manifest the operator reads back to the printed hash."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from tests.unit.bench.routing_rows import parse_cli, write_bench_files
from tierroute_bench.routing_eval.configmap import (
    CONFIGMAP_LIMIT_BYTES,
    MAX_ARTEFACT_BYTES,
    ConfigMapError,
    configmap_manifest,
    policy_snippet,
)
from tierroute_bench.routing_eval.handlers import router_fit_command
from tierroute_gateway.learned_router import artefact_hash, load_learned_router
from tierroute_operator.api.learned_router import LearnedRouterRef
from tierroute_operator.learned_router_source import config_map_data

_HASH = "sha256:" + "ab" * 32


def _fit_arguments(directory: Path, *extra: str) -> argparse.Namespace:
    suite, results = write_bench_files(directory)
    return parse_cli(
        "router", "fit", str(results), "--suite", str(suite), "--split", "all",
        "--regularization", "1", "-o", str(directory / "router.json"), *extra,
    )  # fmt: skip


_CONFIGMAP = ("--configmap", "router-v1", "--namespace", "team-a")


def test_fit_writes_a_configmap_the_operator_reads_to_the_printed_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert router_fit_command(_fit_arguments(tmp_path, *_CONFIGMAP)) == 0
    out = capsys.readouterr().out
    manifest = yaml.safe_load((tmp_path / "router.configmap.yaml").read_text())
    assert manifest["apiVersion"] == "v1"
    assert manifest["kind"] == "ConfigMap"
    assert manifest["metadata"]["name"] == "router-v1"
    assert manifest["metadata"]["namespace"] == "team-a"
    entries = config_map_data(manifest)
    artefact = load_learned_router(entries["router.json"])
    assert entries["router.json"].encode() == (tmp_path / "router.json").read_bytes().rstrip()
    snippet = yaml.safe_load(out[out.index("spec:\n") :])
    reference = LearnedRouterRef.model_validate(snippet["spec"]["learnedRouter"])
    assert reference.config_map_ref.name == "router-v1"
    assert reference.config_map_ref.key == "router.json"
    assert reference.sha256 == artefact_hash(artefact)
    assert f"wrote {tmp_path / 'router.json'}" in out


def test_fit_writes_the_manifest_where_asked(tmp_path: Path) -> None:
    target = tmp_path / "deploy" / "cm.yaml"
    target.parent.mkdir()
    arguments = _fit_arguments(
        tmp_path, "--configmap", "router-v1", "--configmap-output", str(target)
    )
    assert router_fit_command(arguments) == 0
    manifest = yaml.safe_load(target.read_text())
    assert "namespace" not in manifest["metadata"]
    assert not (tmp_path / "router.configmap.yaml").exists()


def test_a_bad_configmap_name_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert router_fit_command(_fit_arguments(tmp_path, "--configmap", "Router_V1")) == 1
    assert "--configmap 'Router_V1'" in capsys.readouterr().err
    assert not (tmp_path / "router.json").exists()


@pytest.mark.parametrize(
    ("name", "namespace", "message"),
    [("a" * 254, None, "DNS subdomain"), ("ok", "Team_A", "--namespace 'Team_A'")],
)
def test_names_kubernetes_refuses_are_refused(
    name: str, namespace: str | None, message: str
) -> None:
    with pytest.raises(ConfigMapError, match=message):
        configmap_manifest(name, namespace, b"{}", _HASH)


def test_an_artefact_too_large_for_a_configmap_is_refused() -> None:
    with pytest.raises(ConfigMapError, match="at most 1,048,576"):
        configmap_manifest("big", None, b"x" * CONFIGMAP_LIMIT_BYTES, _HASH)


def test_an_artefact_must_leave_room_for_the_routing_table_it_travels_in() -> None:
    with pytest.raises(ConfigMapError, match="--max-buckets"):
        configmap_manifest("big", None, b"x" * (MAX_ARTEFACT_BYTES + 1), _HASH)
    manifest = configmap_manifest("fits", None, b"x" * MAX_ARTEFACT_BYTES, _HASH)
    assert len(yaml.safe_load(manifest)["data"]["router.json"]) == MAX_ARTEFACT_BYTES


def test_manifest_keeps_the_artefact_byte_for_byte_whatever_its_characters() -> None:
    document = '{"name":"modèle \'quoted\' \\"x\\": #1","w":[0.1,-2e-05]}'.encode()
    manifest = yaml.safe_load(configmap_manifest("r", None, document, _HASH))
    assert manifest["data"]["router.json"].encode() == document


def test_policy_snippet_is_the_routing_policy_field() -> None:
    snippet = yaml.safe_load(policy_snippet("router-v1", _HASH))
    assert snippet == {
        "spec": {
            "learnedRouter": {
                "configMapRef": {"name": "router-v1", "key": "router.json"},
                "sha256": _HASH,
            }
        }
    }


def test_max_buckets_bounds_the_fitted_artefact(tmp_path: Path) -> None:
    wide, narrow = tmp_path / "wide", tmp_path / "narrow"
    wide.mkdir()
    narrow.mkdir()
    assert router_fit_command(_fit_arguments(wide)) == 0
    assert router_fit_command(_fit_arguments(narrow, "--max-buckets", "2")) == 0
    fitted = load_learned_router((wide / "router.json").read_bytes())
    capped = load_learned_router((narrow / "router.json").read_bytes())
    assert len(capped.buckets) <= 2 < len(fitted.buckets)


def test_max_buckets_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_cli("router", "fit", "outcomes.jsonl", "--max-buckets", "0")
    assert "'0' is not a positive integer" in capsys.readouterr().err
