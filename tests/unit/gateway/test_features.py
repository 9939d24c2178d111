"""Feature extraction: token estimate, media counts, output limit, JSON mode, scan text."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.errors import InvalidRequest
from tierroute_gateway.decision.features import extract_features, with_context_tokens

CAP = 200


def features(body: dict[str, Any], cap: int = CAP) -> Any:
    return extract_features(body, max_scan_chars=cap)


def overhead(messages: int) -> int:
    return defaults.TOKENS_PER_MESSAGE * messages + defaults.REPLY_PRIMING_TOKENS


def test_text_tokens_are_characters_over_four_plus_message_overhead() -> None:
    body = {
        "messages": [{"role": "system", "content": "a" * 40}, {"role": "user", "content": "b" * 41}]
    }
    result = features(body)
    assert result.input_tokens == 10 + 11 + overhead(2)
    assert result.context_tokens == result.input_tokens


def test_text_parts_images_and_audio_are_counted() -> None:
    wav = base64.b64encode(b"\0" * defaults.AUDIO_BYTES_PER_SECOND["wav"] * 2).decode()
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "x" * 8},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "input_audio", "input_audio": {"data": wav, "format": "wav"}},
                ],
            }
        ]
    }
    result = features(body)
    assert result.image_count == 2
    assert result.audio_count == 1
    assert result.audio_seconds == pytest.approx(2.0, rel=0.01)
    expected = (
        2
        + overhead(1)
        + 2 * defaults.TOKENS_PER_IMAGE
        + round(result.audio_seconds * defaults.AUDIO_TOKENS_PER_SECOND)
    )
    assert result.input_tokens == expected


def test_tool_call_arguments_count_as_input() -> None:
    call = {"type": "function", "function": {"name": "f" * 4, "arguments": "{" + "a" * 35 + "}"}}
    body = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "1", "content": "r" * 4},
        ]
    }
    characters = len("hi") + 4 + 37 + 4
    assert features(body).input_tokens == -(-characters // 4) + overhead(3)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        ({"max_tokens": 300}, 300),
        ({"max_completion_tokens": 200, "max_tokens": 300}, 200),
    ],
)
def test_requested_output_prefers_max_completion_tokens(
    fields: dict[str, Any], expected: int | None
) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], **fields}
    assert features(body).max_output_tokens == expected


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        (None, False),
        ({"type": "text"}, False),
        ({"type": "json_object"}, True),
        ({"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}, True),
    ],
)
def test_json_response_format_is_detected(response_format: Any, expected: bool) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "response_format": response_format}
    assert features(body).json_response is expected


def test_scan_text_starts_with_the_last_user_message_then_goes_back_in_time() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "SYSTEM"},
            {"role": "user", "content": "FIRST"},
            {"role": "assistant", "content": "ANSWER"},
            {"role": "user", "content": [{"type": "text", "text": "LAST"}]},
        ]
    }
    assert features(body).scan_text == "LAST\nFIRST\nSYSTEM"


def test_scan_text_is_capped_and_later_text_is_never_scanned() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "classify"},
            {"role": "user", "content": "y" * (CAP * 10)},
        ]
    }
    result = features(body)
    assert len(result.scan_text) == CAP
    assert "classify" not in result.scan_text


def test_scan_text_never_exceeds_the_cap_across_many_pieces() -> None:
    body = {"messages": [{"role": "user", "content": "ab" * 7} for _ in range(100)]}
    assert len(features(body, cap=50).scan_text) <= 50


def test_prompt_tail_is_the_end_of_the_last_user_message_with_its_whole_length() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "SYSTEM"},
            {"role": "user", "content": "FIRST"},
            {"role": "assistant", "content": "ANSWER"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "AB"}, {"type": "text", "text": "CD"}],
            },
        ]
    }
    result = features(body)
    assert (result.tail_text, result.prompt_chars) == ("AB\nCD", 5)


def test_prompt_tail_is_bounded_whatever_the_prompt_size() -> None:
    limit = defaults.PROMPT_TAIL_CHARS
    text = "a" * (limit * 5) + "THE END"
    one_piece = features({"messages": [{"role": "user", "content": text}]})
    assert one_piece.tail_text == text[-limit:]
    assert one_piece.prompt_chars == len(text)
    pieces = [{"type": "text", "text": "x" * 1000 + str(n)} for n in range(limit // 100)]
    many = features({"messages": [{"role": "user", "content": pieces}]})
    joined = "\n".join(part["text"] for part in pieces)
    assert many.tail_text == joined[-limit:]
    assert many.prompt_chars == len(joined)


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        pytest.param([{"role": "system", "content": "only system"}], "only system", id="no-user"),
        pytest.param([{"role": "assistant", "content": "x"}], "", id="nothing-scanned"),
    ],
)
def test_prompt_tail_without_a_user_message(messages: list[Any], expected: str) -> None:
    result = features({"messages": messages})
    assert (result.tail_text, result.prompt_chars) == (expected, len(expected))


def test_user_field_is_kept_for_sticky_assignment() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "user": "u-1"}
    assert features(body).user == "u-1"


def test_stated_context_tokens_replace_the_estimate_for_routing() -> None:
    result = with_context_tokens(features({"messages": [{"role": "user", "content": "hi"}]}), 5000)
    assert result.context_tokens == 5000
    assert result.input_tokens < 5000


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": ["hi"]}, "messages[0]"),
        ({"messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": [7]}]}, "messages[0].content[0]"),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": None}]}]},
            "messages[0].content[0].text",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "messages[0].content[0].input_audio",
        ),
        ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
        (
            {"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": True},
            "max_completion_tokens",
        ),
    ],
)
def test_unreadable_bodies_name_the_field_at_fault(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        features(body)
    assert raised.value.param == param
    assert param in raised.value.message
    assert raised.value.status == 400


def test_unknown_part_kinds_are_ignored() -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "file", "file": {}}]}]}
    assert features(body).input_tokens == overhead(1)
