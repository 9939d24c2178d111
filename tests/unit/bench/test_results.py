"""The results file: appended, flushed, crash-tolerant, rewritten in suite order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierroute_bench.results import (
    Outcome,
    ResultRecord,
    ResultsFileError,
    ResultWriter,
    completed_keys,
    drop_partial_tail,
    read_results,
    sort_results,
)


def record(model: str, task_id: str) -> ResultRecord:
    return ResultRecord(
        model=model, task_id=task_id, modality="text", outcome=Outcome.OK, scorer="exact"
    )


def test_written_records_are_on_disk_before_the_writer_closes(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = ResultWriter(path)
    writer.write(record("m", "a"))
    assert completed_keys(path) == {("m", "a")}  # flushed, though still open
    writer.close()


def test_partial_last_line_from_a_crash_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with ResultWriter(path) as writer:
        writer.write(record("m", "a"))
    with path.open("ab") as handle:
        handle.write(b'{"model": "m", "task_id": "b", "moda')
    assert drop_partial_tail(path)
    assert completed_keys(path) == {("m", "a")}
    assert not drop_partial_tail(path)


def test_a_corrupt_line_in_the_middle_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"model": "m", "task_id": "a"}\nnot json\n')
    with pytest.raises(ResultsFileError, match=r"r.jsonl:2: not a result record"):
        completed_keys(path)


def test_sort_results_orders_by_rank_and_keeps_every_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    order = {("m1", "a"): 0, ("m2", "a"): 1, ("m1", "b"): 2, ("m2", "b"): 3}
    with ResultWriter(path) as writer:
        for key in [("m2", "b"), ("m1", "a"), ("m1", "b"), ("m2", "a")]:
            writer.write(record(*key))
    sort_results(path, lambda key: order[key])
    assert [r.key for r in read_results(path)] == sorted(order, key=order.__getitem__)
