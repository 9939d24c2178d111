"""Client API keys: when a keys file is configured, `/v1/*` requires `Authorization: Bearer`."""

from __future__ import annotations

import hmac
from pathlib import Path

from tierroute_gateway.server.errors import AUTHENTICATION, GatewayError


def read_client_keys(path: Path) -> tuple[bytes, ...]:
    """The keys of a keys file: one a line, blank lines and `#` comments skipped."""
    keys = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            keys.append(text.encode("utf-8"))
    return tuple(keys)


def check_client_key(authorization: bytes | None, keys: tuple[bytes, ...]) -> None:
    """Raise 401 unless the header carries one of `keys` (no check when there are none)."""
    if not keys:
        return
    if authorization is None:
        raise _unauthorized("missing Authorization header (expected: Bearer <key>)")
    scheme, _, presented = authorization.partition(b" ")
    presented = presented.strip()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented, key)
    if scheme.lower() != b"bearer" or not matched:
        raise _unauthorized("the API key in the Authorization header is not accepted")


def _unauthorized(message: str) -> GatewayError:
    return GatewayError(
        401,
        message,
        error_type=AUTHENTICATION,
        code="invalid_api_key",
        headers=[(b"www-authenticate", b"Bearer")],
    )
