"""Status conditions and status patches, following the Kubernetes API conventions.

A condition's `lastTransitionTime` changes only when its `status` changes; conditions of types
this operator does not manage are kept as they are, so other writers' conditions survive.
A status patch holds only the declared fields whose value differs from what is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tierroute_operator.api.meta import ConditionStatus
from tierroute_operator.budget_period import rfc3339

MAX_MESSAGE_CHARACTERS = 4000
MAX_WARNING_CHARACTERS = 1000

READY = "Ready"
REFERENCES_RESOLVED = "ReferencesResolved"
COMPILED = "Compiled"
APPLIED = "Applied"
VALID = "Valid"
CREDENTIALS_RESOLVED = "CredentialsResolved"


@dataclass(frozen=True)
class DesiredCondition:
    """A condition as the operator wants it, before times are filled in."""

    type: str
    status: ConditionStatus
    reason: str
    message: str

    @property
    def is_true(self) -> bool:
        """Whether the condition holds."""
        return self.status is ConditionStatus.TRUE


def true(kind: str, reason: str, message: str) -> DesiredCondition:
    """A condition that holds."""
    return DesiredCondition(kind, ConditionStatus.TRUE, reason, message)


def false(kind: str, reason: str, message: str) -> DesiredCondition:
    """A condition that does not hold."""
    return DesiredCondition(kind, ConditionStatus.FALSE, reason, message)


def unknown(kind: str, reason: str, message: str) -> DesiredCondition:
    """A condition that cannot be judged yet."""
    return DesiredCondition(kind, ConditionStatus.UNKNOWN, reason, message)


def shorten(text: str, limit: int = MAX_MESSAGE_CHARACTERS) -> str:
    """`text` cut to `limit` characters, saying so when cut."""
    return text if len(text) <= limit else text[: limit - 15] + " … (truncated)"


def merge_conditions(
    existing: Iterable[Mapping[str, Any]],
    desired: Sequence[DesiredCondition],
    *,
    generation: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """The conditions to store: `desired` ones first, then the others kept unchanged."""
    previous = {str(item.get("type")): item for item in existing if isinstance(item, Mapping)}
    merged = []
    for condition in desired:
        before = previous.get(condition.type)
        unchanged = before is not None and before.get("status") == condition.status.value
        transition = before.get("lastTransitionTime") if unchanged and before else None
        item: dict[str, Any] = {
            "type": condition.type,
            "status": condition.status.value,
            "reason": condition.reason,
            "message": shorten(condition.message),
            "lastTransitionTime": transition or rfc3339(now),
        }
        if generation is not None:
            item["observedGeneration"] = generation
        merged.append(item)
    managed = {condition.type for condition in desired}
    merged += [dict(item) for kind, item in previous.items() if kind not in managed]
    return merged


def condition_of(status: Mapping[str, Any] | None, kind: str) -> Mapping[str, Any] | None:
    """The stored condition of that type, if any."""
    for item in (status or {}).get("conditions") or ():
        if isinstance(item, Mapping) and item.get("type") == kind:
            return item
    return None


def status_patch(
    current: Mapping[str, Any] | None, desired: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The fields of `desired` whose stored value differs, or None when all match."""
    stored = current or {}
    changed = {field: value for field, value in desired.items() if stored.get(field) != value}
    return changed or None
