"""Operator propagation latency, scale and memory (issue 5).

Run: .venv/bin/python perf/bench_operator.py [--changes 50] [--policies 1000]

Starts its own test bed (etcd, kube-apiserver, kube-controller-manager from the cache that
`make testbed` fills), installs the CRDs and measures, against real processes:

1. Latency of a price change: `kubectl apply` of the example catalog with one price changed,
   to (a) the ConfigMap holding the new table (seen by a watch of it) and (b) a gateway that
   watches its ConfigMap (`tierroute gateway --watch-configmap`) having loaded it (its
   `table_loaded` log event); p50/p99 over `--changes` changes, timed from the moment kubectl
   is started (its own start-up included) and, separately, from the moment it returned.
2. Scale: `--policies` RoutingPolicies created at once (8 concurrent POSTs) → time until every
   one is Ready at its generation; the operator's RSS then (and its peak, sampled every 0.2 s).

Prints Markdown. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from tierroute_operator.testbed.binaries import cached_bin_dir
from tierroute_operator.testbed.control_plane import (
    ControlPlane,
    install_crds,
    start_control_plane,
    stop_control_plane,
)
from tierroute_operator.testbed.processes import ManagedProcess, start_process, stop_process

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "tierroute_gateway.cli"]
GROUP_PATH = "/apis/tierroute.io/v1alpha1"
LATENCY_NAMESPACE = "bench-latency"
SCALE_NAMESPACE = "bench-scale"
MODEL = "gpt-4o-mini"


def examples(namespace: str) -> list[dict[str, Any]]:
    """The Kubernetes objects of examples/ in `namespace`."""
    documents = []
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and "apiVersion" in document:
                document["metadata"]["namespace"] = namespace
                documents.append(document)
    return documents


def api(control_plane: ControlPlane) -> httpx.Client:
    return httpx.Client(
        base_url=control_plane.server,
        verify=control_plane.ssl_context(),
        headers=control_plane.authorization_header(),
        timeout=30,
    )


def wait_for(probe: Any, what: str, timeout_s: float = 120.0, interval_s: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"{what}: not within {timeout_s:g} s")


def log_line(process: ManagedProcess, marker: str, timeout_s: float = 60) -> str:
    def found() -> str | None:
        text = process.log_path.read_text(errors="replace") if process.log_path.exists() else ""
        return next((line for line in text.splitlines() if marker in line), None)

    line: str = wait_for(found, f"{process.name} printing {marker!r}", timeout_s, 0.05)
    return line


class ConfigMapWatch(threading.Thread):
    """Records when each content hash first appears on a ConfigMap (wall clock)."""

    def __init__(self, control_plane: ControlPlane, namespace: str, name: str) -> None:
        super().__init__(daemon=True)
        self.control_plane, self.namespace, self.name = control_plane, namespace, name
        self.seen: dict[str, float] = {}
        self.stop = False

    def run(self) -> None:
        try:
            self._follow()
        except httpx.HTTPError:
            return  # the control plane stopped at the end of the run

    def _follow(self) -> None:
        path = f"/api/v1/namespaces/{self.namespace}/configmaps"
        params = {
            "fieldSelector": f"metadata.name={self.name}",
            "watch": "true",
            "timeoutSeconds": "600",
        }
        with (
            api(self.control_plane) as client,
            client.stream("GET", path, params=params, timeout=None) as stream,
        ):
            for line in stream.iter_lines():
                if self.stop:
                    return
                if line:
                    event = json.loads(line)
                    annotations = event["object"]["metadata"].get("annotations") or {}
                    value = annotations.get("tierroute.io/hash")
                    if value and value not in self.seen:
                        self.seen[value] = time.time()


def gateway_loads(process: ManagedProcess) -> dict[str, float]:
    """Content hash → wall-clock time of the gateway's `table_loaded` event."""
    loads = {}
    for line in process.log_path.read_text(errors="replace").splitlines():
        if '"table_loaded"' in line:
            event = json.loads(line)
            loads.setdefault(event["hash"], float(event["time"]))
    return loads


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_latency(
    control_plane: ControlPlane, directory: Path, changes: int
) -> dict[str, list[float]]:
    documents = examples(LATENCY_NAMESPACE)
    (directory / "examples.yaml").write_text(yaml.safe_dump_all(documents))
    control_plane.kubectl("apply", "-f", str(directory / "examples.yaml"))
    catalog = next(
        d for d in documents if d["kind"] == "ModelCatalog" and d["metadata"]["name"] == "default"
    )
    index = next(i for i, m in enumerate(catalog["spec"]["models"]) if m["name"] == MODEL)
    policy_path = f"{GROUP_PATH}/namespaces/{LATENCY_NAMESPACE}/routingpolicies/default"
    with api(control_plane) as client:
        wait_for(lambda: _ready_hash(client, policy_path), "the example policy Ready")
    watch = ConfigMapWatch(control_plane, LATENCY_NAMESPACE, "default-routing")
    watch.start()
    gateway = start_process(
        "gateway",
        [
            *CLI,
            "gateway",
            "--port",
            "0",
            "--no-request-log",
            "--config",
            str(directory / "table" / "routing.json"),
            "--watch-configmap",
            f"{LATENCY_NAMESPACE}/default-routing",
            "--kubeconfig",
            str(control_plane.kubeconfig),
            "--credentials-dir",
            str(directory / "none"),
        ],
        directory / "gateway.log",
    )
    results: dict[str, list[float]] = {
        "configmap": [],
        "gateway": [],
        "configmap_after": [],
        "gateway_after": [],
    }
    try:
        log_line(gateway, "listening on")
        with api(control_plane) as client:
            previous = _ready_hash(client, policy_path)
            for change in range(changes):
                changed = copy.deepcopy(catalog)
                pricing = changed["spec"]["models"][index]["pricing"]
                pricing["inputPerMillion"] = f"{0.16 + 0.01 * (change % 40):.2f}"
                pricing["outputPerMillion"] = f"{0.61 + 0.01 * change:.2f}"
                path = directory / f"catalog-{change}.yaml"
                path.write_text(yaml.safe_dump(changed))
                started = time.time()
                control_plane.kubectl("apply", "-f", str(path))
                returned = time.time()
                new = wait_for(
                    lambda old=previous: _changed_hash(client, policy_path, old),
                    "the policy's new hash",
                    timeout_s=30,
                )
                loaded = wait_for(
                    lambda value=new: gateway_loads(gateway).get(value), "gateway load", 30
                )
                seen = wait_for(lambda value=new: watch.seen.get(value), "ConfigMap watch", 30)
                results["configmap"].append(seen - started)
                results["gateway"].append(loaded - started)
                results["configmap_after"].append(seen - returned)
                results["gateway_after"].append(loaded - returned)
                previous = new
    finally:
        watch.stop = True
        stop_process(gateway)
    return results


def _changed_hash(client: httpx.Client, path: str, old: str | None) -> str | None:
    new = _ready_hash(client, path)
    return new if new is not None and new != old else None


def _ready_hash(client: httpx.Client, path: str) -> str | None:
    body = client.get(path).json()
    status = body.get("status") or {}
    ready = any(
        c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
    )
    fresh = status.get("observedGeneration") == body["metadata"]["generation"]
    value: str | None = status.get("hash") if ready and fresh else None
    return value


def measure_scale(
    control_plane: ControlPlane, directory: Path, operator: ManagedProcess, count: int
) -> dict[str, float]:
    documents = examples(SCALE_NAMESPACE)
    supporting = [d for d in documents if d["kind"] != "RoutingPolicy"]
    (directory / "scale.yaml").write_text(yaml.safe_dump_all(supporting))
    control_plane.kubectl("apply", "-f", str(directory / "scale.yaml"))
    template = next(d for d in documents if d["kind"] == "RoutingPolicy")
    collection = f"{GROUP_PATH}/namespaces/{SCALE_NAMESPACE}/routingpolicies"
    process = psutil.Process(operator.pid)
    peak = process.memory_info().rss
    before = peak
    busy = {p.name: psutil.Process(p.pid) for p in [operator, *control_plane.processes]}
    cpu_before = {name: sum(proc.cpu_times()[:2]) for name, proc in busy.items()}

    def create(number: int) -> None:
        body = copy.deepcopy(template)
        body["metadata"] = {"name": f"policy-{number:04d}", "namespace": SCALE_NAMESPACE}
        with api(control_plane) as client:
            client.post(collection, json=body).raise_for_status()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(count)))
    created = time.monotonic() - started
    ready = 0
    with api(control_plane) as client:
        while ready < count:
            listing = client.get(collection, timeout=60).json()
            ready = sum(1 for item in listing["items"] if _is_ready(item))
            peak = max(peak, process.memory_info().rss)
            if time.monotonic() - started > 600:
                raise TimeoutError(f"only {ready} of {count} Ready after 600 s")
            time.sleep(1.0)  # a list of a thousand policies costs the API server too
    all_ready = time.monotonic() - started
    cpu = {name: sum(proc.cpu_times()[:2]) - cpu_before[name] for name, proc in busy.items()}
    time.sleep(2)
    return {
        **{f"cpu {name}": seconds for name, seconds in cpu.items()},
        "created": created,
        "ready": all_ready,
        "rss_before": before,
        "rss": process.memory_info().rss,
        "rss_peak": max(peak, process.memory_info().rss),
    }


def reconcile_counts(metrics_url: str) -> dict[str, float]:
    """Reconciles and writes the operator counted (its /metrics)."""
    counts = {}
    for line in httpx.get(metrics_url).text.splitlines():
        if line.startswith(
            ("tierroute_operator_reconciles_total", "tierroute_operator_writes_tot")
        ):
            name, value = line.rsplit(" ", 1)
            counts[f"count {name.removeprefix('tierroute_operator_')}"] = float(value)
    return counts


def _is_ready(item: dict[str, Any]) -> bool:
    status = item.get("status") or {}
    ready = any(
        c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
    )
    return ready and status.get("observedGeneration") == item["metadata"]["generation"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--policies", type=int, default=1000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-operator-") as temporary:
        directory = Path(temporary)
        control_plane = start_control_plane(cached_bin_dir(), directory / "control-plane")
        try:
            crds = "---\n".join(p.read_text() for p in sorted((ROOT / "crds").glob("*.yaml")))
            install_crds(control_plane, crds)
            for namespace in (LATENCY_NAMESPACE, SCALE_NAMESPACE):
                control_plane.kubectl("create", "namespace", namespace)
            operator = start_process(
                "operator",
                [
                    *CLI,
                    "operator",
                    "--namespace",
                    LATENCY_NAMESPACE,
                    "--namespace",
                    SCALE_NAMESPACE,
                    "--kubeconfig",
                    str(control_plane.kubeconfig),
                    "--liveness",
                    "http://127.0.0.1:0/healthz",
                    "--metrics-host",
                    "127.0.0.1",
                    "--metrics-port",
                    "0",
                ],
                directory / "operator.log",
            )
            try:
                log_line(operator, "listening on")
                latency = measure_latency(control_plane, directory, arguments.changes)
                scale = measure_scale(control_plane, directory, operator, arguments.policies)
                scale |= reconcile_counts(log_line(operator, " metrics on ").split()[-1])
            finally:
                stop_process(operator)
        finally:
            stop_control_plane(control_plane)
    report(latency, scale, arguments)
    return 0


def report(latency: dict[str, list[float]], scale: dict[str, float], arguments: Any) -> None:
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average: "
        f"{' '.join(f'{v:.1f}' for v in psutil.getloadavg())}"
    )
    print(
        f"\n| {arguments.changes} price changes | p50 | p99 | max |\n| --- | ---: | ---: | ---: |"
    )
    labels = {
        "configmap": "kubectl apply started → ConfigMap updated",
        "gateway": "kubectl apply started → gateway serving the new table",
        "configmap_after": "kubectl apply returned → ConfigMap updated",
        "gateway_after": "kubectl apply returned → gateway serving the new table",
    }
    for key, label in labels.items():
        values = latency[key]
        print(
            f"| {label} | {statistics.median(values) * 1000:.0f} ms | "
            f"{percentile(values, 0.99) * 1000:.0f} ms | {max(values) * 1000:.0f} ms |"
        )
    mib = 1024 * 1024
    print(f"\n| {arguments.policies} RoutingPolicies created at once | figure |\n| --- | ---: |")
    print(f"| creating them (8 concurrent POSTs) | {scale['created']:.1f} s |")
    print(f"| from the first POST until all Ready | {scale['ready']:.1f} s |")
    print(
        f"| operator RSS before / after / peak | {scale['rss_before'] / mib:.0f} / "
        f"{scale['rss'] / mib:.0f} / {scale['rss_peak'] / mib:.0f} MiB |"
    )
    for key, seconds in scale.items():
        if key.startswith("cpu "):
            print(f"| CPU time of {key.removeprefix('cpu ')} meanwhile | {seconds:.1f} s |")
    for key, value in scale.items():
        if key.startswith("count "):
            print(f"| `{key.removeprefix('count ')}` (whole run) | {value:.0f} |")


if __name__ == "__main__":
    sys.exit(main())
