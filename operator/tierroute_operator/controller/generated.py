"""The objects the operator generates for a RoutingPolicy, and whether a stored one is right.

Both are owned by the policy (the garbage collector deletes them with it), carry the standard
labels and the routing table's content hash, and are written by server-side apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tierroute_operator.api.meta import API_VERSION
from tierroute_operator.controller.resources import (
    HASH_ANNOTATION,
    ROUTING_KEY,
    config_map_name,
    credentials_secret_name,
    standard_labels,
)


def owner_reference(policy: str, uid: str) -> dict[str, Any]:
    """The controller reference to a RoutingPolicy."""
    return {
        "apiVersion": API_VERSION,
        "kind": "RoutingPolicy",
        "name": policy,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _metadata(name: str, namespace: str, policy: str, uid: str, table_hash: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": standard_labels(policy),
        "annotations": {HASH_ANNOTATION: table_hash},
        "ownerReferences": [owner_reference(policy, uid)],
    }


def routing_config_map(
    policy: str, namespace: str, uid: str, document: str, table_hash: str
) -> dict[str, Any]:
    """ConfigMap `<policy>-routing` with the canonical routing table under `routing.json`."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(config_map_name(policy), namespace, policy, uid, table_hash),
        "data": {ROUTING_KEY: document},
    }


def credentials_secret(
    policy: str, namespace: str, uid: str, data: Mapping[str, str], table_hash: str
) -> dict[str, Any]:
    """Secret `<policy>-credentials`: provider name → key (base64, copied as stored)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(credentials_secret_name(policy), namespace, policy, uid, table_hash),
        "type": "Opaque",
        "data": dict(data),
    }


def needs_apply(stored: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    """Whether `stored` lacks anything `desired` sets (content, labels, hash, owner)."""
    if stored is None:
        return True
    if (stored.get("data") or {}) != desired.get("data", {}):
        return True
    if desired.get("type") is not None and stored.get("type") != desired["type"]:
        return True
    have, want = stored.get("metadata") or {}, desired["metadata"]
    for field in ("labels", "annotations"):
        present = have.get(field) or {}
        if any(present.get(key) != value for key, value in want[field].items()):
            return True
    owners = {
        (owner.get("uid"), owner.get("controller")) for owner in have.get("ownerReferences") or ()
    }
    return any((owner["uid"], True) not in owners for owner in want["ownerReferences"])


def stored_hash(stored: Mapping[str, Any] | None) -> str | None:
    """The content hash annotation of a stored generated object."""
    if stored is None:
        return None
    annotations = (stored.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(HASH_ANNOTATION)
    return value if isinstance(value, str) else None
