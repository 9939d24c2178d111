"""Reading manifest files into typed custom resources, with every problem addressed.

`load_manifests` reads files and directories (`*.yaml`, `*.yml`, `*.json`, multi-document) and
returns the tierroute objects it found plus a list of problems, each printable as
`FILE: Kind/name: field.path: message` (or `FILE:LINE: message` when the YAML itself is
broken). Objects of other API groups are skipped: a GitOps folder holds Deployments too. Core
ConfigMaps are kept aside (`Manifests.config_maps`): a RoutingPolicy's learned router lives in
one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tierroute_operator.api import KINDS, Resource
from tierroute_operator.api.meta import API_VERSION, GROUP
from tierroute_operator.api.validation_errors import describe_validation_error

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class ManifestPathError(ValueError):
    """A path given on the command line does not exist (a usage error)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the manifests; `warning` ones do not fail validation."""

    file: str
    message: str
    line: int | None = None
    object: str | None = None
    path: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" if self.line and not self.object else self.file
        parts = [location, *(part for part in (self.object, self.path) if part), self.message]
        text = " ".join(": ".join(parts).split())  # one line, whatever the message holds
        return f"warning: {text}" if self.warning else text


@dataclass(frozen=True)
class LoadedObject:
    """A valid custom resource and where it came from."""

    file: str
    line: int
    resource: Resource

    @property
    def label(self) -> str:
        """`Kind/name`, the way problems name an object."""
        return f"{self.resource.kind}/{self.resource.metadata.name}"

    @property
    def key(self) -> tuple[str, str, str]:
        """(kind, namespace, name): what must be unique."""
        metadata = self.resource.metadata
        return (self.resource.kind, metadata.namespace or "", metadata.name)


@dataclass(frozen=True)
class LoadedConfigMap:
    """A core/v1 ConfigMap read from a manifest, as `kubectl create configmap -o yaml` writes."""

    file: str
    line: int
    name: str
    namespace: str | None
    body: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        """(namespace, name): what must be unique."""
        return (self.namespace or "", self.name)


@dataclass(frozen=True)
class Manifests:
    """Everything read from a set of paths."""

    objects: tuple[LoadedObject, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]
    config_maps: tuple[LoadedConfigMap, ...] = ()

    def find_config_map(self, name: str, namespace: str | None) -> LoadedConfigMap | None:
        """The ConfigMap of that name in that namespace, if it was read."""
        key = (namespace or "", name)
        return next((item for item in self.config_maps if item.key == key), None)

    def find(self, kind: str, name: str, namespace: str | None) -> LoadedObject | None:
        """The object of that kind and name in that namespace, if it was read."""
        key = (kind, namespace or "", name)
        return next((item for item in self.objects if item.key == key), None)

    def of_kind(self, kind: str) -> list[LoadedObject]:
        """Every object of one kind, in reading order."""
        return [item for item in self.objects if item.resource.kind == kind]


def manifest_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read: given files as they are, directories searched recursively."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                candidate
                for candidate in path.rglob("*")
                if candidate.suffix in MANIFEST_SUFFIXES
                and candidate.is_file()
                and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
            )
        elif path.exists():
            found.append(path)
        else:
            raise ManifestPathError(f"{path}: no such file or directory")
    return found


def load_manifests(paths: Sequence[Path]) -> Manifests:
    """Read and validate every manifest under `paths`; raises only for a missing path."""
    files = manifest_files(paths)
    objects: list[LoadedObject] = []
    config_maps: list[LoadedConfigMap] = []
    problems: list[Problem] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(file), f"cannot read: {error}"))
            continue
        file_objects, file_problems = _parse(text, str(file), config_maps)
        objects += file_objects
        problems += file_problems
    unique, duplicates = _without_duplicates(objects)
    unique_maps, duplicate_maps = _config_maps_without_duplicates(config_maps)
    return Manifests(
        objects=tuple(unique),
        problems=tuple(problems + duplicates + duplicate_maps),
        files=tuple(str(file) for file in files),
        config_maps=tuple(unique_maps),
    )


def parse_manifests(text: str, file: str) -> tuple[list[LoadedObject], list[Problem]]:
    """The tierroute objects of one YAML/JSON text and the problems found in it."""
    return _parse(text, file, [])


def _parse(
    text: str, file: str, config_maps: list[LoadedConfigMap]
) -> tuple[list[LoadedObject], list[Problem]]:
    """Objects and problems of one text; its ConfigMaps are appended to `config_maps`."""
    objects: list[LoadedObject] = []
    problems: list[Problem] = []
    try:
        for line, document in _documents(text):
            for item in _expand_lists(document):
                config_map, malformed = _config_map(item, file, line)
                if config_map is not None or malformed:
                    config_maps += [config_map] if config_map is not None else []
                    problems += malformed
                    continue
                loaded, problem = _typed_object(item, file, line)
                objects += [loaded] if loaded is not None else []
                problems += problem
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problems.append(
            Problem(
                file,
                f"invalid YAML: {_yaml_reason(error)}",
                line=mark.line + 1 if mark is not None else None,
            )
        )
    except yaml.reader.ReaderError as error:
        code = error.character if isinstance(error.character, int) else ord(error.character)
        message = f"invalid YAML: character #x{code:04x} at offset {error.position}"
        problems.append(Problem(file, f"{message}: {error.reason}"))
    except yaml.YAMLError as error:
        problems.append(Problem(file, f"invalid YAML: {error}"))
    return objects, problems


def _yaml_reason(error: yaml.MarkedYAMLError) -> str:
    return " ".join(part for part in (error.context, error.problem) if part)


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys (kubectl does too)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _documents(text: str) -> Iterator[tuple[int, Any]]:
    """(first line, content) of every non-empty document of a YAML stream."""
    loader = _StrictLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            document = loader.construct_document(node)
            if document is not None:
                yield node.start_mark.line + 1, document
    finally:
        loader.dispose()


def _expand_lists(document: Any) -> list[Any]:
    """A `kind: List` (as `kubectl get -o yaml` writes) stands for its items."""
    if isinstance(document, dict) and document.get("kind") == "List":
        items = document.get("items")
        return list(items) if isinstance(items, list) else []
    return [document]


def _typed_object(document: Any, file: str, line: int) -> tuple[LoadedObject | None, list[Problem]]:
    if not isinstance(document, dict):
        found = type(document).__name__
        return None, [Problem(file, f"expected a Kubernetes object, got a {found}", line=line)]
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None, _incomplete_header(api_version, kind, file, line)
    if api_version.split("/")[0] != GROUP:
        return None, []
    label = f"{kind}/{_name_of(document)}"
    if api_version != API_VERSION:
        message = f"{api_version!r} is not served; use {API_VERSION!r}"
        return None, [Problem(file, message, object=label, path="apiVersion")]
    model = KINDS.get(kind)
    if model is None:
        known = ", ".join(KINDS)
        message = f"unknown kind {kind!r} in {GROUP} (known: {known})"
        return None, [Problem(file, message, object=label, path="kind")]
    try:
        resource = model.model_validate(document)
    except ValidationError as error:
        return None, [
            Problem(file, message, object=label, path=path or None)
            for path, message in describe_validation_error(error)
        ]
    return LoadedObject(file=file, line=line, resource=resource), []


def _config_map(
    document: Any, file: str, line: int
) -> tuple[LoadedConfigMap | None, list[Problem]]:
    """A core ConfigMap (else nothing): name, namespace and string-valued data checked."""
    if not isinstance(document, dict):
        return None, []
    if document.get("apiVersion") != "v1" or document.get("kind") != "ConfigMap":
        return None, []
    name = _name_of(document)
    metadata = document.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    fields = [field for field in ("data", "binaryData") if not _string_map(document.get(field))]
    if name == "<unnamed>" or not (namespace is None or isinstance(namespace, str)):
        fields.append("metadata")
    problems = [
        Problem(
            file,
            ("needs a name" if field == "metadata" else "must map keys to strings")
            + "; the ConfigMap is ignored",
            object=f"ConfigMap/{name}",
            path=field,
            warning=True,
        )
        for field in fields
    ]
    if problems:
        return None, problems
    return LoadedConfigMap(file, line, name, namespace, document), []


def _string_map(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, dict) and all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    )


def _incomplete_header(api_version: object, kind: object, file: str, line: int) -> list[Problem]:
    """A document without apiVersion or kind: ours with a field missing, or not a manifest.

    Files that are not manifests at all (Helm values, tool profiles) have neither and are
    skipped, as are objects of other groups; one of ours missing a field is an error.
    """
    ours = (isinstance(api_version, str) and api_version.split("/")[0] == GROUP) or kind in KINDS
    if not ours:
        return []
    missing = "kind" if isinstance(api_version, str) else "apiVersion"
    return [Problem(file, f"{missing} is required", line=line)]


def _name_of(document: dict[str, Any]) -> str:
    metadata = document.get("metadata")
    name: object = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) and name else "<unnamed>"


def _without_duplicates(
    objects: list[LoadedObject],
) -> tuple[list[LoadedObject], list[Problem]]:
    first: dict[tuple[str, str, str], LoadedObject] = {}
    problems = []
    for item in objects:
        earlier = first.get(item.key)
        if earlier is None:
            first[item.key] = item
            continue
        namespace = item.key[1] or "the default namespace"
        problems.append(
            Problem(
                item.file,
                f"defined twice in {namespace}: first in {earlier.file} (line {earlier.line})",
                object=item.label,
                path="metadata.name",
            )
        )
    return list(first.values()), problems


def _config_maps_without_duplicates(
    config_maps: list[LoadedConfigMap],
) -> tuple[list[LoadedConfigMap], list[Problem]]:
    first: dict[tuple[str, str], LoadedConfigMap] = {}
    problems = []
    for item in config_maps:
        earlier = first.setdefault(item.key, item)
        if earlier is item:
            continue
        namespace = item.key[0] or "the default namespace"
        problems.append(
            Problem(
                item.file,
                f"defined twice in {namespace}: the one in {earlier.file} (line {earlier.line}) "
                "is used",
                object=f"ConfigMap/{item.name}",
                path="metadata.name",
                warning=True,
            )
        )
    return list(first.values()), problems
