"""Provider keys: read from the mounted credentials directory or an environment variable.

A key lives only in process memory. It is never logged, never put in an error body or a
metric; `redact` removes it from any provider text the gateway passes on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tierroute_gateway.routing_table import CredentialRef

DEFAULT_CREDENTIALS_DIR = Path("/var/run/tierroute/credentials")


def read_credential(
    ref: CredentialRef | None, credentials_dir: Path, environ: Mapping[str, str] = os.environ
) -> str | None:
    """The key a reference points at: the file `<dir>/<key>` first, then the variable `env`."""
    if ref is None:
        return None
    candidate = credentials_dir / ref.key
    if "/" not in ref.key and ref.key not in ("", ".", "..") and candidate.is_file():
        text = candidate.read_text(encoding="utf-8").strip()
        if text:
            return text
    value = environ.get(ref.env, "").strip()
    return value or None


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced by `[redacted]`."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "[redacted]")
    return text
