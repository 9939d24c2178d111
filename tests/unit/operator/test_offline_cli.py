"""`tierroute compile`, `explain` and `diff`: offline, one clear line per problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from tierroute_gateway.cli import main
from tierroute_gateway.routing_table import content_hash, load_routing_table

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_compile_writes_a_table_whose_hash_it_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "routing.json"
    code, _, err = _run(capsys, "compile", str(EXAMPLES), "--policy", "default", "-o", str(output))
    assert code == 0
    table = load_routing_table(output.read_bytes())
    assert f"compiled default: {content_hash(table)}" in err


def test_explain_reproduces_the_seeds_simple_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "explain",
        str(EXAMPLES),
        "--policy",
        "default",
        "--prompt",
        "Classify this text as positive or negative: 'Great product!'",
        "--context-tokens",
        "100",
    )
    decision = orjson.loads(out)
    assert code == 0
    assert (decision["model"], decision["tier"], decision["complexity"]) == (
        "llama-3-70b",
        "economy",
        "low",
    )


def test_explain_reproduces_the_seeds_complex_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "explain",
        str(EXAMPLES),
        "--policy",
        "default",
        "--prompt",
        "Analyze this codebase architecture and suggest improvements for scalability",
        "--context-tokens",
        "50000",
        "--min-quality",
        "0.85",
    )
    decision = orjson.loads(out)
    assert code == 0
    assert (decision["model"], decision["tier"], decision["complexity"]) == (
        "gpt-4o",
        "premium",
        "high",
    )
    assert decision["chain"][0]["model"] == "gpt-4o"
    assert all(step["model"] != "gpt-4o" for step in decision["chain"][1:])


def test_explain_of_an_unroutable_request_answers_the_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(
        capsys, "explain", str(EXAMPLES), "--policy", "default", "--prompt", "hi", "--model", "x"
    )
    assert code == 1
    assert orjson.loads(out)["error"]["status"] == 404


def test_explain_of_an_invalid_hint_names_the_header(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "explain",
        str(EXAMPLES),
        "--policy",
        "default",
        "--prompt",
        "hi",
        "--min-quality",
        "1.5",
    )
    assert code == 1
    assert "x-tierroute-min-quality" in orjson.loads(out)["error"]["message"]


def test_diff_reports_a_reprice_and_the_decisions_it_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = tmp_path / "examples"
    shutil.copytree(EXAMPLES, changed)
    catalog = changed / "seed-catalog.yaml"
    text = catalog.read_text()
    cheap = 'pricing: {inputPerMillion: "0.05", outputPerMillion: "0.05"}'
    assert cheap in text
    catalog.write_text(
        text.replace(cheap, 'pricing: {inputPerMillion: "9", outputPerMillion: "9"}')
    )
    code, out, _ = _run(capsys, "diff", str(EXAMPLES), str(changed), "--policy", "default")
    assert code == 0
    assert "~ model llama-3-70b: $0.05/$0.05 per 1M in/out -> $9/$9 per 1M in/out" in out
    changes = [line for line in out.splitlines() if line.startswith("  ")]
    assert changes
    assert all("llama-3-70b (" in line.split("->")[0] for line in changes)


def test_diff_of_identical_inputs_says_no_change(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "diff", str(EXAMPLES), str(EXAMPLES), "--policy", "default")
    assert code == 0
    assert out.startswith("no change")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("kind: RoutingPolicy\napiVersion: tierroute.io/v1alpha1\nmetadata: {name: a\n", ":"),
        ("apiVersion: tierroute.io/v1alpha1\nkind: RoutingPolcy\nmetadata: {name: a}\n", "Kind"),
    ],
    ids=["yaml-syntax-error", "wrong-kind"],
)
def test_compile_of_broken_manifests_prints_lines_not_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(content)
    code, _, err = _run(capsys, "compile", str(broken))
    assert code == 1
    assert "Traceback" not in err
    assert err.startswith(str(broken))


def test_compile_of_a_missing_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "compile", str(tmp_path / "absent"))
    assert code == 2
    assert err.count("\n") == 1


def test_compile_with_two_objects_of_one_name_names_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, folder)
    shutil.copy(folder / "monthly-budget.yaml", folder / "copy-of-budget.yaml")
    code, _, err = _run(capsys, "compile", str(folder), "--policy", "default")
    assert code == 1
    assert "BudgetAllocation/monthly" in err
    assert "Traceback" not in err
