"""Classification: the seed's complexity rule, capabilities, the header override, the cap."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.gateway.tables import default_classification, features_for, seed_index
from tierroute_gateway.decision.classify import classify
from tierroute_gateway.decision.features import extract_features
from tierroute_gateway.routing_table import Capability, Complexity

INDEX = seed_index()


def classified(prompt: str, context_tokens: int | None = None, **fields: object):  # type: ignore[no-untyped-def]
    return classify(INDEX, features_for(INDEX, prompt, context_tokens, **fields))


def test_seed_classification_prompt_is_low_complexity() -> None:
    result = classified("Classify this text as positive or negative: 'Great product!'", 100)
    assert result.complexity is Complexity.LOW
    assert result.capabilities == frozenset()


def test_seed_architecture_prompt_is_high_and_needs_reasoning() -> None:
    result = classified(
        "Analyze this codebase architecture and suggest improvements for scalability", 50_000
    )
    assert result.complexity is Complexity.HIGH
    assert Capability.REASONING in result.capabilities


def test_context_above_the_threshold_is_high_whatever_the_words() -> None:
    threshold = INDEX.high_complexity_context_tokens
    assert classified("list the colours", threshold + 1).complexity is Complexity.HIGH
    assert classified("list the colours", threshold).complexity is Complexity.LOW


@pytest.mark.parametrize(
    ("prompt", "complexity"),
    [
        ("hello there", Complexity.MEDIUM),
        ("extract the dates", Complexity.LOW),
        ("design an algorithm", Complexity.HIGH),
        ("compare and then list them", Complexity.MEDIUM),
        ("compare the architecture, then list it", Complexity.HIGH),
    ],
)
def test_more_complex_than_simple_patterns_is_high_and_the_reverse_low(
    prompt: str, complexity: Complexity
) -> None:
    assert classified(prompt).complexity is complexity


def test_patterns_match_whatever_the_case() -> None:
    assert classified("EXTRACT THE DATES").complexity is Complexity.LOW


def test_header_hint_overrides_complexity() -> None:
    features = features_for(INDEX, "extract the dates", 90_000)
    result = classify(INDEX, features, Complexity.MEDIUM)
    assert result.complexity is Complexity.MEDIUM
    assert "x-tierroute-complexity" in result.reason


@pytest.mark.parametrize(
    ("prompt", "capability"),
    [
        ("write a function", Capability.CODING),
        ("why is the sky blue", Capability.REASONING),
        ("describe the diagram", Capability.VISION),
    ],
)
def test_keywords_require_capabilities(prompt: str, capability: Capability) -> None:
    assert capability in classified(prompt).capabilities


def test_image_parts_require_vision_and_audio_parts_require_audio() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "mp3"}},
                ],
            }
        ]
    }
    result = classify(INDEX, extract_features(body, max_scan_chars=INDEX.max_scan_chars))
    assert {Capability.VISION, Capability.AUDIO} <= result.capabilities
    assert "image parts" in result.reason
    assert "audio parts" in result.reason


def test_long_context_is_required_above_its_threshold() -> None:
    threshold = INDEX.long_context_tokens
    assert Capability.LONG_CONTEXT in classified("hi", threshold + 1).capabilities
    assert Capability.LONG_CONTEXT not in classified("hi", threshold).capabilities


def test_reason_names_the_rule_that_decided() -> None:
    result = classified("hi", 60_000)
    assert "60,000" in result.reason
    assert "long_context" in result.reason


@settings(max_examples=25, deadline=None)
@given(filler=st.integers(0, 2_000), offset=st.integers(0, 5_000))
def test_a_pattern_beyond_the_scan_cap_is_never_matched(filler: int, offset: int) -> None:
    cap = 1_000
    index = seed_index(classification=default_classification(max_scan_chars=cap))
    before = "z" * (cap + offset)
    body = {"messages": [{"role": "user", "content": before + " classify " + "q" * filler}]}
    features = extract_features(body, max_scan_chars=cap)
    assert len(features.scan_text) <= cap
    assert classify(index, features).complexity is Complexity.MEDIUM


def test_a_pattern_within_the_scan_cap_is_matched() -> None:
    cap = 1_000
    index = seed_index(classification=default_classification(max_scan_chars=cap))
    body = {"messages": [{"role": "user", "content": "z " * 200 + "classify " + "q" * 10_000}]}
    features = extract_features(body, max_scan_chars=cap)
    assert classify(index, features).complexity is Complexity.LOW
