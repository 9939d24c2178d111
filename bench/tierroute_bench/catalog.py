"""Read a ModelCatalog manifest from a file into the operator's API types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tierroute_bench.yaml_lines import dotted_path
from tierroute_operator.api.model_catalog import ModelCatalog


class CatalogError(ValueError):
    """A catalog file that cannot be read or is not a valid ModelCatalog."""


def load_catalog(path: Path) -> ModelCatalog:
    """The first ModelCatalog document of a YAML file."""
    try:
        documents = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    except OSError as error:
        raise CatalogError(f"{path}: cannot read catalog: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from None
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "ModelCatalog":
            return _validated(path, document)
    raise CatalogError(f"{path}: no document of kind ModelCatalog")


def _validated(path: Path, document: dict[str, Any]) -> ModelCatalog:
    name = (document.get("metadata") or {}).get("name", "?")
    try:
        return ModelCatalog.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{dotted_path(issue['loc'])}: {issue['msg']}" for issue in error.errors()[:5]
        )
        raise CatalogError(f"{path}: ModelCatalog {name}: {problems}") from None
