"""Wait, with a deadline, until a server answers an HTTP endpoint as expected."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

from tierroute_operator.testbed.errors import TestbedError
from tierroute_operator.testbed.processes import ManagedProcess, is_running

POLL_INTERVAL_S = 0.1


def wait_until_ready(
    process: ManagedProcess,
    url: str,
    *,
    expect_body: str | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout_s: float = 60.0,
) -> None:
    """Poll `url` until it answers 200 (with `expect_body` in the body when given).

    Fails at once, with the end of the process's log, if the process exits while waiting.
    """
    deadline = time.monotonic() + timeout_s
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        if not is_running(process):
            raise TestbedError(
                f"{process.name} exited before {url} was ready; its log ends:\n{process.log_tail()}"
            )
        last_problem = _probe(url, expect_body, headers or {}, ssl_context)
        if not last_problem:
            return
        time.sleep(POLL_INTERVAL_S)
    raise TestbedError(
        f"{process.name}: {url} not ready after {timeout_s:.0f} s ({last_problem}); its log ends:\n"
        f"{process.log_tail()}"
    )


def _probe(
    url: str,
    expect_body: str | None,
    headers: Mapping[str, str],
    ssl_context: ssl.SSLContext | None,
) -> str:
    """An empty string when `url` answers as expected, else what was wrong."""
    request = urllib.request.Request(url, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=2.0, context=ssl_context) as response:
            body = response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return str(error)
    if expect_body is not None and expect_body not in body:
        return f"body {body[:200]!r}"
    return ""


def wait_for_log_line(
    process: ManagedProcess, text: str, *, offset: int = 0, timeout_s: float = 60.0
) -> None:
    """Wait until the process's log, from byte `offset` on, contains `text`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_running(process):
            raise TestbedError(
                f"{process.name} exited before logging {text!r}; its log ends:\n"
                f"{process.log_tail()}"
            )
        with process.log_path.open("rb") as log:
            log.seek(offset)
            if text.encode() in log.read():
                return
        time.sleep(POLL_INTERVAL_S)
    raise TestbedError(f"{process.name} did not log {text!r} within {timeout_s:.0f} s")
