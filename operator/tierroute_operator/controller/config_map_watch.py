"""Watches of the ConfigMaps that hold learned routers, one by name, metadata only.

A policy's reconcile GETs its learned-router ConfigMap; these watches only say *when* to
reconcile again: when the ConfigMap appears, changes or goes. Each watch names one ConfigMap
and asks for metadata only (`PartialObjectMetadata`), so the operator neither streams every
ConfigMap of a namespace, as a kopf watch of `configmaps` would, nor receives an artefact of
up to a megabyte twice. The state kept is the resourceVersion (None when absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tierroute_operator.controller.kubernetes_client import (
    METADATA_LIST,
    METADATA_OBJECT,
    KubernetesClient,
)
from tierroute_operator.controller.named_watch import NamedObjectWatches

Seen = str | None  # the resourceVersion seen, None when the ConfigMap does not exist


def _version(item: Mapping[str, Any] | None) -> Seen:
    if item is None:
        return None
    return str((item.get("metadata") or {}).get("resourceVersion") or "")


class ConfigMapWatches(NamedObjectWatches[Seen]):
    """One metadata-only watch per referenced ConfigMap, calling `on_change` on any change."""

    def __init__(self, client: KubernetesClient, *, watch_timeout_s: float = 120.0) -> None:
        super().__init__(
            client,
            resource="configmaps",
            kind="ConfigMap",
            read=_version,
            accept=(METADATA_LIST, METADATA_OBJECT),
            watch_timeout_s=watch_timeout_s,
        )
