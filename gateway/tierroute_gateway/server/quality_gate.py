"""The quality gate: is an answer unusable enough to escalate once to a higher tier?"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import orjson

from tierroute_gateway.routing_table import EscalationTrigger


def unusable_reason(
    answer: dict[str, Any],
    triggers: Collection[EscalationTrigger],
    *,
    requested_max_tokens: int | None,
    wants_json: bool,
) -> EscalationTrigger | None:
    """The first trigger an OpenAI chat completion answer trips, or None when it is usable.

    - empty: the first choice has no text and no tool calls;
    - truncated: it stopped on `length` below the limit the client asked for (or with no limit
      asked, on the model's own limit);
    - invalid_json: the client asked for JSON (`response_format`) and the text does not parse.
    """
    choices = answer.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    if not isinstance(choice, dict):
        choice = {}
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    if EscalationTrigger.EMPTY in triggers and not text.strip() and not message.get("tool_calls"):
        return EscalationTrigger.EMPTY
    if EscalationTrigger.TRUNCATED in triggers and choice.get("finish_reason") == "length":
        produced = _completion_tokens(answer)
        if requested_max_tokens is None or produced is None or produced < requested_max_tokens:
            return EscalationTrigger.TRUNCATED
    if EscalationTrigger.INVALID_JSON in triggers and wants_json and not _parses(text):
        return EscalationTrigger.INVALID_JSON
    return None


def _completion_tokens(answer: dict[str, Any]) -> int | None:
    usage = answer.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return tokens if isinstance(tokens, int) else None


def _parses(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True
