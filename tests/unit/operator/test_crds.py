"""Generated CRDs: up to date with the models, structural, and cheap enough for CEL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tierroute_operator.crd_files import stale_files, write_crds
from tierroute_operator.crd_reference import render_reference
from tierroute_operator.crds import KIND_DEFINITIONS, crd_manifest, generate_crds

ROOT = Path(__file__).resolve().parents[3]
CRDS = ROOT / "crds"
REFERENCE = ROOT / "docs" / "crd-reference.md"
# Keywords of apiextensions.k8s.io/v1 JSONSchemaProps this generator may emit.
ALLOWED = {
    "type", "description", "properties", "required", "items", "additionalProperties", "enum",
    "default", "format", "pattern", "minimum", "maximum", "minLength", "maxLength", "minItems",
    "maxItems", "minProperties", "maxProperties", "x-kubernetes-validations",
    "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(generate_crds()))
def test_crd_files_are_up_to_date_with_the_models(name: str) -> None:
    path = CRDS / name
    assert path.is_file(), f"{path} is missing: run `make crds`"
    assert path.read_text(encoding="utf-8") == generate_crds()[name], (
        f"{path} is stale: run `make crds`"
    )


def test_crd_reference_is_up_to_date_with_the_models() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render_reference(), (
        f"{REFERENCE} is stale: run `tierroute crds --output crds --reference {REFERENCE}`"
    )


def test_stale_files_finds_a_changed_and_a_missing_file(tmp_path: Path) -> None:
    written = write_crds(tmp_path)
    assert stale_files(tmp_path, None) == []
    written[0].write_text("# edited by hand\n")
    written[1].unlink()
    assert stale_files(tmp_path, None) == written[:2]


def schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    for definition in KIND_DEFINITIONS:
        version = crd_manifest(definition)["spec"]["versions"][0]
        yield definition.kind, version["schema"]["openAPIV3Schema"]


def nodes(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from nodes(child, f"{path}.{name}")
    if "items" in node:
        yield from nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from nodes(node["additionalProperties"], f"{path}.<key>")


ALL_NODES = [
    (f"{kind}:{path}", node) for kind, schema in schemas() for path, node in nodes(schema, "")
]


def test_every_schema_node_is_structural() -> None:
    for where, node in ALL_NODES:
        assert "type" in node, f"{where} has no type"
        assert set(node) <= ALLOWED, f"{where} uses {set(node) - ALLOWED}"
        assert not ("properties" in node and "additionalProperties" in node), where


def test_every_field_has_a_description() -> None:
    for where, node in ALL_NODES:
        parent_is_list = where.endswith("[]") or where.endswith(".<key>")
        if where.split(":")[1] not in ("", ".metadata") and not parent_is_list:
            assert node.get("description"), f"{where} has no description (kubectl explain)"


def test_lists_and_strings_are_bounded_for_cel_cost_estimates() -> None:
    for where, node in ALL_NODES:
        if ":.status" in where or where.endswith((".apiVersion", ".kind")):
            continue
        if node["type"] == "array":
            assert "maxItems" in node, f"{where} has no maxItems"
        if node["type"] == "string" and "enum" not in node and "format" not in node:
            assert "maxLength" in node, f"{where} has no maxLength"
        if node["type"] == "object" and "additionalProperties" in node:
            assert "maxProperties" in node, f"{where} has no maxProperties"


def test_list_map_keys_are_required_fields_of_the_items() -> None:
    for where, node in ALL_NODES:
        if node.get("x-kubernetes-list-type") == "map":
            for key in node["x-kubernetes-list-map-keys"]:
                assert key in node["items"].get("required", []), f"{where}: {key}"


def test_every_cel_rule_has_a_message_and_a_valid_field_path() -> None:
    rules = 0
    for where, node in ALL_NODES:
        for rule in node.get("x-kubernetes-validations", []):
            rules += 1
            assert rule.get("message"), f"{where}: {rule['rule']}"
            field_path = rule.get("fieldPath")
            if field_path is not None:
                assert field_path.lstrip(".") in node["properties"], f"{where}: {field_path}"
    assert rules >= 8


def test_defaults_satisfy_their_own_schema() -> None:
    for where, node in ALL_NODES:
        if "default" not in node:
            continue
        default = node["default"]
        if "enum" in node:
            assert default in node["enum"], where
        if "pattern" in node:
            assert re.fullmatch(node["pattern"].strip("^$"), default), where
        if node["type"] == "array" and "enum" in node["items"]:
            assert set(default) <= set(node["items"]["enum"]), where
        if node["type"] == "object":
            assert default == {}, where
            missing = [
                n for n in node.get("required", []) if "default" not in node["properties"][n]
            ]
            assert missing == [], f"{where}: default {{}} lacks {missing}"


def test_status_has_no_defaults() -> None:
    for where, node in ALL_NODES:
        if ":.status" in where:
            assert "default" not in node, where


@pytest.mark.parametrize("definition", KIND_DEFINITIONS, ids=lambda d: d.kind)
def test_printer_columns_point_at_declared_fields(definition: Any) -> None:
    version = crd_manifest(definition)["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    declared = {path for path, _ in nodes(schema, "")}
    for column in version["additionalPrinterColumns"]:
        path = re.sub(r"\[\?\(.*?\)\]", "[]", column["jsonPath"])
        if path.startswith(".metadata"):
            continue
        assert path.removesuffix("[]") in declared or path in declared, column


@pytest.mark.parametrize("definition", KIND_DEFINITIONS, ids=lambda d: d.kind)
def test_names_and_subresources(definition: Any) -> None:
    spec = crd_manifest(definition)["spec"]
    assert spec["names"]["shortNames"] == [definition.short_name]
    assert spec["names"]["categories"] == ["tierroute"]
    assert spec["scope"] == "Namespaced"
    assert spec["versions"][0]["subresources"] == {"status": {}}
    assert spec["versions"][0]["name"] == "v1alpha1"


def test_crd_files_parse_as_one_crd_each() -> None:
    for name, content in generate_crds().items():
        [document] = list(yaml.safe_load_all(content))
        assert document["kind"] == "CustomResourceDefinition", name
        assert "&id" not in content, f"{name} uses YAML anchors"
