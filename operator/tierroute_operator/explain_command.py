"""`tierroute explain`: the routing decision for one prompt or request, as JSON, offline."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from tierroute_gateway.decision.errors import DecisionError
from tierroute_gateway.decision.features import extract_features, with_context_tokens
from tierroute_gateway.decision.hints import parse_hints
from tierroute_gateway.decision.index import RoutingIndex, build_index
from tierroute_gateway.decision.select import decide
from tierroute_gateway.server.headers import RequestHints
from tierroute_operator.compile_command import EXIT_PROBLEMS, EXIT_USAGE, compile_or_report


def prompt_request(prompt: str, model: str) -> dict[str, Any]:
    """A chat-completions body holding one user message."""
    return {"model": model, "messages": [{"role": "user", "content": prompt}]}


def explain_request(
    index: RoutingIndex,
    body: Mapping[str, Any],
    *,
    context_tokens: int | None,
    hints: RequestHints,
    now: datetime,
) -> dict[str, Any]:
    """The decision for `body` as JSON-ready values (raises DecisionError)."""
    features = extract_features(body, max_scan_chars=index.table.classification.max_scan_chars)
    if context_tokens is not None:
        features = with_context_tokens(features, context_tokens)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        model = "auto"
    decision = decide(
        index, model, features, request_id="explain", now=now, hints=parse_hints(hints)
    )
    return decision.as_dict()


def run_explain(
    paths: Sequence[Path],
    policy: str | None,
    *,
    prompt: str | None,
    request_file: Path | None,
    model: str,
    context_tokens: int | None,
    hints: RequestHints,
    now: datetime,
) -> int:
    """Print the decision as JSON; exit 1 when the request cannot be routed."""
    result = compile_or_report(paths, policy, now=now)
    if isinstance(result, int):
        return result
    body = _request_body(prompt, request_file, model)
    if isinstance(body, int):
        return body
    try:
        explained = explain_request(
            build_index(result.table), body, context_tokens=context_tokens, hints=hints, now=now
        )
    except DecisionError as error:
        answer = {"error": {"status": error.status, "code": error.code, "message": error.message}}
        sys.stdout.buffer.write(orjson.dumps(answer, option=orjson.OPT_INDENT_2) + b"\n")
        return EXIT_PROBLEMS
    sys.stdout.buffer.write(orjson.dumps(explained, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def _request_body(prompt: str | None, request_file: Path | None, model: str) -> Any:
    if request_file is None:
        return prompt_request(prompt or "", model)
    try:
        body = orjson.loads(request_file.read_bytes())
    except OSError as error:
        print(f"tierroute: cannot read {request_file}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except orjson.JSONDecodeError as error:
        print(f"{request_file}: not valid JSON: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    if not isinstance(body, dict):
        print(f"{request_file}: a chat-completions request must be a JSON object", file=sys.stderr)
        return EXIT_PROBLEMS
    body.setdefault("model", model)
    return body
