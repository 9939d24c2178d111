"""The resourceVersions the operator's own writes produced, to ignore their watch events.

Every status patch and apply comes back through the watches as an event. Reconciling again
would find nothing to do, at the cost of a few reads per object; at a thousand policies that
doubles the work, so events whose resourceVersion is one the operator wrote are skipped.
"""

from __future__ import annotations

WriteKey = tuple[str, str, str]  # (kind, namespace, name)


class OwnWrites:
    """The last resourceVersion the operator wrote, per object."""

    def __init__(self) -> None:
        self._versions: dict[WriteKey, str] = {}

    def record(self, kind: str, namespace: str, name: str, resource_version: str | None) -> None:
        """Remember the resourceVersion a write returned."""
        if resource_version:
            self._versions[(kind, namespace, name)] = resource_version

    def is_own(self, kind: str, namespace: str, name: str, resource_version: str | None) -> bool:
        """Whether an event shows exactly the object as the operator last wrote it."""
        return (
            resource_version is not None
            and self._versions.get((kind, namespace, name)) == resource_version
        )

    def forget(self, kind: str, namespace: str, name: str) -> None:
        """Drop what is known about a deleted object."""
        self._versions.pop((kind, namespace, name), None)
