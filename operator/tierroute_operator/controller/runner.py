"""`tierroute operator`: endpoints, the Lease, then kopf with the operator's handlers.

Order: health and metrics endpoints first (a standby replica is alive and says `standby`),
then the Lease when one is configured, then kopf. Losing the Lease stops kopf and exits with
code 1, so the pod restarts as a standby. SIGTERM stops everything and releases the Lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import urllib.parse
from collections.abc import AsyncIterator

import kopf
from aiohttp import web

from tierroute_operator.api.meta import GROUP, VERSION
from tierroute_operator.controller.cluster_view import ClusterView
from tierroute_operator.controller.config_map_watch import ConfigMapWatches
from tierroute_operator.controller.connection import LoginError, login
from tierroute_operator.controller.controller import Controller
from tierroute_operator.controller.handlers import build_registry
from tierroute_operator.controller.health import HealthState, serve_health, serve_metrics
from tierroute_operator.controller.kubernetes_client import KubernetesClient
from tierroute_operator.controller.leader_election import LeaderElector
from tierroute_operator.controller.metrics import OperatorMetrics
from tierroute_operator.controller.own_writes import OwnWrites
from tierroute_operator.controller.resources import PLURALS
from tierroute_operator.controller.secret_watch import SecretWatches
from tierroute_operator.controller.settings import OperatorConfig, kopf_settings
from tierroute_operator.controller.sync import Syncer

logger = logging.getLogger("tierroute.operator")

EXIT_LEASE_LOST = 1
EXIT_USAGE = 2


def run_operator(config: OperatorConfig) -> int:
    """Run until SIGTERM/SIGINT (exit 0) or until the Lease is lost (exit 1)."""
    kopf.configure(
        verbose=config.verbose,
        log_format=kopf.LogFormat.JSON if config.log_format == "json" else kopf.LogFormat.FULL,
    )
    if not config.verbose:  # kopf's line per handled event: a thousand policies, a thousand lines
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    try:
        connection = login(config.kubeconfig)
    except LoginError as error:
        print(f"tierroute operator: {error}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_serve(config, connection))


async def _serve(config: OperatorConfig, connection: kopf.ConnectionInfo) -> int:
    metrics = OperatorMetrics()
    health = HealthState(leader=config.lease is None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    client = KubernetesClient(
        connection,
        relogin=lambda: login(config.kubeconfig),
        request_timeout_s=config.request_timeout_s,
        connect_timeout_s=config.connect_timeout_s,
    )
    async with client, _endpoints(config, health, metrics):
        missing = await _missing_resources(client)
        if missing:
            print(
                f"tierroute operator: the API server does not serve {', '.join(missing)}: "
                "install the CRDs first (kubectl apply -f crds/)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if config.lease is None:
            return await _run_kopf(config, client, metrics, health, stop)
        namespace, name = config.lease.split("/", 1)
        elector = LeaderElector(client, namespace, name, config.identity, config.lease_duration_s)
        if not await elector.acquire(stop):
            return 0
        lost = asyncio.Event()
        holder = asyncio.create_task(elector.hold(lost), name="lease holder")
        health.leader = True
        metrics.leader.set(1)
        relay = asyncio.create_task(_relay(lost, stop), name="lease lost")
        try:
            await _run_kopf(config, client, metrics, health, stop)
        finally:
            holder.cancel()
            relay.cancel()
            await asyncio.gather(holder, relay, return_exceptions=True)
            if not lost.is_set():
                await elector.release()
        return EXIT_LEASE_LOST if lost.is_set() else 0


async def _missing_resources(client: KubernetesClient) -> list[str]:
    """The operator's custom resources the API server does not serve (kopf would idle)."""
    served = await client.get(f"/apis/{GROUP}/{VERSION}")
    names = {resource.get("name") for resource in (served or {}).get("resources") or ()}
    return [f"{plural}.{GROUP}" for plural in PLURALS.values() if plural not in names]


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


async def _run_kopf(
    config: OperatorConfig,
    client: KubernetesClient,
    metrics: OperatorMetrics,
    health: HealthState,
    stop: asyncio.Event,
) -> int:
    def make_controller(view: ClusterView) -> Controller:
        secrets = SecretWatches(client, watch_timeout_s=config.watch_server_timeout_s)
        syncer = Syncer(client, view, secrets, OwnWrites(), metrics, config.identity)
        learned_routers = ConfigMapWatches(client, watch_timeout_s=config.watch_server_timeout_s)
        controller = Controller(
            syncer, metrics, health, config.workers, config.resync_s, learned_routers
        )
        secrets.on_change = controller.secret_changed
        learned_routers.on_change = controller.learned_router_changed
        return controller

    registry = build_registry(lambda: login(config.kubeconfig), make_controller, stop.set)
    logger.info(
        "operator %s starting (namespaces: %s)",
        config.identity,
        "all" if config.all_namespaces else ", ".join(config.namespaces),
    )
    await kopf.operator(
        registry=registry,
        settings=kopf_settings(config),
        standalone=True,
        clusterwide=config.all_namespaces,
        namespaces=list(config.namespaces),
        stop_flag=stop,
    )
    return 0


@contextlib.asynccontextmanager
async def _endpoints(
    config: OperatorConfig, health: HealthState, metrics: OperatorMetrics
) -> AsyncIterator[None]:
    runners: list[web.AppRunner] = []
    try:
        if config.liveness_url is not None:
            parts = urllib.parse.urlsplit(config.liveness_url)
            host = parts.hostname or "0.0.0.0"
            runner, port = await serve_health(health, host, parts.port or 0, parts.path or "/")
            runners.append(runner)
            print(f"tierroute operator listening on http://{host}:{port}{parts.path}", flush=True)
        if config.metrics_port is not None:
            runner, port = await serve_metrics(metrics, config.metrics_host, config.metrics_port)
            runners.append(runner)
            print(f"tierroute operator metrics on http://{config.metrics_host}:{port}/metrics",
                  flush=True)  # fmt: skip
        yield
    finally:
        for runner in runners:
            await runner.cleanup()
