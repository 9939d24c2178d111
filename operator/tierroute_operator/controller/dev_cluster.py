"""`make dev-cluster`: the whole stack on one machine, for trying tierroute by hand.

`up`: the test bed (`tierroute testbed up`), the CRDs, namespace `tierroute-demo` with the
examples applied (their providers pointed at a simulator), the simulated providers, the
operator, and a gateway that watches its ConfigMap through the API; then prints the kubeconfig,
the gateway URL and commands to try. Everything runs detached on 127.0.0.1 and is recorded, so
`down` stops each process by its id. Running `up` again prints the same information.

Run: python -m tierroute_operator.controller.dev_cluster [up|down]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from tierroute_operator.testbed.binaries import REPOSITORY_ROOT
from tierroute_operator.testbed.errors import TestbedError
from tierroute_operator.testbed.processes import ManagedProcess, is_running, start_process
from tierroute_operator.testbed.processes import stop_process as stop_managed
from tierroute_operator.testbed.run_state import RecordedProcess, RunState, load

NAMESPACE = "tierroute-demo"
CLI = [sys.executable, "-m", "tierroute_gateway.cli"]
EXAMPLES = REPOSITORY_ROOT / "examples"
URL = re.compile(r"listening on (\S+)")


class DevCluster(BaseModel):
    """What `up` started: the test bed's record, the extra processes, the gateway's URL."""

    testbed_state: Path = Field(description="State directory of `tierroute testbed`.")
    kubeconfig: Path = Field(description="Admin kubeconfig of the test bed.")
    bin_dir: Path = Field(description="Where kubectl is.")
    gateway_url: str = Field(description="The gateway's base URL.")
    processes: list[RecordedProcess] = Field(description="sim, operator, gateway.")


def state_directory() -> Path:
    """~/.cache/tierroute/dev-cluster (or under $XDG_CACHE_HOME)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tierroute" / "dev-cluster"


def _managed(recorded: RecordedProcess) -> ManagedProcess:
    return ManagedProcess(recorded.name, recorded.pid, recorded.argv, recorded.log_path)


def up(directory: Path) -> int:
    """Start whatever is not running yet and print how to use it."""
    record_file = directory / "state.json"
    if record_file.exists():
        cluster = DevCluster.model_validate_json(record_file.read_text())
        if all(is_running(_managed(p)) for p in cluster.processes):
            print(instructions(cluster))
            return 0
        down(directory)
    directory.mkdir(parents=True, exist_ok=True)
    testbed = _testbed_up(directory / "testbed")
    kubectl = [str(testbed.bin_dir / "kubectl"), "--kubeconfig", str(testbed.kubeconfig)]
    _run([*kubectl, "apply", "-f", str(REPOSITORY_ROOT / "crds")])
    _run([*kubectl, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"])
    _run([*kubectl, "create", "namespace", NAMESPACE], check=False)
    logs = directory / "logs"
    started: list[ManagedProcess] = []
    try:
        catalogs = directory / "catalogs.yaml"
        catalogs.write_text(yaml.safe_dump_all(_documents("ModelCatalog")))
        sim = _start("sim", [*CLI, "sim", "--catalog", str(catalogs), "--port", "0"], logs)
        started.append(sim)
        manifests = directory / "examples.yaml"
        manifests.write_text(yaml.safe_dump_all(_pointed_at(_documents(), _url(sim) + "/v1")))
        _run([*kubectl, "apply", "-f", str(manifests)])
        started.append(_start("operator", _operator_command(testbed), logs))
        _wait_ready(kubectl)
        started.append(_start("gateway", _gateway_command(testbed, directory), logs))
        cluster = DevCluster(
            testbed_state=directory / "testbed",
            kubeconfig=testbed.kubeconfig,
            bin_dir=testbed.bin_dir,
            gateway_url=_url(started[-1]),
            processes=[
                RecordedProcess(name=p.name, pid=p.pid, argv=p.argv, log_path=p.log_path)
                for p in started
            ],
        )
    except BaseException:
        for process in reversed(started):
            stop_managed(process)
        raise
    record_file.write_text(cluster.model_dump_json(indent=2))
    print(instructions(cluster))
    return 0


def down(directory: Path) -> int:
    """Stop the gateway, operator and simulator, then the test bed."""
    record_file = directory / "state.json"
    if record_file.exists():
        cluster = DevCluster.model_validate_json(record_file.read_text())
        for recorded in reversed(cluster.processes):
            stop_managed(_managed(recorded))
        record_file.unlink()
    subprocess.run(
        [*CLI, "testbed", "down", "--state-dir", str(directory / "testbed")], check=False
    )
    return 0


def _testbed_up(state: Path) -> RunState:
    _run([*CLI, "testbed", "up", "--state-dir", str(state)])
    testbed = load(state)
    if testbed is None:
        raise TestbedError(f"tierroute testbed up recorded nothing in {state}")
    return testbed


def _documents(kind: str | None = None) -> list[dict[str, Any]]:
    """The Kubernetes objects of examples/ (of one kind), in the demo namespace."""
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            wanted = kind is None or (isinstance(document, dict) and document.get("kind") == kind)
            if isinstance(document, dict) and "apiVersion" in document and wanted:
                document["metadata"]["namespace"] = NAMESPACE
                found.append(document)
    return found


def _pointed_at(documents: list[dict[str, Any]], base_url: str) -> list[dict[str, Any]]:
    for document in documents:
        if document["kind"] == "ModelCatalog":
            for provider in document["spec"]["providers"]:
                provider["baseURL"] = base_url
    return documents


def _operator_command(testbed: RunState) -> list[str]:
    return [
        *CLI,
        "operator",
        "--namespace",
        NAMESPACE,
        "--kubeconfig",
        str(testbed.kubeconfig),
        "--liveness",
        "http://127.0.0.1:0/healthz",
        "--metrics-host",
        "127.0.0.1",
        "--metrics-port",
        "0",
        "--log-format",
        "text",
    ]


def _gateway_command(testbed: RunState, directory: Path) -> list[str]:
    return [
        *CLI,
        "gateway",
        "--port",
        "0",
        "--watch-configmap",
        f"{NAMESPACE}/default-routing",
        "--kubeconfig",
        str(testbed.kubeconfig),
        "--config",
        str(directory / "gateway" / "routing.json"),
        "--credentials-dir",
        str(directory / "gateway" / "credentials"),
    ]


def _start(name: str, argv: list[str], logs: Path) -> ManagedProcess:
    process = start_process(name, argv, logs / f"{name}.log", detached=True)
    _url(process)  # wait until it listens
    return process


def _url(process: ManagedProcess, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        match = URL.search(process.log_path.read_text(errors="replace"))
        if match:
            return match.group(1)
        if not is_running(process):
            break
        time.sleep(0.1)
    raise TestbedError(f"{process.name} did not start; its log ends:\n{process.log_tail()}")


def _wait_ready(kubectl: list[str]) -> None:
    _run(
        [
            *kubectl,
            "wait",
            "--for=condition=Ready",
            "--timeout=60s",
            "-n",
            NAMESPACE,
            "routingpolicy/default",
        ]
    )


def _run(argv: list[str], *, check: bool = True) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    if check and result.returncode != 0:
        raise TestbedError(f"{shlex.join(argv)} failed: {result.stderr.strip()}")


def instructions(cluster: DevCluster) -> str:
    """What to paste into a shell to use the running stack."""
    gateway = cluster.gateway_url
    [seed] = [d for d in _documents("ModelCatalog") if d["metadata"]["name"] == "default"]
    index = next(i for i, m in enumerate(seed["spec"]["models"]) if m["name"] == "gpt-4o-mini")
    path = f"/spec/models/{index}/pricing/inputPerMillion"
    patch = shlex.quote(f'[{{"op": "replace", "path": "{path}", "value": "0.30"}}]')
    return f"""
tierroute dev cluster is up (namespace {NAMESPACE}); logs in {cluster.processes[0].log_path.parent}

  export KUBECONFIG={shlex.quote(str(cluster.kubeconfig))}
  export PATH={shlex.quote(str(cluster.bin_dir))}:"$PATH"

  kubectl get routingpolicies,modelcatalogs,budgetallocations -n {NAMESPACE}
  kubectl get configmap default-routing -n {NAMESPACE} -o jsonpath='{{.data.routing\\.json}}'
  curl -si {gateway}/v1/chat/completions -H 'content-type: application/json' \\
       -d '{{"model": "gpt-4o-mini", "messages": [{{"role": "user", "content": "hi"}}]}}' \\
       | grep -i x-tierroute
  kubectl patch modelcatalog default -n {NAMESPACE} --type=json -p {patch}
  # ...then the same curl: x-tierroute-cost-usd shows the new price within a second

  stop everything: make dev-cluster-down
"""


def main(arguments: list[str] | None = None) -> int:
    """`up` (default) or `down`."""
    parser = argparse.ArgumentParser(description="The whole tierroute stack on this machine.")
    parser.add_argument("action", nargs="?", choices=("up", "down"), default="up")
    parsed = parser.parse_args(arguments)
    directory = state_directory()
    try:
        return up(directory) if parsed.action == "up" else down(directory)
    except TestbedError as error:
        print(f"dev-cluster: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
