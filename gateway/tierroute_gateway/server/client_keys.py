"""Client API keys: when a keys file is configured, `/v1/*` requires `Authorization: Bearer`.

The file is usually a mounted Secret, which the kubelet replaces by a symlink swap when the
Secret changes: `KeysFile` notices a change of inode, size or modification time and the
gateway adopts the new keys without a restart. A new version that cannot be read or holds no
key is refused (the old keys stay in force): a rotation mistake must not open the gateway.
"""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Callable
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


class KeysFile:
    """A client keys file, polled for changes; `run` hands each new key set to `adopt`."""

    def __init__(self, path: Path, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._signature: tuple[int, int, int, int] | None = None

    def remember_current(self) -> None:
        """Take the file as it is now as already adopted (read at start-up)."""
        self._signature = self._stat()

    def read_if_changed(self) -> tuple[bytes, ...] | None:
        """The keys if the file changed since the last call; raises OSError or ValueError
        when the new version cannot be read or holds no key."""
        signature = self._stat()
        if signature is None or signature == self._signature:
            return None
        self._signature = signature
        keys = read_client_keys(self.path)
        if not keys:
            raise ValueError("the file holds no key")
        return keys

    async def run(
        self, adopt: Callable[[tuple[bytes, ...]], None], refuse: Callable[[str], None]
    ) -> None:
        """Poll until cancelled; `refuse` gets why a changed file was not adopted."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                keys = self.read_if_changed()
            except UnicodeDecodeError:
                refuse("the file is not UTF-8 text")  # the error would quote key bytes
                continue
            except (OSError, ValueError) as error:
                refuse(str(error))
                continue
            if keys is not None:
                adopt(keys)

    def _stat(self) -> tuple[int, int, int, int] | None:
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
