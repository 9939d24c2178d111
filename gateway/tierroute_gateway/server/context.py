"""The context of one chat completion while it is served."""

from __future__ import annotations

from dataclasses import dataclass

from tierroute_gateway.server.accounting import Accounting
from tierroute_gateway.server.chat_request import ChatRequest
from tierroute_gateway.server.gateway import Gateway, TableState


@dataclass(slots=True)
class ChatContext:
    """What every step of serving a chat completion needs."""

    gateway: Gateway
    state: TableState
    chat: ChatRequest
    raw: bytes
    record: Accounting
    deadline: float
