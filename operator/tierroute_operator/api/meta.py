"""What every tierroute custom resource shares: group and version, the base model, object
metadata and status conditions (Kubernetes API conventions)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel

from tierroute_operator.api.cel import list_map
from tierroute_operator.api.field_types import ObjectName, string_schema
from tierroute_operator.api.issues import FieldIssue, raise_if_any

GROUP = "tierroute.io"
VERSION = "v1alpha1"
API_VERSION: Final = "tierroute.io/v1alpha1"

CONDITION_TYPE_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"


class ApiModel(BaseModel):
    """Base of every API type: camelCase JSON names, unknown fields refused, immutable.

    Python code may use the snake_case attribute names to build objects; manifests use the
    camelCase JSON names.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


OBJECT_META_FIELDS = frozenset(
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
        "annotations", "ownerReferences", "finalizers", "managedFields",
    }
)  # fmt: skip
"""Every field of Kubernetes' ObjectMeta: others are typos, which kubectl refuses too."""


class ObjectMeta(BaseModel):
    """The subset of Kubernetes object metadata tierroute reads.

    Other ObjectMeta fields (set by the API server) are accepted and ignored; a field
    ObjectMeta does not have is refused.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in OBJECT_META_FIELDS)
            raise_if_any([FieldIssue(key, "unknown field") for key in unknown])
        return data

    name: ObjectName = Field(description="Object name, unique per kind in its namespace.")
    namespace: ObjectName | None = Field(
        default=None, description="Namespace; absent in a manifest means the default one."
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Labels.")
    annotations: dict[str, str] = Field(default_factory=dict, description="Annotations.")
    generation: int | None = Field(
        default=None, description="Spec generation assigned by the API server."
    )
    uid: str | None = Field(default=None, description="Unique id assigned by the API server.")


class ConditionStatus(StrEnum):
    """Status of a condition."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


ConditionType = Annotated[str, WithJsonSchema(string_schema(CONDITION_TYPE_PATTERN, 316))]
ConditionReason = Annotated[str, WithJsonSchema(string_schema(CONDITION_REASON_PATTERN, 1024))]
ConditionMessage = Annotated[str, WithJsonSchema(string_schema(None, 32768))]


class Condition(ApiModel):
    """One aspect of an object's state, as in metav1.Condition."""

    type: ConditionType = Field(description="Condition type in CamelCase, such as `Ready`.")
    status: ConditionStatus = Field(description="`True`, `False` or `Unknown`.")
    reason: ConditionReason = Field(
        description="Machine-readable CamelCase reason for the last transition."
    )
    message: ConditionMessage = Field(
        default="", description="Human-readable details about the last transition."
    )
    last_transition_time: datetime = Field(description="When the status last changed (RFC 3339).")
    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` the condition was set from."
    )


CONDITIONS_EXTRAS = list_map("type")
"""Schema extras of a conditions list: one entry per type."""

MAX_CONDITIONS = 16
