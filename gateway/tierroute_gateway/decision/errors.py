"""Typed errors of the decision core, each carrying the HTTP answer the gateway gives.

A message names the value at fault and, where it helps, what would have been accepted. The
gateway maps `status`, `code`, `error_type` and `param` to an OpenAI-style error body.
The names are those of the answers they stand for (hence no `Error` suffix).
"""

from __future__ import annotations

from typing import ClassVar


class DecisionError(Exception):
    """Base of the errors a request can get from the decision core."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "decision_error"
    error_type: ClassVar[str] = "server_error"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class UnknownRoute(DecisionError):  # noqa: N818
    """`model` names neither a route nor a catalog model."""

    status = 404
    code = "model_not_found"
    error_type = "invalid_request_error"


class InvalidHint(DecisionError):  # noqa: N818
    """An `x-tierroute-*` header whose value cannot be used; `param` is the header name."""

    status = 400
    code = "invalid_hint"
    error_type = "invalid_request_error"


class InvalidRequest(DecisionError):  # noqa: N818
    """A request body the core cannot read; `param` is the path of the field at fault."""

    status = 400
    code = "invalid_request"
    error_type = "invalid_request_error"


class BudgetExhausted(DecisionError):  # noqa: N818
    """The request's budget category is spent and its policy rejects (or cannot downgrade)."""

    status = 429
    code = "budget_exhausted"
    error_type = "insufficient_quota"


class NothingEligible(DecisionError):  # noqa: N818
    """No model passes the filters and the policy names no default model."""

    status = 503
    code = "nothing_eligible"
    error_type = "service_unavailable"


class UnknownCategory(LookupError):  # noqa: N818
    """A budget ledger was asked about a category its snapshot does not have."""
