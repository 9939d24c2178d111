"""The runner's pure parts: the simulator header, and the progress line."""

from __future__ import annotations

import asyncio
import base64
import io
from pathlib import Path

import pytest

from tierroute_bench.progress import Progress, render_bar
from tierroute_bench.runner import RunOptions, run_benchmark, simulator_headers
from tierroute_bench.targets import Target
from tierroute_bench.tasks import SuiteError, Task, load_suite


def task(expected: object) -> Task:
    return Task.model_validate(
        {"id": "t", "modality": "text", "prompt": "p", "expected": expected, "scorer": "judge"}
    )


def test_simulator_header_carries_plain_ascii_answers() -> None:
    assert simulator_headers(task("KESTREL 60")) == {"x-sim-expected-answer": "KESTREL 60"}
    assert simulator_headers(task(7.0)) == {"x-sim-expected-answer": "7"}


def test_simulator_header_base64_encodes_other_text() -> None:
    headers = simulator_headers(task("北京 line\nbreak"))
    encoded = headers["x-sim-expected-answer-b64"]
    assert base64.b64decode(encoded).decode() == "北京 line\nbreak"


def test_json_answers_are_sent_as_json() -> None:
    assert simulator_headers(task({"a": 1})) == {"x-sim-expected-answer": '{"a":1}'}


def test_no_expected_answer_no_header() -> None:
    assert simulator_headers(task(None)) == {}


def test_render_bar() -> None:
    assert render_bar(50, 200, 2, 10.0) == (
        "[#######-----------------------] 50/200  25% 5.0/s eta 30s 2 failed"
    )


def test_progress_stays_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(3, stream)
    for _ in range(3):
        progress.advance(failed=False)
    progress.close()
    assert stream.getvalue() == ""
    assert progress.done == 3


def test_duplicate_task_ids_stop_the_run_before_any_request(tmp_path: Path) -> None:
    suite_path = tmp_path / "tasks.jsonl"
    line = '{"id": "same", "modality": "text", "prompt": "p", "expected": "x"}\n'
    suite_path.write_text(line + "\n" + line)
    nowhere = Target("m", "m", "openai", "http://127.0.0.1:9/v1/chat/completions")
    results = tmp_path / "results.jsonl"
    with pytest.raises(SuiteError) as caught:
        asyncio.run(run_benchmark(load_suite(suite_path), [nowhere], results, RunOptions()))
    assert str(caught.value) == (f"{suite_path}:3: id: 'same' already used at {suite_path}:1")
    assert not results.exists()
