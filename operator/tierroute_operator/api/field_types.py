"""Constrained string and integer types shared by the three custom resources.

Each type carries two checks that must agree: a JSON-schema pattern and length bound that
the CRD hands to the API server, and a Python validator with a message that names the value.
Kubernetes conventions: no floats in spec, so money and scores are decimal strings and
durations are Go-style strings ("30s", "800ms", "1m30s").
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema

from tierroute_gateway.decision.patterns import pattern_error

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
OBJECT_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
DECIMAL_PATTERN = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"
SIGNED_DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"
SCORE_PATTERN = r"^(0(\.[0-9]+)?|1(\.0+)?)$"
DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
URL_PATTERN = r"^https?://[^\s/?#]+([/?#]\S*)?$"
HEADER_NAME_PATTERN = r"^[A-Za-z0-9!#$%&*+.^_|~-]+$"
TIMEZONE_PATTERN = r"^[A-Za-z0-9_+./-]+$"
PROVIDER_MODEL_PATTERN = r"^\S+$"
CONTENT_HASH_PATTERN = r"^sha256:[0-9a-f]{64}$"

NAME_MAX = 63
OBJECT_NAME_MAX = 253
DECIMAL_MAX = 32
DURATION_MAX = 32
URL_MAX = 2048
REGEX_MAX = 512
TEXT_MAX = 1024

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_MS = {"ms": Decimal(1), "s": Decimal(1000), "m": Decimal(60_000), "h": Decimal(3_600_000)}


def string_schema(pattern: str | None, max_length: int) -> dict[str, Any]:
    """The JSON schema of a bounded string (CEL cost estimates need `maxLength`)."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if pattern is not None:
        schema["pattern"] = pattern
    return schema


def _matching(pattern: str, max_length: int, what: str) -> Callable[[str], str]:
    """A validator that accepts strings matching `pattern` and says what it expected."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters long, got {len(value)}")
        if compiled.fullmatch(value) is None:
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def _within_length(max_length: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters long, got {len(value)}")
        return value

    return check


def parse_duration_ms(text: str) -> int:
    """Milliseconds of a duration string such as "30s", "800ms" or "1m30s" (rounded down)."""
    if re.fullmatch(DURATION_PATTERN, text) is None:
        raise ValueError(f'{text!r} is not a duration such as "30s", "800ms" or "5m"')
    total = sum(
        (Decimal(number) * _UNIT_MS[unit] for number, unit in _DURATION_PART.findall(text)),
        Decimal(0),
    )
    return int(total)


def _check_duration(value: str) -> str:
    if len(value) > DURATION_MAX:
        raise ValueError(f"must be at most {DURATION_MAX} characters long, got {len(value)}")
    parse_duration_ms(value)
    return value


def _check_positive_duration(value: str) -> str:
    _check_duration(value)
    if parse_duration_ms(value) < 1:
        raise ValueError(f"{value!r} must be at least 1ms")
    return value


def _check_regex(value: str) -> str:
    _within_length(REGEX_MAX)(value)
    # The gateway matches patterns with RE2 (linear time, no backtracking), so validate with it.
    problem = pattern_error(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _check_timezone(value: str) -> str:
    _matching(TIMEZONE_PATTERN, 64, 'an IANA time zone name such as "Europe/Paris"')(value)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known IANA time zone") from None
    return value


Name = Annotated[
    str,
    AfterValidator(
        _matching(
            NAME_PATTERN,
            NAME_MAX,
            "a name of lowercase letters, digits, '-' and '.', starting and ending "
            "with a letter or digit",
        )
    ),
    WithJsonSchema(string_schema(NAME_PATTERN, NAME_MAX)),
]
"""A name inside a resource (model, provider, route, chain, category): DNS-1123-like."""

ObjectName = Annotated[
    str,
    AfterValidator(
        _matching(OBJECT_NAME_PATTERN, OBJECT_NAME_MAX, "a Kubernetes object name (DNS-1123)")
    ),
    WithJsonSchema(string_schema(OBJECT_NAME_PATTERN, OBJECT_NAME_MAX)),
]
"""The name of a Kubernetes object (a Secret, a ModelCatalog)."""

SecretKey = Annotated[
    str,
    AfterValidator(
        _matching(SECRET_KEY_PATTERN, OBJECT_NAME_MAX, "a Secret key (letters, digits, -._)")
    ),
    WithJsonSchema(string_schema(SECRET_KEY_PATTERN, OBJECT_NAME_MAX)),
]
"""A key inside a Secret's data."""

ConfigMapKey = Annotated[
    str,
    AfterValidator(
        _matching(SECRET_KEY_PATTERN, OBJECT_NAME_MAX, "a ConfigMap key (letters, digits, -._)")
    ),
    WithJsonSchema(string_schema(SECRET_KEY_PATTERN, OBJECT_NAME_MAX)),
]
"""A key inside a ConfigMap's data (same rules as a Secret key)."""

ContentHash = Annotated[
    str,
    AfterValidator(
        _matching(CONTENT_HASH_PATTERN, 71, '"sha256:" and 64 lowercase hexadecimal digits')
    ),
    WithJsonSchema(string_schema(CONTENT_HASH_PATTERN, 71)),
]
"""A content hash `sha256:<64 hex>`, such as `tierroute router fit` prints."""

Money = Annotated[
    str,
    AfterValidator(
        _matching(DECIMAL_PATTERN, DECIMAL_MAX, 'a non-negative decimal string such as "2.50"')
    ),
    WithJsonSchema(string_schema(DECIMAL_PATTERN, DECIMAL_MAX)),
]
"""A non-negative amount of USD as a decimal string ("2.50"); also used for other decimals."""

SignedMoney = Annotated[
    str,
    AfterValidator(
        _matching(SIGNED_DECIMAL_PATTERN, DECIMAL_MAX, 'a decimal string such as "-2.50"')
    ),
    WithJsonSchema(string_schema(SIGNED_DECIMAL_PATTERN, DECIMAL_MAX)),
]
"""An amount of USD that may be negative (an overspent remainder)."""

Score = Annotated[
    str,
    AfterValidator(
        _matching(SCORE_PATTERN, DECIMAL_MAX, 'a decimal string in [0, 1] such as "0.92"')
    ),
    WithJsonSchema(string_schema(SCORE_PATTERN, DECIMAL_MAX)),
]
"""A score or fraction in [0, 1] as a decimal string ("0.92")."""

Duration = Annotated[
    str,
    AfterValidator(_check_duration),
    WithJsonSchema(string_schema(DURATION_PATTERN, DURATION_MAX)),
]
"""A duration string: digits and a unit (ms, s, m, h), possibly repeated ("1m30s")."""

Timeout = Annotated[
    str,
    AfterValidator(_check_positive_duration),
    WithJsonSchema(string_schema(DURATION_PATTERN, DURATION_MAX)),
]
"""A duration of at least one millisecond."""

Percent = Annotated[int, Field(ge=0, le=100)]
"""An integer percentage in [0, 100]."""

RegexPattern = Annotated[
    str, AfterValidator(_check_regex), WithJsonSchema(string_schema(None, REGEX_MAX))
]
"""A Python regular expression, matched case-insensitively against lowercased prompt text."""

HttpUrl = Annotated[
    str,
    AfterValidator(_matching(URL_PATTERN, URL_MAX, "an http:// or https:// URL")),
    WithJsonSchema(string_schema(URL_PATTERN, URL_MAX)),
]
"""An absolute http(s) URL."""

TimezoneName = Annotated[
    str,
    AfterValidator(_check_timezone),
    WithJsonSchema(string_schema(TIMEZONE_PATTERN, 64)),
]
"""An IANA time zone name ("UTC", "Europe/Paris"); checked against the zone database."""

ProviderModelId = Annotated[
    str,
    AfterValidator(
        _matching(PROVIDER_MODEL_PATTERN, 256, "a provider model id without whitespace")
    ),
    WithJsonSchema(string_schema(PROVIDER_MODEL_PATTERN, 256)),
]
"""The model id a provider expects ("Qwen/Qwen3-VL-32B-Instruct")."""

Text = Annotated[
    str, AfterValidator(_within_length(TEXT_MAX)), WithJsonSchema(string_schema(None, TEXT_MAX))
]
"""Free text for humans (a reason, a warning)."""
