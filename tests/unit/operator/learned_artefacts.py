"""Small learned-router artefacts and the manifests that reference them, for operator tests."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from tierroute_gateway.learned_router import FeatureSpec, Featurizer, LearnedRouter
from tierroute_gateway.learned_router.artefact import (
    FittedOn,
    ModelWeights,
    OperatingPoint,
    artefact_hash,
    canonical_artefact,
    rows_digest,
)

SPEC = FeatureSpec(buckets=1 << 16)
PROOF_BUCKET = Featurizer(SPEC)("proof").buckets[0]


def artefact(
    models: Sequence[str] = ("gpt-4o", "gpt-4o-mini"),
    *,
    rule: str = "tradeoff",
    value: float = 0.5,
    extra_buckets: int = 0,
) -> LearnedRouter:
    """A router that sends prompts about proofs to the first model, the rest to the last.

    `extra_buckets` pads it with weightless buckets, to make a big artefact.
    """
    buckets = sorted({PROOF_BUCKET, *range(PROOF_BUCKET + 1, PROOF_BUCKET + 1 + extra_buckets)})
    proof_index = buckets.index(PROOF_BUCKET)

    def weights(proof: float) -> tuple[float, ...]:
        row = [0.0] * len(buckets)
        row[proof_index] = proof
        return tuple(row)

    return LearnedRouter(
        schema_version=1,
        kind="tierroute.io/learned-router",
        features=SPEC,
        buckets=tuple(buckets),
        models=tuple(
            ModelWeights(
                name=name,
                bias=2.0,
                length_weight=0.0,
                weights=weights(4.0 if position == 0 else -6.0),
                input_per_million=10.0 if position == 0 else 0.1,
                output_per_million=10.0 if position == 0 else 0.1,
                expected_output_tokens=100,
            )
            for position, name in enumerate(sorted(models))
        ),
        operating_point=OperatingPoint(rule=rule, value=value),  # type: ignore[arg-type]
        regularization=0.01,
        calibration=(),
        fitted_on=FittedOn(sources=("t.jsonl",), row_ids=("a",), digest=rows_digest(["a"])),
    )


def config_map(router: LearnedRouter | str, name: str = "router-v1", key: str = "router.json",
               namespace: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The ConfigMap `kubectl create configmap NAME --from-file=router.json` would write."""
    text = router if isinstance(router, str) else canonical_artefact(router).decode()
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {key: text}}


def with_learned_route(
    policy: dict[str, Any],
    router: LearnedRouter | None,
    *,
    name: str = "router-v1",
    pin: str | None = None,
    **choices: str,
) -> dict[str, Any]:
    """`policy` with route `auto` learned and `spec.learnedRouter` pinning `router` (or `pin`)."""
    document = copy.deepcopy(policy)
    for route in document["spec"]["routes"]:
        if route["name"] == "auto":
            route["strategy"] = "learned"
    sha256 = pin if pin is not None else artefact_hash(router) if router is not None else ""
    document["spec"]["learnedRouter"] = {
        "configMapRef": {"name": name},
        "sha256": sha256,
        **choices,
    }
    return document
