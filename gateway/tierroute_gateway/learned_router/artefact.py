"""The fitted learned router as a document: versioned, validated, identified by its hash.

`tierroute router fit` writes it; the evaluation and the gateway read it. Like the routing
table it is canonical JSON (keys sorted, no whitespace) and identified by `sha256:<hex>` of
those bytes, so a reference can pin exactly one fitted router. It holds no prompt text: the
features are hashed buckets, and the rows it was fitted on are named by id.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from tierroute_gateway.learned_router.features import FeatureSpec

ARTEFACT_SCHEMA_VERSION = 1
"""The artefact schema version this code reads and writes."""


class LearnedRouterError(ValueError):
    """An artefact that cannot be used: bad JSON, unknown version, invalid content, bad hash."""


class _Strict(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class ModelWeights(_Strict):
    """One model's logistic predictor of P(success) and what a call to it costs."""

    name: str = Field(description="Model name, as in the outcome data and the catalog.")
    bias: float = Field(description="Intercept of the logit.")
    length_weight: float = Field(description="Weight of the length feature.")
    weights: tuple[float, ...] = Field(
        description="Weight of each bucket of `LearnedRouter.buckets`, in the same order."
    )
    input_per_million: float = Field(ge=0, description="USD per 1M input tokens at fit time.")
    output_per_million: float = Field(ge=0, description="USD per 1M output tokens at fit time.")
    expected_output_tokens: float = Field(
        ge=0, description="Mean completion tokens of this model over the fitting rows."
    )


class Calibration(_Strict):
    """How well one model's predictions held up on held-out folds of the fitting rows."""

    model: str = Field(description="Model name.")
    success_rate: float = Field(description="Mean score over the fitting rows.")
    brier: float = Field(description="Mean squared error of P(success), cross-validated.")
    log_loss: float = Field(description="Log loss of P(success), cross-validated.")


INLINE_ROW_IDS_MAX = 1000
"""At most this many fitting-row ids travel inside an artefact; beyond, only count and digest."""


class FittedOn(_Strict):
    """Which rows fitted the router: evaluation must never score any of them.

    The ids travel inline only when there are at most `INLINE_ROW_IDS_MAX` of them: an
    artefact rides in a ConfigMap (1 MiB), and 100,000 ids would not fit. Otherwise `rowIds`
    is empty and `rowCount` and `digest` identify the rows; an evaluation then needs the id
    list `tierroute router fit` wrote beside the artefact, checked against both.
    """

    sources: tuple[str, ...] = Field(description="Outcome files (names, not paths), sorted.")
    row_count: int = Field(ge=0, description="How many rows fitted the router.")
    row_ids: tuple[str, ...] = Field(
        default=(),
        description=f"Ids of the fitting rows, sorted, when there are at most "
        f"{INLINE_ROW_IDS_MAX:,} of them; empty otherwise.",
    )
    digest: str = Field(description="sha256 of the sorted ids joined by newlines.")

    @model_validator(mode="before")
    @classmethod
    def _count_from_ids(cls, data: object) -> object:
        """An omitted `rowCount` is the number of inline ids (artefacts that list them all)."""
        if isinstance(data, dict) and "rowCount" not in data and "row_count" not in data:
            ids = data.get("rowIds", data.get("row_ids", ()))
            return {**data, "row_count": len(ids) if isinstance(ids, list | tuple) else 0}
        return data

    @model_validator(mode="after")
    def _ids_match_count(self) -> FittedOn:
        if self.row_ids and len(self.row_ids) != self.row_count:
            raise ValueError(
                f"rowIds lists {len(self.row_ids)} ids but rowCount is {self.row_count}"
            )
        return self


class OperatingPoint(_Strict):
    """The default decision rule and its parameter."""

    rule: Literal["threshold", "tradeoff"] = Field(
        description="threshold: the cheapest model whose P(success) ≥ `value` (else the "
        "likeliest); tradeoff: the model maximizing P(success) − value × cost / highest cost."
    )
    value: float = Field(ge=0, description="The threshold or the cost weight λ.")


class LearnedRouter(_Strict):
    """A fitted learned router."""

    schema_version: Literal[1] = Field(description="Schema version of this artefact.")
    kind: Literal["tierroute.io/learned-router"] = Field(description="What the document is.")
    features: FeatureSpec = Field(description="How prompts become features.")
    buckets: tuple[int, ...] = Field(description="Hash buckets that carry weights, ascending.")
    models: tuple[ModelWeights, ...] = Field(min_length=1, description="Models, by name.")
    operating_point: OperatingPoint = Field(description="Default rule and parameter.")
    regularization: float = Field(gt=0, description="Inverse L2 strength C used to fit.")
    calibration: tuple[Calibration, ...] = Field(description="Held-out fit quality per model.")
    fitted_on: FittedOn = Field(description="The rows it was fitted on.")

    @model_validator(mode="after")
    def _aligned(self) -> LearnedRouter:
        names = [model.name for model in self.models]
        if names != sorted(set(names)):
            raise ValueError("models must have distinct names in ascending order")
        if list(self.buckets) != sorted(set(self.buckets)):
            raise ValueError("buckets must be distinct and ascending")
        for position, model in enumerate(self.models):
            if len(model.weights) != len(self.buckets):
                raise ValueError(
                    f"models[{position}] ({model.name}).weights has {len(model.weights)} "
                    f"entries, buckets has {len(self.buckets)}"
                )
        return self


def canonical_artefact(router: LearnedRouter) -> bytes:
    """Canonical JSON: camelCase keys sorted, no whitespace, UTF-8."""
    data = router.model_dump(mode="json", by_alias=True)
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def artefact_hash(router: LearnedRouter) -> str:
    """`sha256:<hex>` of the canonical JSON."""
    return "sha256:" + hashlib.sha256(canonical_artefact(router)).hexdigest()


def load_learned_router(
    document: bytes | str, *, expected_hash: str | None = None
) -> LearnedRouter:
    """Parse and validate an artefact; refuse unknown versions and, if given, a wrong hash."""
    try:
        data = orjson.loads(document)
    except orjson.JSONDecodeError as error:
        raise LearnedRouterError(f"learned router is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise LearnedRouterError("learned router must be a JSON object")
    version = data.get("schemaVersion")
    if version != ARTEFACT_SCHEMA_VERSION:
        raise LearnedRouterError(
            f"learned router schemaVersion {version!r} is not supported "
            f"(this code reads version {ARTEFACT_SCHEMA_VERSION})"
        )
    try:
        router = LearnedRouter.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        path = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise LearnedRouterError(f"learned router is invalid: {path}: {first['msg']}") from error
    if expected_hash is not None:
        actual = artefact_hash(router)
        if actual != expected_hash:
            raise LearnedRouterError(
                f"learned router hash {actual} does not match the expected {expected_hash}"
            )
    return router


def rows_digest(row_ids: list[str] | tuple[str, ...]) -> str:
    """sha256 of the sorted ids joined by newlines, `sha256:<hex>`."""
    joined = "\n".join(sorted(row_ids)).encode()
    return "sha256:" + hashlib.sha256(joined).hexdigest()
