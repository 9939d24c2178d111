"""The one place failures become kopf's error types, which decide whether and when to retry.

An invalid spec is a `kopf.PermanentError`: nothing is retried until the object (or one it
references) changes. A dependency not there yet, or an API call that failed, is a
`kopf.TemporaryError` with a delay. The work queue (`controller.py`) honours both.
"""

from __future__ import annotations

import kopf

from tierroute_operator.controller.kubernetes_client import ApiError
from tierroute_operator.controller.outcomes import Failure

DEPENDENCY_RETRY_S = 30.0
CONFLICT_RETRY_S = 0.2
API_RETRY_S = 5.0


def raise_for_failure(failure: Failure | None, subject: str) -> None:
    """Raise the kopf error that says how to retry `failure` (nothing when there is none)."""
    if failure is None:
        return
    message = f"{subject}: {failure.reason}: {failure.message}"
    if failure.permanent:
        raise kopf.PermanentError(message)
    raise kopf.TemporaryError(message, delay=DEPENDENCY_RETRY_S)


def api_failure(error: ApiError, subject: str) -> kopf.TemporaryError:
    """A failed API call, retried soon (a conflict at once: it only means "read again")."""
    delay = API_RETRY_S
    if error.status == 409:
        delay = CONFLICT_RETRY_S
    elif error.retry_after is not None:
        delay = error.retry_after
    return kopf.TemporaryError(f"{subject}: API {error.status} {error.reason}", delay=delay)
