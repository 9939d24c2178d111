"""What routing needs from a parsed chat-completions body, read in O(number of parts).

Token estimate: every character of text (message contents, text parts, refusals, tool-call
names and arguments) at `CHARS_PER_TOKEN`, plus a per-message overhead and the reply priming,
plus `TOKENS_PER_IMAGE` per image part and `AUDIO_TOKENS_PER_SECOND` per second of audio (the
duration estimated from the base64 size and format). Lengths come from `len()`, never from
scanning text, so a 100k-token body costs what a short one does. Tool definitions and unknown
part kinds are not counted.

Text for pattern matching (`scan_text`): the last user message first, then the earlier
user, system and developer messages from newest to oldest, joined by newlines and cut at
`max_scan_chars`. The newest user message is the task at hand; system prompts often state
it too. Assistant and tool messages are not matched: they are model and tool output, not the
task. Only the first `max_scan_chars` characters of that order are ever copied or matched.

Prompt for the learned router (`tail_text`, `prompt_chars`): the last user message (else the
last scanned one), its text parts joined by newlines, as the learned router was fitted on one
prompt string: its last `PROMPT_TAIL_CHARS` characters and its whole length. Only that tail is
copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.errors import InvalidRequest

_SCANNED_ROLES = frozenset({"user", "system", "developer"})
_JSON_FORMATS = frozenset({"json_object", "json_schema"})


class RequestFeatures(NamedTuple):
    """The facts about one request that classification and selection use.

    `scan_text`: prompt text for pattern matching, at most `max_scan_chars` long.
    `input_tokens`: input tokens estimated from the body. `context_tokens`: the input size
    routing uses, `input_tokens` unless a caller states it (the seed's `context_length`, the
    explain CLI's `--context-tokens`). `max_output_tokens`: `max_completion_tokens`, else
    `max_tokens`, else None. `json_response`: whether `response_format` asks for JSON.
    `user`: the body's `user` field, for sticky experiment assignment. `tail_text`: the last
    `PROMPT_TAIL_CHARS` characters of the prompt the learned router reads, `prompt_chars` that
    prompt's whole length (see the module docstring).
    """

    scan_text: str
    input_tokens: int
    context_tokens: int
    image_count: int
    audio_count: int
    audio_seconds: float
    max_output_tokens: int | None
    json_response: bool
    user: str | None
    tail_text: str = ""
    prompt_chars: int = 0


def with_context_tokens(features: RequestFeatures, tokens: int) -> RequestFeatures:
    """`features` with the context size a caller states instead of the estimate."""
    return features._replace(context_tokens=tokens)


class _Tally:
    """Running counts over the parts of a body."""

    __slots__ = ("audio", "audio_seconds", "chars", "images")

    def __init__(self) -> None:
        self.chars = 0
        self.images = 0
        self.audio = 0
        self.audio_seconds = 0.0


def extract_features(body: Mapping[str, Any], *, max_scan_chars: int) -> RequestFeatures:
    """Read `body` (an OpenAI chat-completions request parsed by orjson) into features."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest(
            "messages must be a non-empty array of message objects", param="messages"
        )
    tally = _Tally()
    scanned: list[tuple[str, list[str]]] = []
    for position, message in enumerate(messages):
        if not isinstance(message, dict):
            raise InvalidRequest(
                f"messages[{position}] must be an object, not {type(message).__name__}",
                param=f"messages[{position}]",
            )
        pieces = _read_message(message, position, tally)
        role = message.get("role")
        if pieces and role in _SCANNED_ROLES:
            scanned.append((role, pieces))
    input_tokens = (
        -(-tally.chars // defaults.CHARS_PER_TOKEN)
        + defaults.TOKENS_PER_MESSAGE * len(messages)
        + defaults.REPLY_PRIMING_TOKENS
        + tally.images * defaults.TOKENS_PER_IMAGE
    )
    if tally.audio_seconds:
        input_tokens += round(tally.audio_seconds * defaults.AUDIO_TOKENS_PER_SECOND)
    user = body.get("user")
    scan_text, tail_text, prompt_chars = _texts(scanned, max_scan_chars)
    return RequestFeatures(
        scan_text=scan_text,
        input_tokens=input_tokens,
        context_tokens=input_tokens,
        image_count=tally.images,
        audio_count=tally.audio,
        audio_seconds=tally.audio_seconds,
        max_output_tokens=_max_output_tokens(body),
        json_response=_json_response(body.get("response_format")),
        user=user if isinstance(user, str) and user else None,
        tail_text=tail_text,
        prompt_chars=prompt_chars,
    )


def _read_message(message: Mapping[str, Any], position: int, tally: _Tally) -> list[str]:
    """Count one message into `tally`; return its text pieces."""
    content = message.get("content")
    pieces: list[str] = []
    if isinstance(content, str):
        tally.chars += len(content)
        pieces.append(content)
    elif isinstance(content, list):
        for part_position, part in enumerate(content):
            text = _read_part(part, f"messages[{position}].content[{part_position}]", tally)
            if text:
                pieces.append(text)
    elif content is not None:
        raise InvalidRequest(
            f"messages[{position}].content must be a string, an array of parts or null, "
            f"not {type(content).__name__}",
            param=f"messages[{position}].content",
        )
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                tally.chars += _length(function.get("name")) + _length(function.get("arguments"))
    return pieces


def _read_part(part: Any, param: str, tally: _Tally) -> str | None:
    """Count one content part into `tally`; return its text, if it is text."""
    if not isinstance(part, dict):
        raise InvalidRequest(f"{param} must be an object, not {type(part).__name__}", param=param)
    kind = part.get("type")
    if kind in {"text", "refusal"}:
        text = part.get(kind)
        if not isinstance(text, str):
            raise InvalidRequest(f"{param}.{kind} must be a string", param=f"{param}.{kind}")
        tally.chars += len(text)
        return text if kind == "text" else None
    if kind == "image_url":
        tally.images += 1
    elif kind == "input_audio":
        tally.audio += 1
        tally.audio_seconds += _audio_seconds(part.get("input_audio"), f"{param}.input_audio")
    return None


def _audio_seconds(audio: Any, param: str) -> float:
    """Duration estimated from the base64 size: bytes = 3/4 of the characters."""
    if not isinstance(audio, dict) or not isinstance(audio.get("data"), str):
        raise InvalidRequest(f"{param} must be an object with a base64 `data` string", param=param)
    audio_format = audio.get("format")
    per_second = defaults.AUDIO_BYTES_PER_SECOND.get(
        audio_format if isinstance(audio_format, str) else "",
        defaults.AUDIO_BYTES_PER_SECOND_OTHER,
    )
    return len(audio["data"]) * 3 / 4 / per_second


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _max_output_tokens(body: Mapping[str, Any]) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidRequest(f"{name} must be a positive integer, not {value!r}", param=name)
        return value
    return None


def _json_response(response_format: Any) -> bool:
    return isinstance(response_format, dict) and response_format.get("type") in _JSON_FORMATS


def _texts(scanned: list[tuple[str, list[str]]], max_scan_chars: int) -> tuple[str, str, int]:
    """The scan text, the prompt tail and the prompt's length (see the module docstring)."""
    if len(scanned) == 1 and len(scanned[0][1]) == 1:
        text = scanned[0][1][0]  # the common case: one message, one piece; no copy if short
        return text[:max_scan_chars], text[-defaults.PROMPT_TAIL_CHARS :], len(text)
    if not scanned:
        return "", "", 0
    last_user = next(
        (i for i in range(len(scanned) - 1, -1, -1) if scanned[i][0] == "user"),
        len(scanned) - 1,
    )
    tail_text, prompt_chars = _prompt_tail(scanned[last_user][1])
    return _scan_text(scanned, last_user, max_scan_chars), tail_text, prompt_chars


def _prompt_tail(pieces: list[str]) -> tuple[str, int]:
    """The last `PROMPT_TAIL_CHARS` characters of `pieces` joined by newlines, and its length."""
    limit = defaults.PROMPT_TAIL_CHARS
    if len(pieces) == 1:
        return pieces[0][-limit:], len(pieces[0])
    chunks: list[str] = []
    remaining = limit
    for piece in reversed(pieces):
        chunk = piece[-remaining:]
        chunks.append(chunk)
        remaining -= len(chunk) + 1
        if remaining <= 0:
            break
    total = sum(map(len, pieces)) + len(pieces) - 1
    return "\n".join(reversed(chunks))[-limit:], total


def _scan_text(scanned: list[tuple[str, list[str]]], last_user: int, max_scan_chars: int) -> str:
    """The last user message's text, then earlier scanned messages newest first, capped."""
    ordered = [scanned[last_user][1]]
    ordered += [scanned[i][1] for i in range(len(scanned) - 1, -1, -1) if i != last_user]
    chunks: list[str] = []
    remaining = max_scan_chars
    for pieces in ordered:
        for piece in pieces:
            if remaining <= 0:
                return "\n".join(chunks)[:max_scan_chars]
            chunk = piece[:remaining]
            chunks.append(chunk)
            remaining -= len(chunk) + 1
    return "\n".join(chunks)[:max_scan_chars]
