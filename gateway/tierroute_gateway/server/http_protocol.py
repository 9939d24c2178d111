"""uvicorn's httptools protocol, answering unparseable requests with an OpenAI error body.

A request the HTTP parser refuses (a CR or LF inside a header value, a broken request line)
never reaches the application; uvicorn answers it with plain text. This subclass answers the
same 400 in the OpenAI error shape so that every refusal of the gateway reads the same.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tierroute_gateway.server.errors import INVALID_REQUEST, render_error

_BODY = render_error(
    "the HTTP request could not be parsed (a header value may contain CR or LF, or the "
    "request line is malformed)",
    INVALID_REQUEST,
    "invalid_http_request",
)


class GatewayHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with an OpenAI-shaped 400 for requests that do not parse."""

    def send_400_response(self, msg: str) -> None:
        """Answer 400 with a JSON error body and close the connection."""
        head = (
            b"HTTP/1.1 400 Bad Request\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(_BODY)).encode("ascii") + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        self.transport.write(head + _BODY)
        self.transport.close()
