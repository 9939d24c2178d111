"""Kubernetes Events (core/v1) about the object being reconciled (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tierroute_operator.budget_period import rfc3339
from tierroute_operator.controller.outcomes import EventNote
from tierroute_operator.controller.resources import MANAGED_BY
from tierroute_operator.controller.status import shorten

MAX_EVENT_MESSAGE = 1024


def event_body(
    involved: Mapping[str, Any], note: EventNote, identity: str, now: datetime
) -> dict[str, Any]:
    """An Event about `involved` (the object as read), from this operator replica."""
    metadata = involved["metadata"]
    stamp = rfc3339(now)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{metadata['name']}.", "namespace": metadata["namespace"]},
        "involvedObject": {
            "apiVersion": involved.get("apiVersion"),
            "kind": involved.get("kind"),
            "name": metadata["name"],
            "namespace": metadata["namespace"],
            "uid": metadata.get("uid"),
            "resourceVersion": metadata.get("resourceVersion"),
        },
        "type": note.type,
        "reason": note.reason,
        "message": shorten(note.message, MAX_EVENT_MESSAGE),
        "source": {"component": MANAGED_BY},
        "reportingComponent": MANAGED_BY,
        "reportingInstance": identity,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }
