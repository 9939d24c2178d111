"""Compile time of a 500-model catalog (issue 3). Run: .venv/bin/python perf/bench_compile.py"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import Any

from tierroute_gateway.routing_table import canonical_json, content_hash
from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.compile import compile_policy

TIERS = ("premium", "standard", "economy")
CAPABILITIES = ("reasoning", "coding", "vision", "long_context", "multilingual")


def catalog_document(models: int) -> dict[str, Any]:
    """A catalog of `models` models over ten providers, with varied prices and capabilities."""
    providers = [
        {
            "name": f"provider-{index}",
            "api": "openai",
            "baseURL": f"http://127.0.0.1:{9000 + index}/v1",
            "credentials": {"secretRef": {"name": "keys", "key": f"p{index}"}},
        }
        for index in range(10)
    ]
    return {
        "apiVersion": "tierroute.io/v1alpha1",
        "kind": "ModelCatalog",
        "metadata": {"name": "large"},
        "spec": {
            "providers": providers,
            "models": [
                {
                    "name": f"model-{index:04d}",
                    "provider": f"provider-{index % 10}",
                    "tier": TIERS[index % 3],
                    "pricing": {
                        "inputPerMillion": f"{(index % 97) / 10:.2f}",
                        "outputPerMillion": f"{(index % 89) / 5:.2f}",
                    },
                    "contextWindow": 8192 * (1 + index % 16),
                    "maxOutputTokens": 4096,
                    "capabilities": list(CAPABILITIES[: 1 + index % len(CAPABILITIES)]),
                    "latency": f"{100 + index % 900}ms",
                    "quality": f"0.{50 + index % 49}",
                }
                for index in range(models)
            ],
        },
    }


def policy_document() -> dict[str, Any]:
    return {
        "apiVersion": "tierroute.io/v1alpha1",
        "kind": "RoutingPolicy",
        "metadata": {"name": "large"},
        "spec": {
            "catalogRef": {"name": "large"},
            "budgetRef": {"name": "monthly"},
            "routes": [{"name": "auto", "category": "standard"}],
            "fallback": {
                "chains": [
                    {"name": "c", "steps": [{"model": "model-0001"}, {"model": "model-0002"}]}
                ]
            },
        },
    }


def budget_document() -> dict[str, Any]:
    return {
        "apiVersion": "tierroute.io/v1alpha1",
        "kind": "BudgetAllocation",
        "metadata": {"name": "monthly"},
        "spec": {
            "amount": "10000",
            "period": "monthly",
            "categories": [{"name": "standard", "percent": 100}],
        },
    }


def main() -> None:
    now = datetime.now(UTC)
    documents = (catalog_document(500), policy_document(), budget_document())
    parse_times, compile_times, serialize_times = [], [], []
    for _ in range(30):
        start = time.perf_counter()
        catalog = ModelCatalog.model_validate(documents[0])
        policy = RoutingPolicy.model_validate(documents[1])
        budget = BudgetAllocation.model_validate(documents[2])
        parsed = time.perf_counter()
        table = compile_policy(catalog, policy, budget, now=now).table
        compiled = time.perf_counter()
        content_hash(table)
        len(canonical_json(table))
        done = time.perf_counter()
        parse_times.append(parsed - start)
        compile_times.append(compiled - parsed)
        serialize_times.append(done - compiled)
    for label, samples in (
        ("validate manifests", parse_times),
        ("compile", compile_times),
        ("canonical JSON + hash", serialize_times),
    ):
        print(
            f"{label:24s} p50 {statistics.median(samples) * 1000:7.2f} ms   "
            f"max {max(samples) * 1000:7.2f} ms   (500 models, 30 runs)"
        )


if __name__ == "__main__":
    main()
