"""Where the test bed's binaries are: a given directory, or the cache build.sh fills."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tierroute_operator.testbed.errors import TestbedError

BIN_DIR_VARIABLE = "TIERROUTE_TESTBED_BIN"
# operator/tierroute_operator/testbed/binaries.py -> the checkout's root is three levels up.
REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
BUILD_SCRIPT = REPOSITORY_ROOT / "tests" / "testbed" / "build.sh"
NO_GO_EXIT_CODE = 3


def configured_bin_dir(explicit: Path | None = None) -> Path | None:
    """The directory given on the command line, else $TIERROUTE_TESTBED_BIN, else None."""
    if explicit is not None:
        return explicit
    from_environment = os.environ.get(BIN_DIR_VARIABLE)
    return Path(from_environment) if from_environment else None


def cached_bin_dir() -> Path:
    """The cache directory build.sh would fill for the pinned versions (nothing is built)."""
    return Path(_run_build_script("--print-bin-dir", capture_stderr=True))


def build_binaries() -> Path:
    """Build what is missing (build.sh reports progress on stderr) and return the bin dir."""
    return Path(_run_build_script(capture_stderr=False))


def _run_build_script(*arguments: str, capture_stderr: bool) -> str:
    if not BUILD_SCRIPT.is_file():
        raise TestbedError(
            f"{BUILD_SCRIPT} not found (not running from a checkout): "
            f"pass --bin-dir or set {BIN_DIR_VARIABLE}"
        )
    result = subprocess.run(
        [str(BUILD_SCRIPT), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if capture_stderr else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        reason = (result.stderr or "").strip().splitlines()
        detail = reason[-1] if reason else "see the output above"
        raise TestbedError(f"tests/testbed/build.sh failed (exit {result.returncode}): {detail}")
    lines = result.stdout.strip().splitlines()
    if not lines:
        raise TestbedError("tests/testbed/build.sh printed no bin directory")
    return lines[-1]
