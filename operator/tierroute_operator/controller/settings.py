"""How the operator runs: the command line's choices, and the kopf settings they imply."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import kopf
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tierroute_operator.controller.resources import MANAGED_SELECTOR


def default_identity() -> str:
    """This replica's name in the Lease and in Events: the pod (host) name and process id."""
    return f"{socket.gethostname()}-{os.getpid()}"


class OperatorConfig(BaseModel):
    """Settings of one operator process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespaces: tuple[str, ...] = Field(default=(), description="Namespaces to watch.")
    all_namespaces: bool = Field(default=False, description="Watch every namespace instead.")
    kubeconfig: Path | None = Field(
        default=None, description="Kubeconfig file; else the in-cluster ServiceAccount."
    )
    liveness_url: str | None = Field(
        default=None,
        description="Serve liveness at this URL (http://HOST:PORT/PATH) and readiness at "
        "/readyz on the same port; port 0 picks a free one.",
    )
    metrics_host: str = Field(default="0.0.0.0", description="Address /metrics binds to.")
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="Serve /metrics on this port (0: any free)."
    )
    workers: int = Field(default=4, ge=1, le=64, description="Concurrent reconciles.")
    resync_s: float = Field(default=300.0, gt=0, description="Full resync period in seconds.")
    lease: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+/[a-z0-9.-]+$",
        description="NAMESPACE/NAME of the Lease that elects the active replica.",
    )
    lease_duration_s: float = Field(
        default=15.0, ge=2, description="How long a Lease holds without renewal."
    )
    identity: str = Field(default_factory=default_identity, description="This replica's name.")
    watch_server_timeout_s: float = Field(
        default=120.0, gt=0, description="The API server ends each watch after this long."
    )
    watch_client_timeout_s: float = Field(
        default=150.0, gt=0, description="A watch request that outlives this is abandoned."
    )
    connect_timeout_s: float = Field(default=10.0, gt=0, description="TCP/TLS connect timeout.")
    request_timeout_s: float = Field(default=30.0, gt=0, description="Non-watch request timeout.")
    log_format: str = Field(default="json", pattern="^(json|text)$", description="Log format.")
    verbose: bool = Field(default=False, description="Debug logging.")

    @model_validator(mode="after")
    def _scope(self) -> OperatorConfig:
        if self.all_namespaces == bool(self.namespaces):
            raise ValueError("give --namespace NS (repeatable) or --all-namespaces, not both")
        if self.watch_client_timeout_s <= self.watch_server_timeout_s:
            raise ValueError("the watch client timeout must exceed the server timeout")
        return self


class NoDiffBase(kopf.DiffBaseStorage):
    """No change-detecting handler is used: spare kopf a deep copy of every object it sees."""

    def build(
        self, *, body: kopf.Body, extra_fields: Iterable[Any] | None = None
    ) -> kopf.BodyEssence:
        """An empty essence: there is nothing to compare."""
        return kopf.BodyEssence()

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        """Nothing is stored."""
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        """Nothing is stored (no annotation is written to the objects)."""


def kopf_settings(config: OperatorConfig) -> kopf.OperatorSettings:
    """kopf's settings: bounded watches, no CRD scanning, no own Events, standalone."""
    settings = kopf.OperatorSettings()
    # A watch that goes silent is ended by the server, or abandoned by the client a bit later.
    settings.watching.server_timeout = round(config.watch_server_timeout_s)  # an integer query
    settings.watching.client_timeout = config.watch_client_timeout_s
    settings.watching.connect_timeout = config.connect_timeout_s
    settings.networking.request_timeout = config.request_timeout_s
    settings.networking.connect_timeout = config.connect_timeout_s
    # Only the generated ConfigMaps are watched (server-side filter: small memory).
    settings.watching.label_selectors["v1", "configmaps"] = MANAGED_SELECTOR
    # The CRDs must exist at start; watching them would need cluster-wide RBAC.
    settings.scanning.disabled = True
    # Events are posted by the operator itself, with reasons of its own.
    settings.posting.enabled = False
    # Index and event handlers only: no diff base to build, none to store in annotations.
    settings.persistence.diffbase_storage = NoDiffBase()
    # One active replica is chosen by the Lease, not by kopf peering.
    settings.peering.standalone = True
    return settings
