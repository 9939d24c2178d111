"""Reading manifests: multi-document files, foreign objects, and problems with an address."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierroute_operator.api.manifests import (
    ManifestPathError,
    Problem,
    load_manifests,
    manifest_files,
    parse_manifests,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
BUDGET = """\
apiVersion: tierroute.io/v1alpha1
kind: BudgetAllocation
metadata:
  name: {name}
spec:
  amount: "100"
  period: daily
  categories:
    - {{name: all, percent: {percent}}}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway
spec: {replicas: 2}
"""


def budget(name: str = "daily", percent: int = 100) -> str:
    return BUDGET.format(name=name, percent=percent)


def test_every_example_loads_without_problems() -> None:
    manifests = load_manifests([EXAMPLES])
    assert manifests.problems == ()
    kinds = sorted(item.label for item in manifests.objects)
    assert kinds == [
        "BudgetAllocation/monthly",
        "ModelCatalog/default",
        "ModelCatalog/multimodal",
        "RoutingPolicy/default",
    ]


def test_objects_of_other_groups_are_skipped_in_multi_document_files() -> None:
    objects, problems = parse_manifests(DEPLOYMENT + "---\n" + budget(), "mixed.yaml")
    assert problems == []
    assert [(item.label, item.line) for item in objects] == [("BudgetAllocation/daily", 7)]


def test_a_list_object_stands_for_its_items() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "  - " + budget(name).replace("\n", "\n    ").rstrip() + "\n" for name in ("a", "b")
    )
    objects, problems = parse_manifests(text, "list.yaml")
    assert problems == []
    assert [item.label for item in objects] == ["BudgetAllocation/a", "BudgetAllocation/b"]


def test_json_manifests_are_read() -> None:
    text = (
        '{"apiVersion": "tierroute.io/v1alpha1", "kind": "BudgetAllocation", '
        '"metadata": {"name": "j"}, "spec": {"amount": "5", "period": "daily", '
        '"categories": [{"name": "all", "percent": 100}]}}'
    )
    objects, problems = parse_manifests(text, "budget.json")
    assert (problems, [item.label for item in objects]) == ([], ["BudgetAllocation/j"])


def test_an_invalid_object_is_reported_with_file_kind_name_and_path() -> None:
    _, problems = parse_manifests(budget(percent=90), "budget.yaml")
    assert [str(problem) for problem in problems] == [
        "budget.yaml: BudgetAllocation/daily: spec.categories: percentages must sum to 100, not 90"
    ]


def test_a_yaml_syntax_error_gives_the_line() -> None:
    text = budget().replace("  period: daily", " period: daily")  # line 7, mis-indented
    _, problems = parse_manifests(text, "broken.yaml")
    [problem] = problems
    assert str(problem).startswith("broken.yaml:7: invalid YAML")


def test_a_duplicate_key_is_an_error_with_its_line() -> None:
    text = budget().replace("period: daily", "period: daily\n  period: weekly")
    _, problems = parse_manifests(text, "twice.yaml")
    assert [str(problem) for problem in problems] == [
        "twice.yaml:8: invalid YAML: duplicate key 'period'"
    ]


def test_a_tierroute_kind_with_a_wrong_version_is_an_error() -> None:
    text = budget().replace("tierroute.io/v1alpha1", "tierroute.io/v1")
    _, problems = parse_manifests(text, "old.yaml")
    assert [str(problem) for problem in problems] == [
        "old.yaml: BudgetAllocation/daily: apiVersion: 'tierroute.io/v1' is not served; "
        "use 'tierroute.io/v1alpha1'"
    ]


def test_an_unknown_tierroute_kind_is_an_error() -> None:
    text = budget().replace("kind: BudgetAllocation", "kind: Budget")
    _, problems = parse_manifests(text, "kind.yaml")
    assert [(problem.object, problem.path) for problem in problems] == [("Budget/daily", "kind")]


def test_a_tierroute_object_without_kind_is_an_error() -> None:
    text = budget().replace("kind: BudgetAllocation\n", "")
    _, problems = parse_manifests(text, "nokind.yaml")
    assert [str(problem) for problem in problems] == ["nokind.yaml:1: kind is required"]


def test_documents_that_are_not_manifests_are_skipped() -> None:
    objects, problems = parse_manifests("replicas: 3\nimage: {tag: v1}\n", "values.yaml")
    assert (objects, problems) == ([], [])


def test_a_document_that_is_not_a_mapping_is_an_error() -> None:
    _, problems = parse_manifests("- a\n- b\n", "list.yaml")
    assert [str(problem) for problem in problems] == [
        "list.yaml:1: expected a Kubernetes object, got a list"
    ]


def test_two_objects_with_one_kind_and_name_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(budget())
    (tmp_path / "b.yaml").write_text(DEPLOYMENT + "---\n" + budget())
    manifests = load_manifests([tmp_path])
    assert [str(problem) for problem in manifests.problems] == [
        f"{tmp_path / 'b.yaml'}: BudgetAllocation/daily: metadata.name: defined twice in the "
        f"default namespace: first in {tmp_path / 'a.yaml'} (line 1)"
    ]
    assert len(manifests.objects) == 1


def test_one_name_in_two_namespaces_is_two_objects(tmp_path: Path) -> None:
    other = budget().replace("name: daily", "name: daily\n  namespace: team-b")
    (tmp_path / "a.yaml").write_text(budget() + "---\n" + other)
    manifests = load_manifests([tmp_path])
    assert (manifests.problems, len(manifests.objects)) == ((), 2)
    assert manifests.find("BudgetAllocation", "daily", "team-b") is not None


def test_directories_are_searched_recursively_for_manifest_suffixes(tmp_path: Path) -> None:
    for name in ("a.yaml", "sub/b.yml", "sub/c.json", "notes.txt", ".git/d.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [path.relative_to(tmp_path).as_posix() for path in manifest_files([tmp_path])]
    assert found == ["a.yaml", "sub/b.yml", "sub/c.json"]


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestPathError, match="no such file or directory"):
        load_manifests([tmp_path / "absent.yaml"])


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    [problem] = load_manifests([tmp_path]).problems
    assert problem.file.endswith("latin1.yaml")
    assert "cannot read" in problem.message


def test_warnings_are_prefixed() -> None:
    problem = Problem("f.yaml", "not here", object="RoutingPolicy/p", path="spec", warning=True)
    assert str(problem) == "warning: f.yaml: RoutingPolicy/p: spec: not here"


CRDCEL = Path(__file__).resolve().parents[2] / "e2e" / "crdcel"


@pytest.mark.parametrize("case", sorted(path.name for path in CRDCEL.glob("*.yaml")))
def test_offline_validation_refuses_what_the_api_server_refuses(case: str) -> None:
    """Each e2e rejection case fails `tierroute validate` too, at the field the server names."""
    path = CRDCEL / case
    fields = [
        line.removeprefix("# expect:").strip().split(":")[0]
        for line in path.read_text().splitlines()
        if line.startswith("# expect:")
        and line.removeprefix("# expect:").strip().startswith("spec")
    ]
    _, problems = parse_manifests(path.read_text(), case)
    assert problems, f"{case} passes offline validation"
    for field in fields:
        assert any((problem.path or "").startswith(field) for problem in problems), (
            field,
            problems,
        )


def test_a_typo_in_metadata_is_refused_but_server_fields_are_accepted() -> None:
    typo = budget().replace("  name: daily", "  name: daily\n  labelz: {team: a}")
    served = budget().replace("  name: daily", "  name: daily\n  resourceVersion: '42'\n  uid: u")
    assert [str(p) for p in parse_manifests(typo, "t.yaml")[1]] == [
        "t.yaml: BudgetAllocation/daily: metadata.labelz: unknown field"
    ]
    assert parse_manifests(served, "s.yaml")[1] == []
