"""A fitted artefact as a ConfigMap manifest, and the RoutingPolicy lines that pin it (pure).

`tierroute router fit --configmap NAME` writes the manifest (`kubectl apply -f` it) and
prints the `spec.learnedRouter` snippet. The ConfigMap's value is the artefact's canonical
JSON, byte for byte, so the hash the operator computes is the one printed. The operator copies
the artefact inline into the policy's routing table, whose ConfigMap the API server refuses over
1 MiB; an artefact that leaves the rest of the table too little room is refused here first.
"""

from __future__ import annotations

import re

import yaml

DEFAULT_KEY = "router.json"
"""The data key the RoutingPolicy's `configMapRef.key` defaults to."""
CONFIGMAP_LIMIT_BYTES = 1 << 20
"""The API server's limit on a ConfigMap (the whole object; the data must fit well within)."""
TABLE_ROOM_BYTES = 64 << 10
"""Room left for the rest of the routing table the artefact travels in (catalog, routes…)."""
MAX_ARTEFACT_BYTES = CONFIGMAP_LIMIT_BYTES - TABLE_ROOM_BYTES
"""The largest artefact accepted: it must fit one routing-table ConfigMap with its table."""
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class ConfigMapError(ValueError):
    """A name that Kubernetes would refuse, or an artefact too large for a ConfigMap."""


def configmap_manifest(
    name: str, namespace: str | None, artefact: bytes, artefact_sha256: str
) -> str:
    """The YAML of a ConfigMap holding `artefact` (canonical JSON) under `router.json`."""
    if len(name) > 253 or not _NAME.match(name):
        raise ConfigMapError(
            f"--configmap {name!r}: a ConfigMap name is a DNS subdomain (lowercase letters, "
            "digits, '-' and '.', at most 253 characters)"
        )
    if namespace is not None and (len(namespace) > 63 or not _NAMESPACE.match(namespace)):
        raise ConfigMapError(
            f"--namespace {namespace!r}: a namespace is a DNS label (lowercase letters, "
            "digits and '-', at most 63 characters)"
        )
    if len(artefact) > MAX_ARTEFACT_BYTES:
        raise ConfigMapError(
            f"the artefact is {len(artefact):,} bytes; it travels inline in a routing table "
            f"whose ConfigMap holds at most {CONFIGMAP_LIMIT_BYTES:,}, so at most "
            f"{MAX_ARTEFACT_BYTES:,} are accepted (fit with fewer buckets: --max-buckets)"
        )
    metadata: dict[str, object] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = {
        "app.kubernetes.io/part-of": "tierroute",
        "app.kubernetes.io/component": "learned-router",
    }
    metadata["annotations"] = {"tierroute.io/artefact-sha256": artefact_sha256}
    document = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {DEFAULT_KEY: artefact.decode("utf-8")},
    }
    return yaml.safe_dump(document, sort_keys=False, width=float("inf"), allow_unicode=True)


def policy_snippet(name: str, artefact_sha256: str) -> str:
    """The RoutingPolicy lines that reference the ConfigMap and pin the artefact's hash."""
    return (
        "spec:\n"
        "  learnedRouter:\n"
        f"    configMapRef: {{name: {name}, key: {DEFAULT_KEY}}}\n"
        f'    sha256: "{artefact_sha256}"\n'
    )
