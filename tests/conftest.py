"""Suite-wide rules: under CI=true nothing may skip, and no process outlives the run."""

from __future__ import annotations

import os

import psutil
import pytest

pytest_plugins = ["tests.fixtures.testbed"]

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI") == "true" and _skipped:
        if reporter is not None:
            reporter.write_line(f"CI=true forbids skips; skipped: {', '.join(_skipped)}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    leftovers = _live_descendants()
    if leftovers:
        if reporter is not None:
            reporter.write_line(f"processes outlived the test run: {leftovers}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _live_descendants() -> list[str]:
    """Processes this pytest process started that are still running."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                found.append(f"{child.pid} {' '.join(child.cmdline()[:3])}")
        except psutil.NoSuchProcess:
            continue
    return found
