"""The status of a ModelCatalog: is it valid, can its credentials be read, what it declares.

Pure. Per-model observations written by others (automation, the benchmark harness) are kept;
entries of models no longer declared are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tierroute_operator.api import ModelCatalog
from tierroute_operator.controller import reasons
from tierroute_operator.controller import status as conditions
from tierroute_operator.controller.credentials import resolve_credentials
from tierroute_operator.controller.entries import InvalidObject, SecretSnapshot, parse_catalog
from tierroute_operator.controller.outcomes import Failure, StatusPlan, transition_events


def reconcile_catalog(
    body: Mapping[str, Any], secrets: Mapping[str, SecretSnapshot], *, now: datetime
) -> StatusPlan:
    """The status patch, Events and failure for one ModelCatalog."""
    metadata = body["metadata"]
    generation = metadata.get("generation")
    stored: Mapping[str, Any] = body.get("status") or {}
    catalog = parse_catalog(body)
    desired: dict[str, Any] = {"observedGeneration": generation}
    failure: Failure | None
    wanted: tuple[conditions.DesiredCondition, ...]
    if isinstance(catalog, InvalidObject):
        failure = Failure(reasons.SPEC_INVALID, catalog.describe(), permanent=True)
        wanted = (
            conditions.false(conditions.VALID, failure.reason, failure.message),
            conditions.unknown(
                conditions.CREDENTIALS_RESOLVED, reasons.SPEC_INVALID, "The spec does not parse."
            ),
            conditions.false(conditions.READY, failure.reason, failure.message),
        )
    else:
        failure, wanted = _valid_catalog(catalog, secrets, str(metadata["namespace"]))
        desired |= _summary(catalog, stored)
    desired["conditions"] = conditions.merge_conditions(
        stored.get("conditions") or (), wanted, generation=generation, now=now
    )
    ready = wanted[-1]
    events = transition_events(
        conditions.condition_of(stored, conditions.READY),
        ready=ready.is_true,
        reason=ready.reason,
        message=conditions.shorten(ready.message),
    )
    return StatusPlan(conditions.status_patch(stored, desired), events, failure)


def _valid_catalog(
    catalog: ModelCatalog, secrets: Mapping[str, SecretSnapshot], namespace: str
) -> tuple[Failure | None, tuple[conditions.DesiredCondition, ...]]:
    valid = conditions.true(conditions.VALID, reasons.VALID, "The spec is valid.")
    credentials = resolve_credentials(catalog, secrets, namespace)
    if credentials.problems:
        message = "; ".join(problem.message for problem in credentials.problems)
        reason = credentials.problems[0].reason
        failure = Failure(reason, message, permanent=False)
        return failure, (
            valid,
            conditions.false(conditions.CREDENTIALS_RESOLVED, reason, message),
            conditions.false(conditions.READY, reason, message),
        )
    count = len(credentials.data)
    summary = (
        f"{len(catalog.spec.models)} models from {len(catalog.spec.providers)} providers, "
        f"{count} provider key{'s' if count != 1 else ''} readable."
    )
    return None, (
        valid,
        conditions.true(
            conditions.CREDENTIALS_RESOLVED,
            reasons.CREDENTIALS_RESOLVED,
            "Every referenced Secret key is readable.",
        ),
        conditions.true(conditions.READY, reasons.VALID, summary),
    )


def _summary(catalog: ModelCatalog, stored: Mapping[str, Any]) -> dict[str, Any]:
    observed = {
        item.get("name"): item
        for item in stored.get("models") or ()
        if isinstance(item, Mapping) and item.get("name")
    }
    models = [
        dict(observed.get(model.name) or {"name": model.name}) for model in catalog.spec.models
    ]
    return {
        "modelCount": len(catalog.spec.models),
        "providerCount": len(catalog.spec.providers),
        "models": models,
    }
