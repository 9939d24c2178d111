"""Routing tables for gateway tests, and a real `tierroute gateway` process around one."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tests.helpers.processes import StartedProcess, started
from tierroute_gateway.decision import defaults
from tierroute_gateway.routing_table import load_routing_table

PRICES = {
    "premium": ("2.50", "10.00"),
    "standard": ("0.15", "0.60"),
    "economy": ("0.05", "0.05"),
}


def model(
    name: str,
    tier: str,
    *,
    provider: str = "sim",
    provider_model: str | None = None,
    capabilities: Sequence[str] = ("coding", "reasoning", "vision"),
    max_concurrency: int | None = None,
    cached_price: str | None = None,
    cache_write_price: str | None = None,
) -> dict[str, Any]:
    """A catalog model of the table (camelCase JSON); `cached_price` is USD per 1M cache reads,
    `cache_write_price` per 1M tokens written to the cache."""
    price_in, price_out = PRICES[tier]
    entry: dict[str, Any] = {
        "name": name,
        "provider": provider,
        "providerModel": provider_model or name,
        "tier": tier,
        "pricing": {"inputPerMillion": price_in, "outputPerMillion": price_out},
        "contextWindow": 128_000,
        "maxOutputTokens": 4096,
        "capabilities": list(capabilities),
        "latencyMs": 100,
        "quality": "0.8",
        "tokensPerImage": 765,
    }
    if max_concurrency is not None:
        entry["maxConcurrency"] = max_concurrency
    if cached_price is not None:
        entry["pricing"]["cachedInputPerMillion"] = cached_price
    if cache_write_price is not None:
        entry["pricing"]["cacheWriteInputPerMillion"] = cache_write_price
    return entry


def step(model_name: str, retries: int = 1, timeout_ms: int = 5000) -> dict[str, Any]:
    """A fallback chain step retrying every failure class."""
    return {
        "model": model_name,
        "maxRetries": retries,
        "timeoutMs": timeout_ms,
        "retryOn": ["connection", "rate_limit", "server_error", "timeout"],
    }


def routing_table(
    sim_url: str,
    models: Sequence[Mapping[str, Any]],
    *,
    routes: Sequence[Mapping[str, Any]] | None = None,
    chains: Sequence[Mapping[str, Any]] = (),
    budget: Mapping[str, Any] | None = None,
    quality_gate: Sequence[str] = (),
    credential: Mapping[str, str] | None = None,
    defaults_step: Mapping[str, Any] | None = None,
    policy: str = "test-policy",
) -> dict[str, Any]:
    """A valid routing table document whose providers are one simulator's two APIs."""
    providers = [
        {
            "name": name,
            "api": api,
            "baseUrl": f"{sim_url}/v1",
            "timeoutMs": 30_000,
            "connectTimeoutMs": 2_000,
            **({"credential": dict(credential)} if credential else {}),
        }
        for name, api in (("sim", "openai"), ("sim-anthropic", "anthropic"))
    ]
    document = {
        "schemaVersion": 1,
        "source": {"namespace": "default", "policy": policy, "catalog": "test-catalog"},
        "providers": providers,
        "models": list(models),
        "routes": list(
            routes or [{"name": "auto", "category": "default", "strategy": "cost-optimized"}]
        ),
        "classification": {
            "complexPatterns": list(defaults.COMPLEX_PATTERNS),
            "simplePatterns": list(defaults.SIMPLE_PATTERNS),
            "capabilityPatterns": {
                capability.value: list(patterns)
                for capability, patterns in defaults.CAPABILITY_PATTERNS.items()
            },
            "highComplexityContextTokens": defaults.HIGH_COMPLEXITY_CONTEXT_TOKENS,
            "longContextTokens": defaults.LONG_CONTEXT_TOKENS,
            "maxScanChars": defaults.MAX_SCAN_CHARS,
        },
        "tierPriority": {
            complexity.value: [tier.value for tier in tiers]
            for complexity, tiers in defaults.TIER_PRIORITY.items()
        },
        "constraints": {},
        "fallback": {
            "defaults": dict(defaults_step or step("defaults")),
            "chains": list(chains),
        },
        "qualityGate": {"enabled": bool(quality_gate), "escalateOn": list(quality_gate)},
        "features": ["chat", "search"],
    }
    if budget is not None:
        document["budget"] = dict(budget)
    load_routing_table(orjson.dumps(document))  # fail here, not in the gateway, on a bad fixture
    return document


def gateway_command(config: Path, *options: str) -> list[str]:
    """The command line of `tierroute gateway` on a routing.json with this interpreter."""
    cli = [sys.executable, "-m", "tierroute_gateway.cli"]
    return [*cli, "gateway", "--config", str(config), "--port", "0", *options]


@dataclass
class GatewayProcess:
    """A running gateway: its URL, its routing.json and its output."""

    url: str
    config: Path
    process: StartedProcess

    @property
    def openai_url(self) -> str:
        """Base URL for the OpenAI SDK."""
        return f"{self.url}/v1"

    def write_table(self, document: Mapping[str, Any] | bytes) -> None:
        """Replace routing.json atomically (write a new file, rename it over)."""
        data = document if isinstance(document, bytes) else orjson.dumps(document)
        scratch = self.config.with_suffix(".next")
        scratch.write_bytes(data)
        scratch.replace(self.config)


@contextmanager
def running_gateway(
    table: Mapping[str, Any] | bytes,
    directory: Path,
    *options: str,
    env: Mapping[str, str] | None = None,
) -> Iterator[GatewayProcess]:
    """Write routing.json into `directory`, run the gateway on it, and stop it afterwards."""
    config = directory / "routing.json"
    config.write_bytes(table if isinstance(table, bytes) else orjson.dumps(table))
    with started(gateway_command(config, *options), env=env) as running:
        yield GatewayProcess(running.url, config, running)
