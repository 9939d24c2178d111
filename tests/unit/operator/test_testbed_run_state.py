"""The record `tierroute testbed up` leaves for `env` and `down`, and the lines `env` prints."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tierroute_operator.testbed.cli import export_lines
from tierroute_operator.testbed.errors import TestbedError
from tierroute_operator.testbed.run_state import STATE_FILE, RecordedProcess, RunState, load


def a_state(root: Path) -> RunState:
    return RunState(
        server="https://127.0.0.1:6443",
        kubeconfig=root / "run dir" / "kubeconfig",
        bin_dir=root / "bin $HOME",
        run_directory=root / "run dir",
        processes=[
            RecordedProcess(name="etcd", pid=12, argv=["/bin/etcd"], log_path=root / "etcd.log")
        ],
    )


def test_a_written_state_loads_back_equal(tmp_path: Path) -> None:
    state = a_state(tmp_path)
    (tmp_path / STATE_FILE).write_text(state.model_dump_json())
    assert load(tmp_path) == state


def test_nothing_recorded_loads_as_none(tmp_path: Path) -> None:
    assert load(tmp_path) is None


def test_a_broken_state_file_is_reported_with_its_path_and_field(tmp_path: Path) -> None:
    document = json.loads(a_state(tmp_path).model_dump_json())
    document["processes"][0]["pid"] = "not a number"
    (tmp_path / STATE_FILE).write_text(json.dumps(document))
    with pytest.raises(TestbedError, match=r"state\.json: processes\.0\.pid: "):
        load(tmp_path)


def test_export_lines_survive_a_shell_with_odd_paths(tmp_path: Path) -> None:
    state = a_state(tmp_path)
    script = f'{export_lines(state)}\nprintf "%s\\n" "$KUBECONFIG" "${{PATH%%:*}}"'
    printed = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert printed == [str(state.kubeconfig), str(state.bin_dir)]
