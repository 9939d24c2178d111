"""How the operator reaches the API server: a kubeconfig file or the pod's ServiceAccount.

kopf's own minimal login functions read either; the same connection serves kopf's watches and
the operator's own client, so both act as the same user.
"""

from __future__ import annotations

import os
from pathlib import Path

import kopf


class LoginError(RuntimeError):
    """Neither the given kubeconfig nor an in-cluster ServiceAccount could be used."""


def login(kubeconfig: Path | None) -> kopf.ConnectionInfo:
    """Connection details: `kubeconfig`, else the in-cluster ServiceAccount, else $KUBECONFIG."""
    settings = kopf.OperatorSettings()
    if kubeconfig is not None:
        if not kubeconfig.is_file():
            raise LoginError(f"--kubeconfig {kubeconfig}: no such file")
        os.environ["KUBECONFIG"] = str(kubeconfig)
        info = kopf.login_with_kubeconfig(settings=settings)
    else:
        info = kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(
            settings=settings
        )
    if info is None:
        raise LoginError(
            "no credentials: pass --kubeconfig, set KUBECONFIG, or run in a pod with a "
            "ServiceAccount token"
        )
    return info
