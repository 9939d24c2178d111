"""Condition reasons and Event reasons: CamelCase words, part of the API users script against."""

from __future__ import annotations

# Ready=True and the specific conditions when all is well.
APPLIED = "Applied"
RESOLVED = "Resolved"
COMPILED = "Compiled"
VALID = "Valid"
CREDENTIALS_RESOLVED = "CredentialsResolved"
PERIOD_COMPUTED = "AllocationComputed"

# Why not.
SPEC_INVALID = "SpecInvalid"
REFERENCE_NOT_FOUND = "ReferenceNotFound"
REFERENCE_INVALID = "ReferenceInvalid"
REFERENCE_FORBIDDEN = "ReferenceForbidden"
REFERENCE_PENDING = "ReferencePending"
COMPILE_FAILED = "CompileFailed"
APPLY_FAILED = "ApplyFailed"
REFERENCES_UNRESOLVED = "ReferencesUnresolved"
NOT_COMPILED = "NotCompiled"

# Events.
TABLE_UPDATED = "RoutingTableUpdated"
TABLE_RESTORED = "RoutingTableRestored"
CREDENTIALS_UPDATED = "CredentialsUpdated"
RECOVERED = "Recovered"
