"""What the pure reconcile functions return besides objects: Events, failures, status plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

EventType = Literal["Normal", "Warning"]


@dataclass(frozen=True)
class EventNote:
    """An Event to post about the object being reconciled."""

    type: EventType
    reason: str
    message: str


@dataclass(frozen=True)
class Failure:
    """Why a reconcile could not finish; `permanent` ones wait for the object to change."""

    reason: str
    message: str
    permanent: bool


@dataclass(frozen=True)
class StatusPlan:
    """A status patch (None: stored status is right) and the Events to post."""

    status: dict[str, Any] | None
    events: tuple[EventNote, ...] = ()
    failure: Failure | None = None


def transition_events(
    before: Mapping[str, Any] | None, ready: bool, reason: str, message: str
) -> tuple[EventNote, ...]:
    """A Warning when Ready turns False (or its reason/message change), Normal when it recovers."""
    if ready:
        if before is not None and before.get("status") == "False":
            return (EventNote("Normal", "Recovered", f"Ready again: {message}"),)
        return ()
    unchanged = before is not None and (
        before.get("status") == "False"
        and before.get("reason") == reason
        and before.get("message") == message
    )
    return () if unchanged else (EventNote("Warning", reason, message),)
