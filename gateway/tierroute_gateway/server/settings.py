"""Settings of one gateway process, from the command line."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tierroute_gateway.server.credentials import DEFAULT_CREDENTIALS_DIR

DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024


class GatewaySettings(BaseModel):
    """How a gateway process listens, limits and finds its secrets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8080, ge=0, le=65535, description="Port; 0 picks a free one.")
    credentials_dir: Path = Field(
        default=DEFAULT_CREDENTIALS_DIR, description="Directory of provider key files."
    )
    client_keys_file: Path | None = Field(
        default=None, description="File of accepted client API keys, one a line; none = open."
    )
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES, ge=1, description="Largest request body accepted."
    )
    body_timeout_s: float = Field(
        default=60.0, gt=0, description="Time allowed for a request's head and body to arrive."
    )
    keep_alive_s: float = Field(
        default=30.0, gt=0, description="How long an idle client connection is kept open."
    )
    request_deadline_ms: int = Field(
        default=120_000, ge=1, description="Whole-request deadline across retries and fallbacks."
    )
    reload_interval_s: float = Field(
        default=0.5, gt=0, description="How often the routing table file is checked."
    )
    request_log: bool = Field(default=True, description="Write one JSON line per request.")
    breaker_failures: int = Field(
        default=5, ge=1, description="Consecutive failures that open a model's circuit breaker."
    )
    breaker_open_seconds: float = Field(
        default=10.0, gt=0, description="How long an open breaker refuses calls before a probe."
    )
    upstream_pool_size: int = Field(
        default=256, ge=1, description="Connections per provider kept by the HTTP client."
    )
