"""Where each model of a run is sent: the endpoint, the wire format, the model id, the
credentials header, and what the catalog says about its price and capabilities. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tierroute_bench.costs import model_prices
from tierroute_bench.payloads import WireApi
from tierroute_bench.tasks import Modality
from tierroute_gateway.decision.cost import ModelPrices

if TYPE_CHECKING:
    from tierroute_operator.api.model_catalog import ModelCatalog

_VERSION_SUFFIX = re.compile(r"/v\d+[a-z0-9]*$")
_NEEDS = {
    Modality.TEXT: frozenset[str](),
    Modality.VISION: frozenset({"vision"}),
    Modality.AUDIO: frozenset({"audio"}),
}


class TargetError(ValueError):
    """A model that cannot be benchmarked as asked (not in the catalog, no endpoint)."""


@dataclass(frozen=True)
class Target:
    """One model to benchmark and how to reach it."""

    model: str
    request_model: str
    api: WireApi
    url: str
    headers: dict[str, str] = field(repr=False, default_factory=dict)
    prices: ModelPrices | None = None
    capabilities: frozenset[str] | None = None
    tokens_per_image: int | None = None
    declared_quality: str | None = None

    def can_do(self, modality: Modality, media_kinds: frozenset[str]) -> bool:
        """Whether the catalog says the model handles this input (unknown means yes)."""
        if self.capabilities is None:
            return True
        needed = set(_NEEDS.get(modality, frozenset()))
        needed |= {"vision" if kind == "image" else "audio" for kind in media_kinds}
        return needed <= self.capabilities


def endpoint_url(base: str, api: WireApi) -> str:
    """The chat endpoint under a base URL (`/v1` is added when the base has no version)."""
    base = base.rstrip("/")
    if not _VERSION_SUFFIX.search(base):
        base += "/v1"
    return base + ("/chat/completions" if api == "openai" else "/messages")


ANTHROPIC_VERSION = "2023-06-01"


def auth_headers(api: WireApi, api_key: str | None) -> dict[str, str]:
    """The headers a wire format needs on every request: credentials, API version."""
    if api == "anthropic":
        version = {"anthropic-version": ANTHROPIC_VERSION}
        return version if api_key is None else {"x-api-key": api_key, **version}
    return {} if api_key is None else {"authorization": f"Bearer {api_key}"}


def resolve_targets(
    names: Sequence[str],
    catalog: ModelCatalog | None,
    *,
    catalog_label: str,
    gateway_url: str | None,
    provider_url: str | None,
    api: WireApi,
    api_key: str | None,
) -> list[Target]:
    """A target per model name (every catalog model when `names` is empty)."""
    if catalog is None:
        if not names:
            raise TargetError("no models: name them in the suite or --models, or give --catalog")
        return [_bare_target(name, gateway_url, provider_url, api, api_key) for name in names]
    chosen = list(names) or [model.name for model in catalog.spec.models if not model.disabled]
    known = {model.name for model in catalog.spec.models}
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise TargetError(
            f"model {unknown[0]!r} is not in ModelCatalog {catalog.metadata.name} "
            f"({catalog_label}); it declares: {', '.join(sorted(known))}"
        )
    return [_catalog_target(name, catalog, gateway_url, provider_url, api_key) for name in chosen]


def _bare_target(
    name: str, gateway_url: str | None, provider_url: str | None, api: WireApi, key: str | None
) -> Target:
    if gateway_url is not None:
        url = endpoint_url(gateway_url, "openai")
        return Target(name, name, "openai", url, auth_headers("openai", key))
    if provider_url is None:
        raise TargetError(f"model {name!r}: give --gateway or --provider-url (no catalog)")
    return Target(name, name, api, endpoint_url(provider_url, api), auth_headers(api, key))


def _catalog_target(
    name: str,
    catalog: ModelCatalog,
    gateway_url: str | None,
    provider_url: str | None,
    api_key: str | None,
) -> Target:
    model = catalog.spec.model(name)
    provider = catalog.spec.provider(model.provider) if model is not None else None
    if model is None or provider is None:
        raise TargetError(f"model {name!r}: provider not declared in the catalog")
    wire: WireApi = "openai"
    if gateway_url is not None:
        request_model, url = name, endpoint_url(gateway_url, "openai")
    else:
        wire = "anthropic" if str(provider.api) == "anthropic" else "openai"
        request_model = model.provider_model_id
        url = endpoint_url(provider_url or provider.base_url, wire)
    return Target(
        model=name,
        request_model=request_model,
        api=wire,
        url=url,
        headers=auth_headers(wire, api_key),
        prices=model_prices(model.pricing),
        capabilities=frozenset(str(capability) for capability in model.capabilities),
        tokens_per_image=model.tokens_per_image,
        declared_quality=model.quality,
    )
