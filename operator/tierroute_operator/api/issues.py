"""Problems found in a custom resource, each addressed by its JSON field path.

Cross-field rules run in pydantic validators, which can only raise at the level of the model
that holds the fields. `InvalidFieldsError` carries the path below that level, so that the error
shown to a user reads `spec.models[3].provider: ...` rather than `spec: ...`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldIssue:
    """One broken rule: where (a JSON path relative to the validated model) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InvalidFieldsError(ValueError):
    """Raised by a validator that found one or more broken cross-field rules."""

    def __init__(self, issues: Sequence[FieldIssue]) -> None:
        super().__init__("; ".join(str(issue) for issue in issues))
        self.issues = tuple(issues)


def raise_if_any(issues: Sequence[FieldIssue]) -> None:
    """Raise `InvalidFieldsError` when the list is not empty."""
    if issues:
        raise InvalidFieldsError(issues)


def join_path(prefix: str, suffix: str) -> str:
    """Join two JSON paths: `spec.models` + `[3].provider`, `spec` + `models`."""
    if not prefix:
        return suffix
    if not suffix:
        return prefix
    if suffix.startswith("["):
        return prefix + suffix
    return f"{prefix}.{suffix}"


def duplicate_names(names: Sequence[str], field: str = "name") -> list[FieldIssue]:
    """An issue for every entry whose `field` repeats an earlier entry's (`[3].name`)."""
    first_index: dict[str, int] = {}
    issues = []
    for index, name in enumerate(names):
        if name in first_index:
            issues.append(
                FieldIssue(
                    f"[{index}].{field}",
                    f"duplicate {field} {name!r} (already used by entry {first_index[name]})",
                )
            )
        else:
            first_index[name] = index
    return issues


def duplicate_values(values: Sequence[str]) -> list[FieldIssue]:
    """An issue for every value that repeats an earlier one (`[2]`)."""
    seen: set[str] = set()
    issues = []
    for index, value in enumerate(values):
        if value in seen:
            issues.append(FieldIssue(f"[{index}]", f"duplicate value {str(value)!r}"))
        seen.add(value)
    return issues
