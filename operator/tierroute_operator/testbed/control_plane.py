"""A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager.

Like controller-runtime's envtest: no scheduler and no kubelet, so objects are stored,
validated, watched and garbage-collected, but Deployments get no Pods. Every process listens on
127.0.0.1 on a free port and is stopped by its own process id.
"""

from __future__ import annotations

import os
import secrets
import ssl
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tierroute_operator.testbed.certificates import Certificates, generate_certificates
from tierroute_operator.testbed.errors import TestbedError
from tierroute_operator.testbed.kubeconfig import write_kubeconfig
from tierroute_operator.testbed.ports import LOOPBACK, free_ports
from tierroute_operator.testbed.processes import ManagedProcess, start_process, stop_process
from tierroute_operator.testbed.readiness import wait_for_log_line, wait_until_ready

REQUIRED_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kubectl")
CONTROLLERS = "garbagecollector,namespace,serviceaccount-token,serviceaccount"
ADMIN_USER = "admin"
GARBAGE_COLLECTOR_SYNCED = "Garbage collector: all resource monitors have synced"
# Stopped in this order: the API server exits slowly once etcd is gone.
STOP_ORDER = ("kube-controller-manager", "kube-apiserver", "etcd")


@dataclass
class ControlPlane:
    """A running control plane: where it listens, how to authenticate, what it runs."""

    directory: Path
    bin_dir: Path
    server: str
    ca_certificate: Path
    kubeconfig: Path
    token: str = field(repr=False)
    detached: bool = False
    processes: list[ManagedProcess] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        """Environment for tools run against this control plane (KUBECONFIG, PATH, helm dirs)."""
        helm_home = self.directory / "helm"
        return {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "HELM_CACHE_HOME": str(helm_home / "cache"),
            "HELM_CONFIG_HOME": str(helm_home / "config"),
            "HELM_DATA_HOME": str(helm_home / "data"),
        }

    def kubectl(
        self,
        *arguments: str,
        stdin_text: str | None = None,
        check: bool = True,
        timeout_s: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl with this control plane's kubeconfig; raise on failure when `check`."""
        argv = [str(self.bin_dir / "kubectl"), "--kubeconfig", str(self.kubeconfig), *arguments]
        return run_tool(
            argv, self.environment(), stdin_text=stdin_text, check=check, timeout_s=timeout_s
        )

    def helm(
        self, *arguments: str, check: bool = True, timeout_s: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run helm with this control plane's kubeconfig; raise on failure when `check`."""
        argv = [str(self.bin_dir / "helm"), "--kubeconfig", str(self.kubeconfig), *arguments]
        return run_tool(argv, self.environment(), check=check, timeout_s=timeout_s)

    def ssl_context(self) -> ssl.SSLContext:
        """A TLS context that trusts this control plane's CA, for direct HTTP API calls."""
        return ssl.create_default_context(cafile=str(self.ca_certificate))

    def authorization_header(self) -> dict[str, str]:
        """The admin bearer-token header for direct HTTP API calls."""
        return {"Authorization": f"Bearer {self.token}"}


def run_tool(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    stdin_text: str | None = None,
    check: bool = True,
    timeout_s: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run a command-line tool, capture its output, raise a TestbedError naming it on failure."""
    try:
        result = subprocess.run(
            list(argv), input=stdin_text, capture_output=True, text=True, env=env,
            timeout=timeout_s, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise TestbedError(f"{_describe(argv)} did not finish within {timeout_s:.0f} s") from error
    if check and result.returncode != 0:
        raise TestbedError(
            f"{_describe(argv)} failed (exit {result.returncode}): {result.stderr.strip()}"
        )
    return result


def _describe(argv: Sequence[str]) -> str:
    return " ".join([Path(argv[0]).name, *argv[1:]])


def missing_binaries(bin_dir: Path) -> list[str]:
    """The binaries the control plane needs that `bin_dir` lacks."""
    return [name for name in REQUIRED_BINARIES if not os.access(bin_dir / name, os.X_OK)]


def start_control_plane(
    bin_dir: Path, directory: Path, *, detached: bool = False, timeout_s: float = 90
) -> ControlPlane:
    """Start etcd, kube-apiserver and kube-controller-manager in `directory` and wait for them.

    Returns once the API server answers /readyz and the controller manager has created the
    `default` ServiceAccount. On failure stops whatever it started and raises TestbedError.
    """
    missing = missing_binaries(bin_dir)
    if missing:
        raise TestbedError(f"{bin_dir} lacks {', '.join(missing)}: run tests/testbed/build.sh")
    directory.mkdir(parents=True, exist_ok=True)
    certificates = generate_certificates(directory / "pki")
    etcd_client, etcd_peer, apiserver_port = free_ports(3)
    control_plane = ControlPlane(
        directory=directory,
        bin_dir=bin_dir,
        server=f"https://{LOOPBACK}:{apiserver_port}",
        ca_certificate=certificates.ca_certificate,
        kubeconfig=directory / "kubeconfig",
        token=secrets.token_urlsafe(32),
        detached=detached,
    )
    try:
        _start_etcd(control_plane, etcd_client, etcd_peer, timeout_s)
        _start_apiserver(control_plane, certificates, etcd_client, timeout_s)
        _start_controller_manager(control_plane, certificates, timeout_s)
    except BaseException:
        stop_control_plane(control_plane)
        raise
    return control_plane


def _start_etcd(
    control_plane: ControlPlane, client_port: int, peer_port: int, timeout_s: float
) -> None:
    client_url = f"http://{LOOPBACK}:{client_port}"
    argv = [
        str(control_plane.bin_dir / "etcd"),
        "--name=testbed",
        f"--data-dir={control_plane.directory / 'etcd'}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls=http://{LOOPBACK}:{peer_port}",
        f"--initial-advertise-peer-urls=http://{LOOPBACK}:{peer_port}",
        f"--initial-cluster=testbed=http://{LOOPBACK}:{peer_port}",
        "--unsafe-no-fsync",
        "--log-level=warn",
    ]
    etcd = _start(control_plane, "etcd", argv)
    wait_until_ready(
        etcd, f"{client_url}/health", expect_body='"health":"true"', timeout_s=timeout_s
    )


def _start_apiserver(
    control_plane: ControlPlane,
    certificates: Certificates,
    etcd_client_port: int,
    timeout_s: float,
) -> None:
    token_file = control_plane.directory / "tokens.csv"
    descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{control_plane.token},{ADMIN_USER},{ADMIN_USER}-uid,system:masters\n")
    port = control_plane.server.rsplit(":", 1)[1]
    argv = [
        str(control_plane.bin_dir / "kube-apiserver"),
        f"--etcd-servers=http://{LOOPBACK}:{etcd_client_port}",
        f"--bind-address={LOOPBACK}",
        f"--advertise-address={LOOPBACK}",
        f"--secure-port={port}",
        f"--cert-dir={control_plane.directory / 'apiserver-certs'}",
        f"--tls-cert-file={certificates.serving_certificate}",
        f"--tls-private-key-file={certificates.serving_key}",
        f"--client-ca-file={certificates.ca_certificate}",
        "--service-account-issuer=https://kubernetes.default.svc",
        f"--service-account-key-file={certificates.service_account_public_key}",
        f"--service-account-signing-key-file={certificates.service_account_key}",
        f"--token-auth-file={token_file}",
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--endpoint-reconciler-type=none",
        "--disable-admission-plugins=ServiceAccount",
        "--profiling=false",
    ]
    apiserver = _start(control_plane, "kube-apiserver", argv)
    write_kubeconfig(
        control_plane.kubeconfig,
        server=control_plane.server,
        ca_certificate=control_plane.ca_certificate,
        token=control_plane.token,
        user=ADMIN_USER,
    )
    wait_until_ready(
        apiserver,
        f"{control_plane.server}/readyz",
        expect_body="ok",
        headers=control_plane.authorization_header(),
        ssl_context=control_plane.ssl_context(),
        timeout_s=timeout_s,
    )


def _start_controller_manager(
    control_plane: ControlPlane, certificates: Certificates, timeout_s: float
) -> None:
    kubeconfig = str(control_plane.kubeconfig)
    argv = [
        str(control_plane.bin_dir / "kube-controller-manager"),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--bind-address={LOOPBACK}",
        "--secure-port=0",
        "--leader-elect=false",
        f"--controllers={CONTROLLERS}",
        f"--service-account-private-key-file={certificates.service_account_key}",
        f"--root-ca-file={certificates.ca_certificate}",
    ]
    controller_manager = _start(control_plane, "kube-controller-manager", argv)
    # The serviceaccount controller creating `default` shows the controllers are running.
    wait_until_ready(
        controller_manager,
        f"{control_plane.server}/api/v1/namespaces/default/serviceaccounts/default",
        headers=control_plane.authorization_header(),
        ssl_context=control_plane.ssl_context(),
        timeout_s=timeout_s,
    )


def _start(control_plane: ControlPlane, name: str, argv: list[str]) -> ManagedProcess:
    log_path = control_plane.directory / "logs" / f"{name}.log"
    process = start_process(name, argv, log_path, detached=control_plane.detached)
    control_plane.processes.append(process)
    return process


def stop_control_plane(control_plane: ControlPlane, *, timeout_s: float = 30) -> None:
    """Stop the controller manager and API server, then etcd, each by its own process id."""
    by_name = {process.name: process for process in control_plane.processes}
    for name in STOP_ORDER:
        process = by_name.get(name)
        if process is not None:
            stop_process(process, timeout_s=timeout_s)


def restart_controller_manager(control_plane: ControlPlane, *, timeout_s: float = 60) -> None:
    """Restart kube-controller-manager and wait until its garbage collector watches every kind.

    The garbage collector looks for new kinds only every 30 s, so owner references to a CRD's
    objects can go unnoticed that long after the CRD is installed; a restart makes it see them.
    """
    old = next(p for p in control_plane.processes if p.name == "kube-controller-manager")
    stop_process(old)
    control_plane.processes.remove(old)
    offset = old.log_path.stat().st_size
    new = _start(control_plane, old.name, old.argv)
    wait_for_log_line(new, GARBAGE_COLLECTOR_SYNCED, offset=offset, timeout_s=timeout_s)


def install_crds(
    control_plane: ControlPlane, manifests: str, *, timeout_s: float = 60
) -> list[str]:
    """Apply CustomResourceDefinitions (YAML), wait until Established, make the garbage
    collector aware of them; return their `customresourcedefinition.../<name>` names."""
    applied = control_plane.kubectl("apply", "-o", "name", "-f", "-", stdin_text=manifests)
    names = applied.stdout.split()
    control_plane.kubectl(
        "wait", "--for=condition=Established", f"--timeout={timeout_s:.0f}s", *names
    )
    restart_controller_manager(control_plane, timeout_s=timeout_s)
    return names


def create_service_account_token(
    control_plane: ControlPlane, namespace: str, service_account: str, *, duration: str = "1h"
) -> str:
    """A bound token for a ServiceAccount (TokenRequest API), for RBAC tests."""
    result = control_plane.kubectl(
        "create", "token", service_account, "--namespace", namespace, f"--duration={duration}"
    )
    return result.stdout.strip()


def write_service_account_kubeconfig(
    control_plane: ControlPlane, namespace: str, service_account: str, path: Path
) -> Path:
    """A kubeconfig that acts as the ServiceAccount, so a test sees what RBAC lets it do."""
    token = create_service_account_token(control_plane, namespace, service_account)
    return write_kubeconfig(
        path,
        server=control_plane.server,
        ca_certificate=control_plane.ca_certificate,
        token=token,
        user=f"system:serviceaccount:{namespace}:{service_account}",
    )
