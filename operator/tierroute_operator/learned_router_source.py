"""A policy's learned router, read from the ConfigMap its `spec.learnedRouter` names (pure).

The operator reads that ConfigMap through the API; `tierroute compile`, `explain` and `run
--manifests` find it among the manifest files. Both hand its data here and get the parsed
artefact with where it came from, or an error naming the policy, the field, the ConfigMap and
the key. The pinned hash is not checked here: the compiler compares it, so that every path
reports a mismatch the same way. No message ever quotes the artefact's content.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tierroute_gateway.learned_router.artefact import (
    LearnedRouter,
    LearnedRouterError,
    load_learned_router,
)
from tierroute_operator.api import RoutingPolicy
from tierroute_operator.api.learned_router import LearnedRouterRef


@dataclass(frozen=True)
class ResolvedLearnedRouter:
    """A fitted learned router and where it was read (`configmap NAMESPACE/NAME KEY`)."""

    artefact: LearnedRouter
    source: str


class SourceProblem(StrEnum):
    """Why the artefact could not be read."""

    NOT_FOUND = "not-found"
    INVALID = "invalid"


class LearnedRouterSourceError(ValueError):
    """The referenced ConfigMap, its key or the artefact in it is missing or unusable."""

    def __init__(self, problem: SourceProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def config_map_source(namespace: str, reference: LearnedRouterRef) -> str:
    """`configmap NAMESPACE/NAME KEY`, how a table and messages name the artefact's origin."""
    return f"configmap {namespace}/{reference.config_map_ref.name} {reference.config_map_ref.key}"


def config_map_data(config_map: Mapping[str, Any]) -> dict[str, str | bytes]:
    """A ConfigMap's entries: `data` as text, `binaryData` decoded (undecodable ones skipped)."""
    entries: dict[str, str | bytes] = {}
    for key, value in (config_map.get("binaryData") or {}).items():
        if isinstance(value, str):
            try:
                entries[str(key)] = base64.b64decode(value, validate=True)
            except binascii.Error:
                continue
    for key, value in (config_map.get("data") or {}).items():
        if isinstance(value, str):
            entries[str(key)] = value
    return entries


def read_learned_router(
    policy: RoutingPolicy,
    namespace: str,
    entries: Mapping[str, str | bytes] | None,
    *,
    absent: str,
) -> ResolvedLearnedRouter:
    """The artefact of `policy.spec.learnedRouter` from its ConfigMap's entries (None: absent).

    `absent` ends the message of a missing ConfigMap ("not found in namespace team-a").
    """
    reference = policy.spec.learned_router
    if reference is None:
        raise ValueError(f"RoutingPolicy {policy.metadata.name} has no spec.learnedRouter")
    where = f"RoutingPolicy {policy.metadata.name}: spec.learnedRouter.configMapRef"
    name, key = reference.config_map_ref.name, reference.config_map_ref.key
    if entries is None:
        raise LearnedRouterSourceError(
            SourceProblem.NOT_FOUND, f"{where}.name: ConfigMap {name!r} (key {key!r}) {absent}"
        )
    document = entries.get(key)
    if document is None:
        present = ", ".join(repr(item) for item in sorted(entries)) or "none"
        raise LearnedRouterSourceError(
            SourceProblem.NOT_FOUND,
            f"{where}.key: ConfigMap {name!r} has no key {key!r} (keys: {present})",
        )
    try:
        artefact = load_learned_router(document)
    except LearnedRouterError as error:
        raise LearnedRouterSourceError(
            SourceProblem.INVALID,
            f"{where}: ConfigMap {name!r} key {key!r} does not hold a usable learned router "
            f"(pinned {reference.sha256}): {error}",
        ) from error
    return ResolvedLearnedRouter(artefact, config_map_source(namespace, reference))
