"""A gateway's routing table straight from its ConfigMap, through the Kubernetes API.

The design's option for sub-second propagation: instead of waiting for the kubelet to refresh a
mounted ConfigMap (up to a minute or more), watch the one ConfigMap by name over HTTPS and hand
each new `routing.json` to the gateway at once. Each document is also written to disk the way
the kubelet writes a mounted ConfigMap (a timestamped directory, a `..data` symlink swapped
atomically, `routing.json` → `..data/routing.json`), so a restarted gateway serves the last
table it had even while the API server is unreachable, and `--config` keeps one meaning.

Plain aiohttp: this module imports neither kopf nor the operator.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import ssl
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import yaml

from tierroute_gateway.server.reload import Apply

logger = logging.getLogger("tierroute.gateway.configmap")

ROUTING_KEY = "routing.json"
SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DATA_LINK = "..data"


class WatchSetupError(ValueError):
    """The ConfigMap reference or the credentials to reach the API server are unusable."""


@dataclass(frozen=True)
class ApiAccess:
    """Where the API server is and how to authenticate (never printed: it holds a token)."""

    server: str
    ssl_context: ssl.SSLContext = field(repr=False)
    token: str | None = field(default=None, repr=False)

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header, if a token is used."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def api_access(kubeconfig: Path | None) -> ApiAccess:
    """Access from a kubeconfig file (current context), else the pod's ServiceAccount."""
    if kubeconfig is not None:
        return _from_kubeconfig(kubeconfig)
    token_file = SERVICE_ACCOUNT / "token"
    host, port = (
        os.environ.get("KUBERNETES_SERVICE_HOST"),
        os.environ.get("KUBERNETES_SERVICE_PORT"),
    )
    if not token_file.is_file() or not host:
        raise WatchSetupError(
            "no --kubeconfig given and not running in a pod with a ServiceAccount"
        )
    context = ssl.create_default_context(cafile=str(SERVICE_ACCOUNT / "ca.crt"))
    return ApiAccess(f"https://{host}:{port or 443}", context, token_file.read_text().strip())


def _from_kubeconfig(path: Path) -> ApiAccess:
    try:
        config = yaml.safe_load(path.read_text()) or {}
        current = config["current-context"]
        context = _named(config, "contexts", current)["context"]
        cluster = _named(config, "clusters", context["cluster"])["cluster"]
        user = _named(config, "users", context["user"]).get("user") or {}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise WatchSetupError(f"--kubeconfig {path}: unusable ({error!r})") from error
    ca_data = cluster.get("certificate-authority-data")
    ssl_context = ssl.create_default_context(
        cafile=cluster.get("certificate-authority"),
        cadata=base64.b64decode(ca_data).decode() if ca_data else None,
    )
    _load_client_certificate(ssl_context, user)
    token = user.get("token")
    if token is None and user.get("tokenFile"):
        token = Path(user["tokenFile"]).read_text().strip()
    return ApiAccess(str(cluster["server"]).rstrip("/"), ssl_context, token)


def _named(config: Mapping[str, Any], section: str, name: str) -> dict[str, Any]:
    item: dict[str, Any] = next(entry for entry in config[section] if entry["name"] == name)
    return item


def _load_client_certificate(context: ssl.SSLContext, user: Mapping[str, Any]) -> None:
    """Client certificate authentication, from files or inline data (via private temp files)."""
    certificate, key = user.get("client-certificate"), user.get("client-key")
    if certificate and key:
        context.load_cert_chain(certificate, key)
        return
    certificate_data, key_data = user.get("client-certificate-data"), user.get("client-key-data")
    if not (certificate_data and key_data):
        return
    with tempfile.TemporaryDirectory() as directory:
        paths = []
        for name, data in (("client.crt", certificate_data), ("client.key", key_data)):
            target = Path(directory) / name
            target.write_bytes(base64.b64decode(data))
            target.chmod(0o600)
            paths.append(str(target))
        context.load_cert_chain(*paths)


def write_like_kubelet(target: Path, document: bytes) -> None:
    """Replace `target` atomically: `target` → `..data/<name>`, `..data` → a fresh directory."""
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f"..{time.strftime('%Y_%m_%d_%H_%M_%S')}.", dir=directory))
    (fresh / target.name).write_bytes(document)
    fresh.chmod(0o755)
    data_link = directory / DATA_LINK
    previous = os.readlink(data_link) if data_link.is_symlink() else None
    staging = directory / f"{DATA_LINK}_tmp"
    with contextlib.suppress(FileNotFoundError):
        staging.unlink()
    staging.symlink_to(fresh.name)
    staging.replace(data_link)  # the one atomic step readers can observe
    if not target.is_symlink():
        link = directory / f".{target.name}.link"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(f"{DATA_LINK}/{target.name}")
        link.replace(target)
    if previous is not None and previous != fresh.name:
        _remove_tree(directory / previous)


def _remove_tree(path: Path) -> None:
    if not path.is_dir() or path.is_symlink():
        return
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


class ConfigMapTable:
    """A TableSource: the `routing.json` of one ConfigMap, kept current by a watch."""

    def __init__(
        self,
        access: ApiAccess,
        namespace: str,
        name: str,
        target: Path,
        *,
        watch_timeout_s: float = 60.0,
        retry_s: float = 1.0,
    ) -> None:
        self._access = access
        self._namespace = namespace
        self._name = name
        self._target = target
        self._watch_timeout_s = watch_timeout_s
        self._retry_s = retry_s
        self._last: bytes | None = None

    @property
    def origin(self) -> str:
        """How table documents are labelled in the gateway's log."""
        return f"configmap {self._namespace}/{self._name}"

    async def run(self, apply: Apply) -> None:
        """Serve the last table on disk first, then every version of the ConfigMap."""
        if self._target.is_file():
            self._last = self._target.read_bytes()
            await apply(self._last, str(self._target))
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=None)
        connector = aiohttp.TCPConnector(ssl=self._access.ssl_context, limit=2)
        async with aiohttp.ClientSession(
            self._access.server, connector=connector, headers=self._access.headers, timeout=timeout
        ) as session:
            while True:
                try:
                    async for config_map in self._versions(session):
                        await self._deliver(config_map, apply)
                except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                    logger.warning("watch of %s interrupted: %r", self.origin, error)
                    await asyncio.sleep(self._retry_s)

    async def _versions(self, session: aiohttp.ClientSession) -> AsyncIterator[dict[str, Any]]:
        """The ConfigMap as listed, then as each watch event shows it, until the watch ends."""
        path = f"/api/v1/namespaces/{self._namespace}/configmaps"
        selector = {"fieldSelector": f"metadata.name={self._name}"}
        request_timeout = aiohttp.ClientTimeout(total=10)
        async with session.get(path, params=selector, timeout=request_timeout) as response:
            listing = await _json(response)
        for item in listing.get("items") or ():
            yield item
        params = {
            **selector,
            "watch": "true",
            "allowWatchBookmarks": "true",
            "resourceVersion": str(listing["metadata"]["resourceVersion"]),
            "timeoutSeconds": str(round(self._watch_timeout_s)),
        }
        watch_timeout = aiohttp.ClientTimeout(total=self._watch_timeout_s + 15, sock_connect=5)
        async with session.get(path, params=params, timeout=watch_timeout) as response:
            if response.status >= 400:
                await _json(response)
            async for line in response.content:
                event = orjson.loads(line) if line.strip() else {}
                if event.get("type") in ("ADDED", "MODIFIED"):
                    yield event["object"]
                elif event.get("type") == "ERROR":
                    return  # e.g. 410 Gone: list again

    async def _deliver(self, config_map: Mapping[str, Any], apply: Apply) -> None:
        document = ((config_map.get("data") or {}).get(ROUTING_KEY) or "").encode()
        if not document or document == self._last:
            return
        if await apply(document, self.origin):
            await asyncio.to_thread(write_like_kubelet, self._target, document)
            self._last = document


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    body = await response.read()
    if response.status >= 400:
        raise aiohttp.ClientResponseError(
            response.request_info, (), status=response.status, message=body[:300].decode()
        )
    document: dict[str, Any] = orjson.loads(body)
    return document


def configmap_source(reference: str, kubeconfig: Path | None, target: Path) -> ConfigMapTable:
    """`tierroute gateway --watch-configmap NAMESPACE/NAME [--kubeconfig FILE] --config FILE`."""
    namespace, _, name = reference.partition("/")
    if not namespace or not name or "/" in name:
        raise WatchSetupError(f"--watch-configmap {reference!r}: expected NAMESPACE/NAME")
    return ConfigMapTable(api_access(kubeconfig), namespace, name, target)
