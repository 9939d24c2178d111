"""`tierroute validate` and `tierroute crds` as users run them: lines, exit codes, no traces."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tierroute_gateway.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
TIERROUTE = Path(sys.executable).with_name("tierroute")


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, list[str], str]:
    code = main(["validate", *arguments])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def copy_examples(destination: Path, *names: str) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(EXAMPLES / name, destination / name)
    return destination


def test_the_examples_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run(capsys, str(EXAMPLES))
    assert code == 0
    assert all(line.startswith("warning: ") for line in lines), lines
    assert "0 errors" in err
    assert "4 tierroute objects" in err


def test_a_policy_whose_catalog_is_elsewhere_warns_and_passes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines, _ = run(capsys, str(EXAMPLES / "default-policy.yaml"))
    assert code == 0
    file = EXAMPLES / "default-policy.yaml"
    assert lines == [
        f"warning: {file}: RoutingPolicy/default: spec.catalogRef.name: ModelCatalog "
        "'default' is not in the given files (it may exist in the cluster)",
        f"warning: {file}: RoutingPolicy/default: spec.budgetRef.name: BudgetAllocation "
        "'monthly' is not in the given files (it may exist in the cluster)",
    ]


def test_strict_makes_a_missing_reference_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "--strict", str(EXAMPLES / "default-policy.yaml"))
    assert code == 1
    assert len(lines) == 2
    assert not any(line.startswith("warning:") for line in lines)


def test_an_invalid_object_gives_one_line_naming_file_object_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_examples(tmp_path, "monthly-budget.yaml")
    budget = folder / "monthly-budget.yaml"
    budget.write_text(budget.read_text().replace("percent: 25", "percent: 15"))
    code, lines, _ = run(capsys, str(folder))
    assert code == 1
    assert lines == [
        f"{budget}: BudgetAllocation/monthly: spec.categories: percentages must sum to 100, not 90"
    ]


def test_a_chain_step_naming_a_model_missing_from_the_catalog_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_examples(
        tmp_path, "seed-catalog.yaml", "default-policy.yaml", "monthly-budget.yaml"
    )
    policy = folder / "default-policy.yaml"
    policy.write_text(policy.read_text().replace("{model: gemini-2-flash", "{model: gemini-9"))
    code, lines, _ = run(capsys, str(folder))
    assert code == 1
    errors = [line for line in lines if not line.startswith("warning:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"{policy}: RoutingPolicy/default: spec.fallback.chains[0]")
    assert "gemini-9" in errors[0]


def test_a_wrong_version_of_a_tierroute_kind_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_examples(tmp_path, "monthly-budget.yaml")
    budget = folder / "monthly-budget.yaml"
    budget.write_text(budget.read_text().replace("v1alpha1", "v1beta1"))
    code, lines, _ = run(capsys, str(budget))
    assert (code, len(lines)) == (1, 1)
    assert "BudgetAllocation/monthly: apiVersion:" in lines[0]


def test_two_objects_with_one_name_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_examples(tmp_path, "monthly-budget.yaml")
    shutil.copy(folder / "monthly-budget.yaml", folder / "copy.yaml")
    code, lines, _ = run(capsys, str(folder))
    assert code == 1
    assert lines == [
        f"{folder / 'monthly-budget.yaml'}: BudgetAllocation/monthly: metadata.name: defined "
        f"twice in the default namespace: first in {folder / 'copy.yaml'} (line 3)"
    ]


def test_objects_of_other_groups_are_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
    )
    code, lines, err = run(capsys, str(tmp_path))
    assert (code, lines) == (0, [])
    assert "0 tierroute objects" in err


def tierroute(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The real console script, as a pipeline runs it."""
    return subprocess.run(
        [str(TIERROUTE), *arguments], capture_output=True, text=True, timeout=60, check=False
    )


BAD_INPUTS = {
    "yaml-syntax": ("apiVersion: tierroute.io/v1alpha1\nkind: ModelCatalog\n bad: [\n", 1),
    "not-a-mapping": ("- just\n- a list\n", 1),
    "wrong-kind": ("apiVersion: tierroute.io/v1alpha1\nkind: Router\nmetadata: {name: r}\n", 1),
    "no-metadata": ("apiVersion: tierroute.io/v1alpha1\nkind: ModelCatalog\nspec: {}\n", 1),
    "binary": ("\x00\x01\x02", 1),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gives_clear_lines_and_no_traceback(case: str, tmp_path: Path) -> None:
    text, expected_code = BAD_INPUTS[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    result = tierroute("validate", str(path))
    assert result.returncode == expected_code
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.strip(), "no problem line printed"
    assert all(line.startswith(str(path)) for line in result.stdout.splitlines())


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = tierroute("validate", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("no such file or directory")
    assert "Traceback" not in result.stderr


def test_no_path_at_all_is_a_usage_error() -> None:
    result = tierroute("validate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_crds_check_fails_on_a_stale_directory_and_passes_after_writing(tmp_path: Path) -> None:
    assert tierroute("crds", "--output", str(tmp_path), "--check").returncode == 1
    assert tierroute("crds", "--output", str(tmp_path)).returncode == 0
    assert tierroute("crds", "--output", str(tmp_path), "--check").returncode == 0


def test_crds_without_output_prints_applyable_yaml() -> None:
    result = tierroute("crds")
    assert result.returncode == 0
    assert result.stdout.count("kind: CustomResourceDefinition") == 3
