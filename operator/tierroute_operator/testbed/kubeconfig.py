"""Kubeconfig files that reach the test bed's API server with a bearer token."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

CONTEXT = "tierroute-testbed"


def write_kubeconfig(
    path: Path, *, server: str, ca_certificate: Path, token: str, user: str
) -> Path:
    """Write a kubeconfig for `user` (owner-only, it holds the token) and return its path."""
    certificate_data = base64.b64encode(ca_certificate.read_bytes()).decode()
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CONTEXT,
                "cluster": {"server": server, "certificate-authority-data": certificate_data},
            }
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": user, "namespace": "default"},
            }
        ],
        "current-context": CONTEXT,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        yaml.safe_dump(document, file, sort_keys=False)
    return path
