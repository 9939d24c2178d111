"""Suite loading: the schema, defaults, shorthands and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tierroute_bench.tasks import (
    Modality,
    ScorerKind,
    SuiteError,
    iter_located_tasks,
    iter_tasks,
    load_suite,
)

SUITE = """\
name: tiny
models: [model-a]
defaults:
  maxOutputTokens: 32
  scorer: exact
tasks:
  - id: one
    modality: text
    prompt: Say A.
    expected: A
  - id: two
    modality: vision
    prompt: Read it.
    media: [images/a.png]
    expected: HELLO
    scorer: {kind: cer, maxRate: 0.2}
    maxOutputTokens: 8
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_yaml_suite_applies_defaults_and_shorthands(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path / "suite.yaml", SUITE))
    one, two = list(iter_tasks(suite))
    assert suite.header.name == "tiny"
    assert suite.header.models == ("model-a",)
    assert (one.max_output_tokens, one.scorer.kind) == (32, ScorerKind.EXACT)
    assert (two.max_output_tokens, two.scorer.kind, two.scorer.max_rate) == (8, "cer", 0.2)
    assert two.modality == Modality.VISION
    assert two.media[0].source == "images/a.png"


def test_jsonl_tasks_files_are_read_after_inline_tasks(tmp_path: Path) -> None:
    lines = [{"id": f"j{n}", "modality": "text", "prompt": "p", "expected": n} for n in range(3)]
    (tmp_path / "more.jsonl").write_bytes(b"\n".join(orjson.dumps(line) for line in lines))
    suite = load_suite(write(tmp_path / "suite.yaml", SUITE + "tasksFiles: [more.jsonl]\n"))
    assert [task.id for task in iter_tasks(suite)] == ["one", "two", "j0", "j1", "j2"]
    located = dict((task.id, where) for where, task in iter_located_tasks(suite))
    assert located["j1"] == f"{tmp_path / 'more.jsonl'}:2"


def test_bare_jsonl_file_is_a_suite(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text('{"id": "a", "modality": "text", "prompt": "p", "expected": "x"}\n\n')
    assert [task.id for task in iter_tasks(load_suite(path))] == ["a"]


def test_bad_field_error_names_file_line_task_and_field(tmp_path: Path) -> None:
    broken = SUITE.replace("modality: vision", "modality: smell")
    with pytest.raises(SuiteError) as caught:
        load_suite(write(tmp_path / "suite.yaml", broken))
    message = str(caught.value)
    assert f"{tmp_path / 'suite.yaml'}:12:" in message
    assert "task 'two'" in message
    assert "modality" in message
    assert "'smell'" in message


def test_nested_field_error_points_at_its_line(tmp_path: Path) -> None:
    broken = SUITE.replace("maxRate: 0.2", "maxRate: -1")
    with pytest.raises(SuiteError, match=r"suite.yaml:16: task 'two': scorer.maxRate"):
        load_suite(write(tmp_path / "suite.yaml", broken))


def test_invalid_yaml_error_names_line(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"suite.yaml:\d+: not valid YAML(.|\n)*line 3"):
        load_suite(write(tmp_path / "suite.yaml", "name: x\ntasks:\n  - id: [unclosed\n"))


def test_invalid_jsonl_line_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text('{"id": "a", "modality": "text", "prompt": "p", "expected": 1}\n{"id": \n')
    with pytest.raises(SuiteError, match=r"tasks.jsonl:2: not valid JSON"):
        list(iter_tasks(load_suite(path)))


def test_jsonl_field_error_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text('\n{"id": "a", "modality": "text", "prompt": "", "expected": 1}\n')
    with pytest.raises(SuiteError, match=r"tasks.jsonl:2: task 'a': prompt: "):
        list(iter_tasks(load_suite(path)))


def test_scorer_inputs_are_checked_at_load_time(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text(
        '{"id": "n", "modality": "text", "prompt": "p", "expected": "many", "scorer": "numeric"}\n'
    )
    with pytest.raises(SuiteError, match="numeric scorer needs a number"):
        list(iter_tasks(load_suite(path)))


def test_unknown_header_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"suite.yaml:1: modles: Extra inputs"):
        load_suite(write(tmp_path / "suite.yaml", "modles: [a]\n" + SUITE))


def test_missing_tasks_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"tasksFiles: .*absent\.jsonl.* not found"):
        load_suite(write(tmp_path / "suite.yaml", "name: x\ntasksFiles: [absent.jsonl]\n"))


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="suite file not found"):
        load_suite(tmp_path / "nope.yaml")
