"""Run `tierroute operator` against the test bed and wait, with deadlines, for what it does.

`running_operator(...)` starts the operator as a real subprocess (its own process group,
always stopped) and waits until its /readyz says it is active (or `standby`, when asked).
`wait_until(...)` polls a probe with a deadline and says what it last saw when it gives up.
"""

from __future__ import annotations

import base64
import contextlib
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
import yaml

from tests.helpers.processes import StartedProcess, started
from tierroute_operator.testbed.control_plane import ControlPlane

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = REPOSITORY / "examples"
CRDS = REPOSITORY / "crds"
T = TypeVar("T")


class WaitTimeoutError(AssertionError):
    """A condition did not hold before its deadline."""


def wait_until(
    probe: Callable[[], T | None],
    *,
    what: str,
    timeout_s: float = 60.0,
    interval_s: float = 0.1,
    last: Callable[[], object] | None = None,
) -> T:
    """Call `probe` until it returns something truthy; fail after `timeout_s` saying `what`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"; last seen: {last()!r}" if last is not None else ""
            raise WaitTimeoutError(f"{what}: not within {timeout_s:g} s{seen}")
        time.sleep(interval_s)


@dataclass
class RunningOperator:
    """A running operator process and its endpoints."""

    process: StartedProcess
    health_url: str
    metrics_url: str

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT of the health endpoint."""
        return self.health_url.rsplit("/", 1)[0]

    def readiness(self) -> tuple[int, str]:
        """(HTTP status, body) of /readyz; (0, error) when it does not answer."""
        try:
            with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError as error:
            return 0, str(error)

    def metrics(self) -> dict[str, float]:
        """Samples of the /metrics endpoint: `name{labels}` → value."""
        with urllib.request.urlopen(self.metrics_url, timeout=5) as response:
            text = response.read().decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        return samples

    def output(self) -> str:
        """What the operator printed so far (logs included)."""
        return self.process.output()


def operator_command(kubeconfig: Path, namespaces: Sequence[str], *options: str) -> list[str]:
    """The command line of `tierroute operator` with free loopback ports for its endpoints."""
    scope = [part for namespace in namespaces for part in ("--namespace", namespace)]
    return [
        sys.executable, "-m", "tierroute_gateway.cli", "operator", *scope,
        "--kubeconfig", str(kubeconfig),
        "--liveness", "http://127.0.0.1:0/healthz",
        "--metrics-host", "127.0.0.1", "--metrics-port", "0",
        *options,
    ]  # fmt: skip


@contextlib.contextmanager
def running_operator(
    kubeconfig: Path,
    namespaces: Sequence[str],
    *options: str,
    expect: str = "ok",
    ready_deadline_s: float = 60.0,
) -> Iterator[RunningOperator]:
    """Run the operator until the block ends; ready once /readyz says `expect`."""
    command = operator_command(kubeconfig, namespaces, *options)
    with started(command, ready_deadline_s=ready_deadline_s) as process:
        metrics_line = wait_until(
            lambda: next((line for line in process.lines if " metrics on " in line), None),
            what="the operator printing its metrics URL",
            timeout_s=ready_deadline_s,
        )
        running = RunningOperator(process, process.url, metrics_line.split(" metrics on ")[1])
        wait_until(
            lambda: running.readiness()[1] == expect,
            what=f"operator /readyz saying {expect!r}",
            timeout_s=ready_deadline_s,
            last=lambda: (running.readiness(), running.output()[-2000:]),
        )
        yield running


def example_manifests(namespace: str) -> list[dict[str, Any]]:
    """The Kubernetes objects of examples/ (not the simulator profile), in `namespace`."""
    documents = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and "apiVersion" in document and "kind" in document:
                document["metadata"]["namespace"] = namespace
                documents.append(document)
    return documents


def write_manifests(documents: Sequence[dict[str, Any]], directory: Path) -> Path:
    """One YAML file a document in `directory` (what kubectl applies and tierroute compiles)."""
    directory.mkdir(parents=True, exist_ok=True)
    for number, document in enumerate(documents):
        name = f"{number:02d}-{document['kind'].lower()}-{document['metadata']['name']}.yaml"
        (directory / name).write_text(yaml.safe_dump(document, sort_keys=False))
    return directory


def get_json(control_plane: ControlPlane, *arguments: str) -> dict[str, Any] | None:
    """`kubectl get ... -o json`, or None when the object does not exist."""
    result = control_plane.kubectl("get", *arguments, "-o", "json", check=False)
    if result.returncode != 0:
        if "NotFound" in result.stderr:
            return None
        raise AssertionError(f"kubectl get {' '.join(arguments)}: {result.stderr}")
    document: dict[str, Any] = orjson.loads(result.stdout)
    return document


def condition(body: dict[str, Any] | None, kind: str = "Ready") -> dict[str, Any]:
    """The status condition of that type ({} when absent)."""
    for item in ((body or {}).get("status") or {}).get("conditions") or ():
        if item.get("type") == kind:
            return dict(item)
    return {}


def settled(body: dict[str, Any] | None) -> bool:
    """Whether the status describes the current generation."""
    if body is None:
        return False
    status = body.get("status") or {}
    return status.get("observedGeneration") == body["metadata"].get("generation")


def decoded(secret: dict[str, Any]) -> dict[str, str]:
    """A Secret's data, decoded (test assertions only)."""
    return {key: base64.b64decode(value).decode() for key, value in secret.get("data", {}).items()}
