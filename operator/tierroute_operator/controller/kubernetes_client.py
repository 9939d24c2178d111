"""A thin async client for the few API calls the operator makes (aiohttp, as kopf uses).

get, list, server-side apply with a field manager, JSON merge patch, create, replace and watch.
Errors become `ApiError` with the HTTP status and the API's reason; bodies sent are never
logged (a Secret's data passes through here).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any

import aiohttp
import kopf
import orjson

from tierroute_operator.controller.resources import FIELD_MANAGER

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"  # JSON is valid YAML
MERGE_PATCH_CONTENT_TYPE = "application/merge-patch+json"
JSON_CONTENT_TYPE = "application/json"
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
"""Accept header of a list whose items carry only `metadata` (no data travels)."""
METADATA_OBJECT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
"""Accept header of a watch whose events carry only the objects' `metadata`."""
MAX_MESSAGE_CHARACTERS = 500


class ApiError(Exception):
    """The API server refused a request, or could not be reached (status 0)."""

    def __init__(self, status: int, reason: str, message: str, *, retry_after: float | None = None):
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


class KubernetesClient:
    """Calls to one API server with one identity; use as an async context manager."""

    def __init__(
        self,
        connection: kopf.ConnectionInfo,
        *,
        relogin: Callable[[], kopf.ConnectionInfo] | None = None,
        request_timeout_s: float = 15.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self._connection = connection
        self._relogin = relogin
        self._timeout = aiohttp.ClientTimeout(
            total=request_timeout_s, sock_connect=connect_timeout_s
        )
        self._connect_timeout_s = connect_timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> KubernetesClient:
        self._session = self._new_session()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(ssl=self._connection.as_ssl_context(), limit=32)
        return aiohttp.ClientSession(
            base_url=self._connection.server.rstrip("/"),
            connector=connector,
            headers=self._connection.as_http_headers(),
            timeout=self._timeout,
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open HTTP session (after entering the context)."""
        if self._session is None:
            raise RuntimeError("KubernetesClient used outside `async with`")
        return self._session

    async def get(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> dict[str, Any] | None:
        """The object at `path`, or None when it does not exist."""
        try:
            return await self._request("GET", path, params=params)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def list(
        self, path: str, params: Mapping[str, str] | None = None, *, accept: str | None = None
    ) -> dict[str, Any]:
        """A collection (`items`, `metadata.resourceVersion`); `accept` may ask for metadata
        only (`METADATA_LIST`)."""
        return await self._request("GET", path, params=params, accept=accept)

    async def apply(
        self, path: str, body: Mapping[str, Any], *, force: bool = True
    ) -> dict[str, Any]:
        """Server-side apply `body` as the operator's field manager."""
        params = {"fieldManager": FIELD_MANAGER, "force": "true" if force else "false"}
        return await self._request(
            "PATCH", path, params=params, body=body, content_type=APPLY_CONTENT_TYPE
        )

    async def merge_patch(self, path: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON merge patch (for status: only the fields given change)."""
        params = {"fieldManager": FIELD_MANAGER}
        return await self._request(
            "PATCH", path, params=params, body=patch, content_type=MERGE_PATCH_CONTENT_TYPE
        )

    async def create(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a new object into the collection at `path`."""
        params = {"fieldManager": FIELD_MANAGER}
        return await self._request("POST", path, params=params, body=body)

    async def replace(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT `body` (with its resourceVersion: a conflict raises ApiError 409)."""
        params = {"fieldManager": FIELD_MANAGER}
        return await self._request("PUT", path, params=params, body=body)

    async def watch(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        timeout_s: float,
        accept: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Watch events (`type`, `object`) until the server ends the stream or `timeout_s`;
        `accept` may ask for metadata only (`METADATA_OBJECT`)."""
        query = {**params, "watch": "true"}
        timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=self._connect_timeout_s)
        headers = {"Accept": accept} if accept is not None else {}
        try:
            async with self.session.get(
                path, params=query, timeout=timeout, headers=headers
            ) as response:
                if response.status >= 400:
                    raise await _error_of(response)
                async for line in response.content:
                    if line.strip():
                        yield orjson.loads(line)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ApiError(0, "ConnectionFailed", f"watch {path}: {error!r}") from error

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        content_type: str = JSON_CONTENT_TYPE,
        accept: str | None = None,
    ) -> dict[str, Any]:
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": content_type} if data is not None else {}
        if accept is not None:
            headers["Accept"] = accept
        for attempt in range(2):
            try:
                async with self.session.request(
                    method, path, params=params, data=data, headers=headers
                ) as response:
                    if response.status == 401 and attempt == 0 and self._relogin is not None:
                        await self._refresh_credentials()
                        continue
                    if response.status >= 400:
                        raise await _error_of(response)
                    result: dict[str, Any] = orjson.loads(await response.read())
                    return result
            except (aiohttp.ClientError, TimeoutError) as error:
                raise ApiError(0, "ConnectionFailed", f"{method} {path}: {error!r}") from error
        raise ApiError(401, "Unauthorized", f"{method} {path}: credentials refused")

    async def _refresh_credentials(self) -> None:
        if self._relogin is None:
            return
        self._connection = await asyncio.to_thread(self._relogin)
        old = self._session
        self._session = self._new_session()
        if old is not None:
            await old.close()


async def _error_of(response: aiohttp.ClientResponse) -> ApiError:
    text = (await response.read()).decode(errors="replace")
    try:
        status = json.loads(text)
    except ValueError:
        status = {}
    if not isinstance(status, dict):
        status = {}
    reason = str(status.get("reason") or response.reason or "Error")
    message = str(status.get("message") or text)[:MAX_MESSAGE_CHARACTERS]
    retry = response.headers.get("Retry-After")
    retry_after = float(retry) if retry and retry.isdigit() else None
    return ApiError(response.status, reason, message, retry_after=retry_after)
