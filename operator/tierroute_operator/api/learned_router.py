"""The learnedRouter section of a RoutingPolicy: which fitted router `learned` routes use.

The artefact (`tierroute router fit` output) lives in a ConfigMap of the policy's namespace
and is pinned by its hash: the operator refuses any other content, so replacing the ConfigMap's
data never changes routing until the pin changes too.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from tierroute_operator.api.cel import rule, validations
from tierroute_operator.api.field_types import (
    SCORE_PATTERN,
    ConfigMapKey,
    ContentHash,
    Money,
    ObjectName,
)
from tierroute_operator.api.issues import FieldIssue, raise_if_any
from tierroute_operator.api.meta import ApiModel

DEFAULT_KEY = "router.json"
"""The key `kubectl create configmap NAME --from-file=router.json` writes."""


class DecisionRule(StrEnum):
    """How the learned router turns predictions into a choice."""

    TRADEOFF = "tradeoff"
    THRESHOLD = "threshold"


class ConfigMapKeyRef(ApiModel):
    """A key of a ConfigMap in the policy's namespace."""

    name: ObjectName = Field(description="Name of the ConfigMap.")
    key: ConfigMapKey = Field(
        default=DEFAULT_KEY, description="Key of the ConfigMap's data holding the artefact."
    )


_SCORE_RE = SCORE_PATTERN.replace("\\", "\\\\")


class LearnedRouterRef(ApiModel):
    """The fitted learned router of routes with strategy `learned`, pinned by its hash."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                f"!has(self.rule) || self.rule != 'threshold' || !has(self.value) || "
                f"self.value.matches('{_SCORE_RE}')",
                "a threshold is a probability: value must lie in [0, 1]",
                field_path=".value",
                reason="FieldValueInvalid",
            ),
        )
    )

    config_map_ref: ConfigMapKeyRef = Field(
        description="The ConfigMap (in the policy's namespace) and key holding the artefact "
        "`tierroute router fit` wrote (`kubectl create configmap NAME --from-file=router.json`)."
    )
    sha256: ContentHash = Field(
        description="The artefact's hash as `tierroute router fit` prints it "
        "(`sha256:<64 hex>`); the operator refuses an artefact with any other hash."
    )
    rule: DecisionRule | None = Field(
        default=None,
        description="tradeoff: the model maximizing P(success) minus value times its cost; "
        "threshold: the cheapest model whose P(success) is at least value. Omitted: the "
        "artefact's operating point.",
    )
    value: Money | None = Field(
        default=None,
        description="The cost weight lambda (tradeoff) or the threshold in [0, 1], as a decimal "
        'string such as "0.35". Omitted: the artefact\'s operating point (whose rule must then '
        "be the one chosen).",
    )

    @model_validator(mode="after")
    def _threshold_is_a_probability(self) -> LearnedRouterRef:
        threshold = self.rule is DecisionRule.THRESHOLD
        if threshold and self.value is not None and Decimal(self.value) > 1:
            message = f"{self.value!r} is a threshold (a probability) and must lie in [0, 1]"
            raise_if_any([FieldIssue("value", message)])
        return self
