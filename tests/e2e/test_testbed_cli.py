"""`tierroute testbed up|env|down` for humans: a detached control plane, found again by `env`,
stopped by `down`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tierroute_operator.testbed.control_plane import ControlPlane
from tierroute_operator.testbed.processes import is_running
from tierroute_operator.testbed.run_state import load


def tierroute(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the `tierroute` console script of this environment."""
    script = Path(sys.executable).with_name("tierroute")
    return subprocess.run(
        [str(script), *arguments], capture_output=True, text=True, timeout=180, check=False
    )


def exported(lines: str) -> dict[str, str]:
    """NAME -> value of `export NAME=value` lines (values as printed, shell-quoted or not)."""
    pairs = (line.removeprefix("export ").split("=", 1) for line in lines.splitlines())
    return {name: value for name, value in pairs}


@pytest.mark.testbed
def test_up_env_down_runs_a_detached_control_plane(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    state = ["--state-dir", str(tmp_path / "state")]
    up = tierroute("testbed", "up", "--bin-dir", str(control_plane.bin_dir), *state)
    try:
        assert up.returncode == 0, up.stderr
        kubeconfig = exported(up.stdout)["KUBECONFIG"]
        assert tierroute("testbed", "env", *state).stdout == up.stdout
        environment = {**os.environ, "KUBECONFIG": kubeconfig}
        namespaces = subprocess.run(
            [str(control_plane.bin_dir / "kubectl"), "get", "namespace", "default", "-o", "name"],
            capture_output=True, text=True, env=environment, timeout=60, check=False,
        )  # fmt: skip
        assert namespaces.stdout.strip() == "namespace/default", namespaces.stderr
        recorded = load(tmp_path / "state")
        assert recorded is not None
    finally:
        down = tierroute("testbed", "down", *state)
    assert down.returncode == 0, down.stderr
    assert [p.name for p in recorded.managed_processes() if is_running(p)] == []
    assert not Path(kubeconfig).exists()


def test_env_without_a_running_test_bed_fails_with_one_line(tmp_path: Path) -> None:
    result = tierroute("testbed", "env", "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "tierroute testbed up" in result.stderr


def test_up_with_a_bin_dir_lacking_binaries_fails_with_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = tierroute("testbed", "up", "--bin-dir", str(empty), "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(empty) in result.stderr
