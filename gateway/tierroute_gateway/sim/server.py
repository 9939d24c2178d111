"""The simulator's HTTP shell: aiohttp handlers that read, ask the pure core, and write.

Faults that no status code can express are carried out on the socket itself (`delivery`): a
reset closes it with no answer, a timeout hangs and then resets, a mid-stream drop sends part
of the answer and then resets.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from aiohttp import web

from tierroute_gateway.sim import anthropic_api, openai_api
from tierroute_gateway.sim.admin_api import admin_routes
from tierroute_gateway.sim.behaviour import Answer, Behaviour, Draw, Outcome, compose_answer
from tierroute_gateway.sim.chat_call import ChatCall, ErrorKind, Reply, WireError, bad_request
from tierroute_gateway.sim.delivery import drop_body, reset_connection, stream_answer
from tierroute_gateway.sim.state import Api, Seen, SimState
from tierroute_gateway.sim.usage import (
    anthropic_prompt_tokens,
    openai_prompt_tokens,
    prompt_tokens_with_cache,
)

MAX_BODY_BYTES = 64 * 1024 * 1024
EXPECTED_ANSWER_HEADER = "x-sim-expected-answer"
EXPECTED_ANSWER_B64_HEADER = "x-sim-expected-answer-b64"
ANSWER_TOKENS_HEADER = "x-sim-answer-tokens"
_JSON = "application/json"
_SERVER_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Wire:
    """What differs between the two provider APIs on the chat path."""

    api: Api
    parse: Callable[[bytes], ChatCall]
    api_key: Callable[[Mapping[str, str]], str | None]
    check_headers: Callable[[Mapping[str, str]], None]
    prompt_tokens: Callable[[ChatCall, Behaviour], int]
    reply: Callable[[ChatCall, int], Reply]
    error_body: Callable[[WireError], bytes]


def _no_check(headers: Mapping[str, str]) -> None:
    return None


OPENAI = Wire(
    api="openai",
    parse=openai_api.parse_chat,
    api_key=openai_api.api_key,
    check_headers=_no_check,
    prompt_tokens=lambda call, behaviour: openai_prompt_tokens(
        call.body["messages"],
        image_tokens=behaviour.image_tokens,
        audio_tokens_per_second=behaviour.audio_tokens_per_second,
    ),
    reply=lambda call, number: openai_api.OpenAIReply(
        f"chatcmpl-sim{number:08d}", call.model, int(time.time()), call.include_usage
    ),
    error_body=openai_api.error_body,
)
ANTHROPIC = Wire(
    api="anthropic",
    parse=anthropic_api.parse_messages,
    api_key=anthropic_api.api_key,
    check_headers=anthropic_api.check_version,
    prompt_tokens=lambda call, behaviour: anthropic_prompt_tokens(
        call.body["messages"], call.body.get("system"), image_tokens=behaviour.image_tokens
    ),
    reply=lambda call, number: anthropic_api.AnthropicReply(f"msg_sim{number:08d}", call.model),
    error_body=anthropic_api.error_body,
)


def build_app(state: SimState) -> web.Application:
    """The simulator's aiohttp application over `state`."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/v1/chat/completions", chat_handler(state, OPENAI))
    app.router.add_post("/v1/messages", chat_handler(state, ANTHROPIC))
    app.router.add_get("/v1/models", models_handler(state))
    app.router.add_get("/v1/models/{model_id}", model_handler(state))
    app.router.add_get("/healthz", _healthz)
    app.router.add_routes(admin_routes(state))
    return app


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(body=b'{"status":"ok"}', content_type=_JSON)


class Accepted(NamedTuple):
    """A chat request that passed every check, with what the answer depends on."""

    call: ChatCall
    behaviour: Behaviour
    expected: str | None
    answer_tokens: int | None
    prompt_tokens: int


def chat_handler(state: SimState, wire: Wire) -> Handler:
    """The chat endpoint of one wire API."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            accepted = await _accept(state, wire, request)
        except _RefusedError as refused:
            state.reject(Seen(wire.api, refused.model, refused.error.kind.value, request.headers))
            return _error(wire, refused.error)
        call, behaviour, expected, answer_tokens, prompt_tokens = accepted
        draw = state.draw(behaviour)
        seen = Seen(
            wire.api,
            call.model,
            draw.outcome.value,
            request.headers,
            call.stream,
            behaviour.name,
            prompt_tokens,
            call.max_tokens,
            call.json_mode,
        )
        state.record(behaviour.name, draw.outcome, seen)
        fault = await _unanswered_fault(request, wire, behaviour, draw)
        if fault is not None:
            return fault
        answer = compose_answer(
            behaviour,
            draw,
            expected=expected,
            max_tokens=call.max_tokens,
            json_mode=call.json_mode,
            answer_tokens=answer_tokens,
        )
        reply = wire.reply(call, state.next_request_number())
        return await _deliver(
            request, reply, answer, draw, behaviour, stream=call.stream, prompt_tokens=prompt_tokens
        )

    return handle


async def _deliver(
    request: web.Request,
    reply: Reply,
    answer: Answer,
    draw: Draw,
    behaviour: Behaviour,
    *,
    stream: bool,
    prompt_tokens: int,
) -> web.StreamResponse:
    """Send the answer, streamed or whole, with the prompt-cache reads and writes it reports."""
    prompt = prompt_tokens_with_cache(
        prompt_tokens, behaviour.cached_prompt_share, behaviour.cache_write_share
    )
    if stream:
        return await stream_answer(
            request, reply=reply, answer=answer, draw=draw, behaviour=behaviour, prompt=prompt
        )
    if draw.latency_s:
        await asyncio.sleep(draw.latency_s)
    body = reply.body(answer.pieces, answer.finish, prompt)
    if draw.outcome is Outcome.DROP:
        return await drop_body(request, body)
    return web.Response(body=body, content_type=_JSON)


class _RefusedError(Exception):
    """A `WireError` with the model the request named, if it got that far."""

    def __init__(self, error: WireError, model: str) -> None:
        super().__init__(error.message)
        self.error = error
        self.model = model


async def _accept(state: SimState, wire: Wire, request: web.Request) -> Accepted:
    """Check credentials, headers and body; find the model; count the prompt."""
    headers = request.headers
    model = ""
    try:
        _authorize(state, wire, headers)
        wire.check_headers(headers)
        call = wire.parse(await _read(request))
        model = call.model
        served = state.lookup(call.model, wire.api)
        if served is None:
            raise WireError(
                404,
                ErrorKind.NOT_FOUND,
                f"The model `{call.model}` does not exist or you do not have access to it.",
                "model",
            )
        return Accepted(
            call,
            served.behaviour,
            _expected_answer(headers),
            _answer_tokens(headers),
            wire.prompt_tokens(call, served.behaviour),
        )
    except WireError as error:
        raise _RefusedError(error, model) from error


async def _unanswered_fault(
    request: web.Request, wire: Wire, behaviour: Behaviour, draw: Draw
) -> web.StreamResponse | None:
    """Carry out a fault that happens before any answer, or None when there is none."""
    outcome = draw.outcome
    if outcome is Outcome.ERROR:
        message = _SERVER_ERROR_MESSAGE
        return _error(wire, WireError(behaviour.error_status, ErrorKind.SERVER_ERROR, message))
    if outcome is Outcome.RATE_LIMITED:
        error = WireError(429, ErrorKind.RATE_LIMITED, f"Rate limit reached for {behaviour.name}.")
        response = _error(wire, error)
        response.headers["retry-after"] = str(behaviour.retry_after_s)
        return response
    if outcome is Outcome.TIMEOUT:
        await asyncio.sleep(behaviour.timeout_s)
        return reset_connection(request)
    if outcome is Outcome.RESET:
        return reset_connection(request)
    return None


def _error(wire: Wire, error: WireError) -> web.Response:
    return web.Response(status=error.status, body=wire.error_body(error), content_type=_JSON)


def _authorize(state: SimState, wire: Wire, headers: Mapping[str, str]) -> None:
    if state.api_keys and wire.api_key(headers) not in state.api_keys:
        message = "Incorrect API key provided." if wire.api == "openai" else "invalid x-api-key"
        raise WireError(401, ErrorKind.UNAUTHORIZED, message)


async def _read(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise WireError(
            413, ErrorKind.TOO_LARGE, f"Request body is larger than {MAX_BODY_BYTES} bytes."
        ) from None


def _expected_answer(headers: Mapping[str, str]) -> str | None:
    encoded = headers.get(EXPECTED_ANSWER_B64_HEADER)
    if encoded is None:
        return headers.get(EXPECTED_ANSWER_HEADER)
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise bad_request(f"{EXPECTED_ANSWER_B64_HEADER}: not base64 of UTF-8 text") from None


def _answer_tokens(headers: Mapping[str, str]) -> int | None:
    value = headers.get(ANSWER_TOKENS_HEADER)
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise bad_request(f"{ANSWER_TOKENS_HEADER}: expected an integer >= 1, got {value!r}")
    return int(value)


def models_handler(state: SimState) -> Handler:
    """`GET /v1/models` in the shape of the API the client speaks (by `anthropic-version`)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        wire = ANTHROPIC if "anthropic-version" in request.headers else OPENAI
        try:
            _authorize(state, wire, request.headers)
        except WireError as error:
            return _error(wire, error)
        ids = _model_ids(state, wire.api)
        if wire is ANTHROPIC:
            body = anthropic_api.models_body(ids, "2025-01-01T00:00:00Z")
        else:
            body = openai_api.models_body(ids, 1_735_689_600)
        return web.Response(body=body, content_type=_JSON)

    return handle


def model_handler(state: SimState) -> Handler:
    """`GET /v1/models/{id}` (OpenAI)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            _authorize(state, OPENAI, request.headers)
        except WireError as error:
            return _error(OPENAI, error)
        model_id = request.match_info["model_id"]
        served = state.lookup(model_id, "openai")
        if served is None:
            message = f"The model `{model_id}` does not exist or you do not have access to it."
            return _error(OPENAI, WireError(404, ErrorKind.NOT_FOUND, message, "model"))
        body = openai_api.model_body(model_id, served.owned_by, 1_735_689_600)
        return web.Response(body=body, content_type=_JSON)

    return handle


def _model_ids(state: SimState, api: Api) -> list[tuple[str, str]]:
    return sorted(
        (model_id, state.served[name].owned_by)
        for model_id, name in state.model_ids.items()
        if api in state.served[name].apis
    )
