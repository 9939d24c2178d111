"""The one error type the test bed raises: it says which process or command failed and why."""

from __future__ import annotations


class TestbedError(Exception):
    """A test bed process failed to start, answer or stop, or a command it ran failed."""

    __test__ = False  # not a pytest test class, despite the name
