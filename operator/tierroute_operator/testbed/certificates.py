"""Throwaway certificates for the control plane, made with the `openssl` command.

An ECDSA CA, a serving certificate for 127.0.0.1 signed by it, and an RSA key pair that signs and
verifies service-account tokens. Everything lives in one directory that dies with the test bed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tierroute_operator.testbed.errors import TestbedError

VALID_DAYS = "30"
# P-256 for the CA and the serving certificate: generated in milliseconds, unlike RSA. The
# service-account key stays RSA (RS256), the default every Kubernetes client expects.
EC_KEY = ("-pkeyopt", "ec_paramgen_curve:prime256v1")
SERVING_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
"""


@dataclass(frozen=True)
class Certificates:
    """Paths of the PEM files the control plane needs."""

    ca_certificate: Path
    ca_key: Path
    serving_certificate: Path
    serving_key: Path
    service_account_key: Path
    service_account_public_key: Path


def generate_certificates(directory: Path) -> Certificates:
    """Write a fresh CA, serving certificate and service-account key pair into `directory`."""
    if shutil.which("openssl") is None:
        raise TestbedError("openssl not found: install it (apt-get install openssl)")
    directory.mkdir(parents=True, exist_ok=True)
    certificates = Certificates(
        ca_certificate=directory / "ca.crt",
        ca_key=directory / "ca.key",
        serving_certificate=directory / "serving.crt",
        serving_key=directory / "serving.key",
        service_account_key=directory / "service-account.key",
        service_account_public_key=directory / "service-account.pub",
    )
    _write_ca(certificates)
    _write_serving_certificate(certificates, directory)
    _write_service_account_keys(certificates)
    return certificates


def _write_ca(certificates: Certificates) -> None:
    _openssl(
        "req", "-x509", "-newkey", "ec", *EC_KEY, "-nodes", "-days", VALID_DAYS,
        "-subj", "/CN=tierroute-testbed-ca",
        "-keyout", str(certificates.ca_key), "-out", str(certificates.ca_certificate),
    )  # fmt: skip


def _write_serving_certificate(certificates: Certificates, directory: Path) -> None:
    request = directory / "serving.csr"
    extensions = directory / "serving.ext"
    extensions.write_text(SERVING_EXTENSIONS)
    _openssl(
        "req", "-new", "-newkey", "ec", *EC_KEY, "-nodes", "-subj", "/CN=kube-apiserver",
        "-keyout", str(certificates.serving_key), "-out", str(request),
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(request), "-days", VALID_DAYS,
        "-CA", str(certificates.ca_certificate), "-CAkey", str(certificates.ca_key),
        "-CAcreateserial", "-extfile", str(extensions),
        "-out", str(certificates.serving_certificate),
    )  # fmt: skip


def _write_service_account_keys(certificates: Certificates) -> None:
    _openssl(
        "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
        "-out", str(certificates.service_account_key),
    )  # fmt: skip
    _openssl(
        "pkey", "-in", str(certificates.service_account_key), "-pubout",
        "-out", str(certificates.service_account_public_key),
    )  # fmt: skip


def _openssl(*arguments: str) -> None:
    result = subprocess.run(
        ["openssl", *arguments], capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0:
        raise TestbedError(
            f"openssl {arguments[0]} failed (exit {result.returncode}): {result.stderr.strip()}"
        )
