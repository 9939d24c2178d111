"""Load a simulator profile from a file: a profile document or a ModelCatalog manifest.

A ModelCatalog is read as plain YAML (the simulator does not depend on the operator's types)
and leniently: each model's provider-side id becomes the served id, its catalog name an alias,
its declared latency the median of a lognormal delay and its declared quality the probability
of a correct answer. Whatever a manifest leaves out takes the defaults below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from tierroute_gateway.sim.profile import ModelProfile, SimProfile, parse_duration_ms

CATALOG_KIND = "ModelCatalog"
P99_OVER_MEDIAN = 3.0
"""A declared latency becomes a lognormal whose p99 is this multiple of it."""
FIRST_TOKEN_SHARE = 0.3
"""Share of the declared latency spent before the first streamed token."""
CATALOG_TOKENS_PER_SECOND = 100.0
"""Streaming speed of models built from a catalog."""


class ProfileError(ValueError):
    """A profile or catalog file that cannot be turned into a simulator profile."""


def load_profile(
    path: Path, *, provider: str | None = None, require_catalog: bool = False
) -> SimProfile:
    """The profile in `path` (YAML or JSON; a profile or one or more ModelCatalog documents)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileError(f"{path}: cannot read: {error.strerror}") from error
    documents = _parse_documents(path, text)
    catalogs = [d for d in documents if isinstance(d, dict) and d.get("kind") == CATALOG_KIND]
    if catalogs:
        return profile_from_catalogs(catalogs, where=str(path), provider=provider)
    if require_catalog:
        raise ProfileError(f"{path}: holds no document of kind {CATALOG_KIND}")
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise ProfileError(f"{path}: expected one profile document (a mapping with `models`)")
    if provider is not None:
        raise ProfileError(f"{path}: --provider applies to ModelCatalog manifests only")
    try:
        return SimProfile.model_validate(documents[0])
    except ValidationError as error:
        raise ProfileError(f"{path}: {_describe(error)}") from error


def profile_from_catalogs(
    catalogs: list[dict[str, Any]], *, where: str, provider: str | None = None
) -> SimProfile:
    """A profile serving every model of the catalogs (only `provider`'s models if given)."""
    models: dict[str, ModelProfile] = {}
    for catalog_index, catalog in enumerate(catalogs):
        spec = catalog.get("spec")
        entries = (spec.get("models") if isinstance(spec, dict) else None) or []
        for index, entry in enumerate(entries):
            path = f"{where}: ModelCatalog[{catalog_index}] spec.models[{index}]"
            if not isinstance(entry, dict):
                raise ProfileError(f"{path}: expected a mapping, got {entry!r}")
            if provider is not None and entry.get("provider") != provider:
                continue
            model = model_from_catalog_entry(entry, path)
            _add_model(models, model)
    if not models:
        which = f" of provider {provider!r}" if provider else ""
        raise ProfileError(f"{where}: the ModelCatalog declares no models{which}")
    return SimProfile(models=list(models.values()))


def model_from_catalog_entry(entry: dict[str, Any], path: str) -> ModelProfile:
    """The simulated model for one `spec.models[]` entry of a ModelCatalog."""
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{path}.name: expected a model name, got {name!r}")
    served = entry.get("providerModel") or entry.get("provider_model") or name
    fields: dict[str, Any] = {"name": str(served), "owned_by": str(entry.get("provider", ""))}
    if served != name:
        fields["aliases"] = [name]
    if "latency" in entry:
        try:
            median = parse_duration_ms(entry["latency"], "latency")
        except ValueError as error:
            raise ProfileError(f"{path}.latency: {error}") from error
        fields["latency"] = _lognormal(median)
        fields["time_to_first_token"] = _lognormal(median * FIRST_TOKEN_SHARE)
        fields["tokens_per_second"] = CATALOG_TOKENS_PER_SECOND
    if "quality" in entry:
        fields["quality"] = entry["quality"]
    tokens_per_image = entry.get("tokensPerImage", entry.get("tokens_per_image"))
    if tokens_per_image is not None:
        fields["image_tokens"] = tokens_per_image
    try:
        return ModelProfile.model_validate({k: v for k, v in fields.items() if v != ""})
    except ValidationError as error:
        raise ProfileError(f"{path}: {_describe(error)}") from error


def _lognormal(median_ms: float) -> dict[str, Any]:
    if median_ms == 0:
        return {"distribution": "fixed", "median_ms": 0.0}
    return {
        "distribution": "lognormal",
        "median_ms": median_ms,
        "p99_ms": median_ms * P99_OVER_MEDIAN,
    }


def _add_model(models: dict[str, ModelProfile], model: ModelProfile) -> None:
    """Keep the first model of a served id; later catalog names become its aliases."""
    taken = {alias for existing in models.values() for alias in existing.aliases} | set(models)
    if model.name not in models:
        aliases = [alias for alias in model.aliases if alias not in taken]
        models[model.name] = model.model_copy(update={"aliases": aliases})
        return
    first = models[model.name]
    extra = [alias for alias in model.aliases if alias not in taken]
    models[model.name] = first.model_copy(update={"aliases": [*first.aliases, *extra]})


def _parse_documents(path: Path, text: str) -> list[Any]:
    if path.suffix == ".json":
        try:
            return [orjson.loads(text)]
        except orjson.JSONDecodeError as error:
            raise ProfileError(f"{path}: invalid JSON: {error}") from error
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        raise ProfileError(f"{path}: invalid YAML: {error}") from error


def _describe(error: ValidationError) -> str:
    """Pydantic's errors as `field.path: message (got value)`, joined."""
    parts = []
    for issue in error.errors():
        location = ".".join(str(part) for part in issue["loc"]) or "(document)"
        value = repr(issue.get("input"))
        value = value if len(value) <= 80 else value[:77] + "..."
        parts.append(f"{location}: {issue['msg']} (got {value})")
    return "; ".join(parts)
