"""How an answer or a fault reaches the client: paced event streams and broken sockets.

A reset closes the socket with RST (SO_LINGER 0) and sends nothing more; a mid-stream drop
sends part of an answer, then resets.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from aiohttp import web

from tierroute_gateway.sim.behaviour import Answer, Behaviour, Draw, Outcome
from tierroute_gateway.sim.chat_call import Reply
from tierroute_gateway.sim.usage import PromptTokens

_JSON = "application/json"
_EVENT_STREAM = "text/event-stream; charset=utf-8"


async def stream_answer(
    request: web.Request,
    *,
    reply: Reply,
    answer: Answer,
    draw: Draw,
    behaviour: Behaviour,
    prompt: PromptTokens,
) -> web.StreamResponse:
    """Send the answer as server-sent events: first token after the TTFT, then at speed."""
    if draw.first_token_s:
        await asyncio.sleep(draw.first_token_s)
    response = web.StreamResponse(
        headers={"Content-Type": _EVENT_STREAM, "Cache-Control": "no-cache"}
    )
    drop = draw.outcome is Outcome.DROP
    sent = answer.pieces[: behaviour.drop_after_tokens] if drop else answer.pieces
    end = b""
    if not drop:
        tokens, finish = len(answer.pieces), answer.finish
        end = reply.stream_end(tokens, finish, prompt)
    start = reply.stream_start(prompt)
    interval_s = behaviour.token_interval_s
    try:
        await response.prepare(request)
        if interval_s:
            await response.write(start + reply.stream_delta(sent[:1]))
            await _write_pieces(response, reply, sent, interval_s)
            await response.write(end)
        else:  # unthrottled: one write for the whole stream
            await response.write(start + reply.stream_delta(sent) + end)
        if drop:
            return reset_connection(request, response)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client went away: nothing left to send it
    return response


async def _write_pieces(
    response: web.StreamResponse, reply: Reply, pieces: tuple[str, ...], interval_s: float
) -> None:
    """Pieces after the first, each due `interval_s` after the previous; late ones batch up."""
    loop = asyncio.get_running_loop()
    first_at = loop.time()
    sent = 1
    while sent < len(pieces):
        wait = first_at + sent * interval_s - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        due = int((loop.time() - first_at) / interval_s) + 1
        due = min(len(pieces), max(due, sent + 1))
        await response.write(reply.stream_delta(pieces[sent:due]))
        sent = due


async def drop_body(request: web.Request, body: bytes) -> web.StreamResponse:
    """Announce the whole body, send half of it, then reset the connection."""
    response = web.StreamResponse(headers={"Content-Type": _JSON})
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    return reset_connection(request, response)


def reset_connection(
    request: web.Request, response: web.StreamResponse | None = None
) -> web.StreamResponse:
    """Close the connection with a TCP reset (SO_LINGER 0) and send nothing more."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return response if response is not None else web.Response()
