"""Benchmark tasks and suites: the schema, and loading it from YAML or JSONL.

A suite is a YAML document (a header naming models, options and defaults, with tasks inline
or in JSONL files next to it) or a bare JSONL file of tasks. Tasks from JSONL files are read
lazily, one line at a time, so a suite of a million tasks does not sit in memory. Every error
names the file, the line and the field path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from tierroute_bench.yaml_lines import dotted_path, line_of

DEFAULT_MAX_MEDIA_BYTES = 20 * 1024 * 1024
DEFAULT_TOKENS_PER_IMAGE = 500


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names file, line and field."""


class Modality(StrEnum):
    """What kind of input a task carries."""

    TEXT = "text"
    VISION = "vision"
    AUDIO = "audio"
    MULTIMODAL = "multimodal"


class ScorerKind(StrEnum):
    """How an answer is compared with the expected one."""

    EXACT = "exact"
    NORMALIZED = "normalized"
    REGEX = "regex"
    NUMERIC = "numeric"
    JSON_FIELD = "json_field"
    CER = "cer"
    WER = "wer"
    JUDGE = "judge"


class _Schema(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class Scorer(_Schema):
    """Which scorer judges a task, with its parameters."""

    kind: ScorerKind = Field(description="The scoring method.")
    pattern: str | None = Field(
        default=None, description="regex: the pattern the answer must match (search, case-blind)."
    )
    tolerance: float = Field(
        default=0.0, ge=0, description="numeric: allowed absolute difference from the expected."
    )
    relative_tolerance: float = Field(
        default=0.0, ge=0, description="numeric: allowed difference as a fraction of |expected|."
    )
    fields: tuple[str, ...] = Field(
        default=(),
        description="json_field: dotted paths compared (a.b[0].c); empty means every key of "
        "the expected object.",
    )
    max_rate: float = Field(
        default=0.1,
        ge=0,
        description="cer / wer: the highest error rate that still counts as correct.",
    )
    judge_model: str | None = Field(
        default=None, description="judge: the model that grades (defaults to --judge-model)."
    )


class MediaRef(_Schema):
    """One media input of a task."""

    source: str = Field(
        min_length=1,
        description="A file path (relative to the suite file), a data: URL or an http(s) URL.",
    )
    kind: Literal["image", "audio"] | None = Field(
        default=None, description="image or audio; sniffed from the bytes when omitted."
    )


class Task(_Schema):
    """One benchmark task: a prompt, its media, and how to score the answer."""

    id: str = Field(min_length=1, max_length=256, description="Unique id within the suite.")
    modality: Modality = Field(description="text, vision, audio or multimodal.")
    prompt: str = Field(min_length=1, description="The instruction sent with the media.")
    media: tuple[MediaRef, ...] = Field(default=(), description="Images and audio clips.")
    max_output_tokens: int = Field(default=256, ge=1, description="Output token limit.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    expected: Any = Field(
        default=None, description="The expected answer (text, number or JSON object)."
    )
    scorer: Scorer = Field(
        default_factory=lambda: Scorer(kind=ScorerKind.NORMALIZED),
        description="How the answer is scored; normalized exact match by default.",
    )
    tags: tuple[str, ...] = Field(default=(), description="Free labels (ocr, chart, ...).")

    @model_validator(mode="after")
    def _scorer_has_what_it_needs(self) -> Task:
        """Catch at load time what would make the scorer fail after the request was paid."""
        check_scorer_inputs(self.scorer, self.expected)
        return self

    @field_validator("media", mode="before")
    @classmethod
    def _media_shorthand(cls, value: Any) -> Any:
        """Accept a bare string for a media entry."""
        if isinstance(value, list | tuple):
            return [{"source": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("scorer", mode="before")
    @classmethod
    def _scorer_shorthand(cls, value: Any) -> Any:
        """Accept a bare scorer name (`scorer: exact`)."""
        return {"kind": value} if isinstance(value, str) else value


def check_scorer_inputs(scorer: Scorer, expected: Any) -> None:
    """Raise ValueError when `expected` (or the pattern) cannot feed `scorer`."""
    kind = scorer.kind
    if kind == ScorerKind.REGEX:
        pattern = scorer.pattern if scorer.pattern is not None else expected
        if not isinstance(pattern, str):
            raise ValueError("regex scorer needs scorer.pattern or a text `expected`")
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"regex {pattern!r} does not compile: {error}") from None
        return
    if kind == ScorerKind.JUDGE:
        return
    if expected is None:
        raise ValueError(f"scorer {kind.value} needs an `expected` answer")
    if kind == ScorerKind.NUMERIC and not _is_number(expected):
        raise ValueError(f"numeric scorer needs a number as `expected`, got {expected!r}")
    if kind == ScorerKind.JSON_FIELD and not isinstance(expected, dict):
        raise ValueError(f"json_field scorer needs a JSON object as `expected`, got {expected!r}")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value).replace(",", ""))
    except ValueError:
        return False
    return True


class SuiteOptions(_Schema):
    """Options of a suite that apply to every task."""

    simulator: bool = Field(
        default=False,
        description="The target is tierroute's simulator: send the expected answer in the "
        "x-sim-expected-answer header. Never set this against a real provider.",
    )
    tokens_per_image: int = Field(
        default=DEFAULT_TOKENS_PER_IMAGE,
        ge=1,
        description="Image token estimate used when usage is absent and in the 10K-images cost.",
    )
    max_media_bytes: int = Field(
        default=DEFAULT_MAX_MEDIA_BYTES, ge=1, description="Largest accepted media file."
    )


class TaskDefaults(_Schema):
    """Values a task takes when it does not set them."""

    max_output_tokens: int | None = Field(default=None, ge=1, description="Output token limit.")
    temperature: float | None = Field(default=None, ge=0, le=2, description="Temperature.")
    scorer: Scorer | None = Field(default=None, description="Scorer of tasks that set none.")

    @field_validator("scorer", mode="before")
    @classmethod
    def _scorer_shorthand(cls, value: Any) -> Any:
        """Accept a bare scorer name (`scorer: exact`)."""
        return {"kind": value} if isinstance(value, str) else value


class SuiteHeader(_Schema):
    """A suite file without its tasks."""

    api_version: str | None = Field(default=None, description="tierroute.io/v1alpha1, optional.")
    kind: Literal["BenchmarkSuite"] | None = Field(default=None, description="BenchmarkSuite.")
    name: str = Field(default="suite", min_length=1, description="Suite name, in reports.")
    catalog: str | None = Field(
        default=None, description="ModelCatalog manifest (path relative to the suite file)."
    )
    models: tuple[str, ...] = Field(
        default=(), description="Catalog model names to run; all catalog models when empty."
    )
    options: SuiteOptions = Field(default_factory=SuiteOptions, description="Suite options.")
    defaults: TaskDefaults = Field(default_factory=TaskDefaults, description="Task defaults.")
    tasks_files: tuple[str, ...] = Field(
        default=(), description="JSONL files of tasks (paths relative to the suite file)."
    )


@dataclass(frozen=True)
class Suite:
    """A loaded suite: its header, where it lives, and where its tasks come from."""

    path: Path
    header: SuiteHeader
    inline_tasks: tuple[Task, ...]
    inline_lines: tuple[int, ...]
    tasks_files: tuple[Path, ...]

    @property
    def base_dir(self) -> Path:
        """Directory that relative media paths start from."""
        return self.path.parent


def load_suite(path: Path) -> Suite:
    """Read a suite file (YAML or JSONL) and check its header and inline tasks."""
    if not path.is_file():
        raise SuiteError(f"{path}: suite file not found")
    if path.suffix == ".jsonl":
        return Suite(path, SuiteHeader(), (), (), (path,))
    text = _read_text(path)
    try:
        root = yaml.compose(text)
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise SuiteError(f"{path}{where}: not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise SuiteError(f"{path}:1: a suite is a mapping with a `tasks` or `tasksFiles` key")
    raw_tasks = document.pop("tasks", [])
    header = _validate_header(path, root, document)
    if not isinstance(raw_tasks, list):
        raise SuiteError(f"{path}:{line_of(root, ('tasks',))}: tasks: must be a list")
    tasks = tuple(
        _inline_task(raw, header.defaults, path, root, index) for index, raw in enumerate(raw_tasks)
    )
    lines = tuple(line_of(root, ("tasks", index)) for index in range(len(raw_tasks)))
    files = tuple(path.parent / name for name in header.tasks_files)
    for file in files:
        if not file.is_file():
            raise SuiteError(f"{path}: tasksFiles: {str(file)!r} not found")
    if not tasks and not files:
        raise SuiteError(f"{path}: the suite has no tasks (set `tasks` or `tasksFiles`)")
    return Suite(path, header, tasks, lines, files)


def iter_tasks(suite: Suite) -> Iterator[Task]:
    """The suite's tasks in order: inline ones, then each JSONL file line by line."""
    yield from suite.inline_tasks
    for file in suite.tasks_files:
        for _, task in _iter_jsonl(file, suite.header.defaults):
            yield task


def iter_located_tasks(suite: Suite) -> Iterator[tuple[str, Task]]:
    """(`file:line`, task) for each task, for messages that point at the task."""
    for line, task in zip(suite.inline_lines, suite.inline_tasks, strict=True):
        yield f"{suite.path}:{line}", task
    for file in suite.tasks_files:
        for line, task in _iter_jsonl(file, suite.header.defaults):
            yield f"{file}:{line}", task


def _iter_jsonl(file: Path, defaults: TaskDefaults) -> Iterator[tuple[int, Task]]:
    """(line number, task) for each non-blank line of a JSONL file."""
    with file.open("rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise SuiteError(f"{file}:{line_number}: not valid JSON: {error}") from None
            yield line_number, _validate_task(raw, defaults, file, line_number)


def _inline_task(
    raw: Any, defaults: TaskDefaults, path: Path, root: yaml.Node | None, index: int
) -> Task:
    def locate(location: tuple[Any, ...]) -> int:
        return line_of(root, ("tasks", index, *location))

    return _validate_task(raw, defaults, path, line_of(root, ("tasks", index)), locate)


def _validate_header(path: Path, root: yaml.Node | None, document: dict[str, Any]) -> SuiteHeader:
    try:
        return SuiteHeader.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        raise SuiteError(
            f"{path}:{line_of(root, location)}: {dotted_path(location)}: {first['msg']}"
            f"{_input_note(first)}"
        ) from None


def _validate_task(
    raw: Any,
    defaults: TaskDefaults,
    file: Path,
    line: int,
    locate: Callable[[tuple[Any, ...]], int] | None = None,
) -> Task:
    """Validate one task; `locate` maps a field path to its line (YAML), else `line` is used."""
    if not isinstance(raw, dict):
        raise SuiteError(f"{file}:{line}: a task is a mapping, got {type(raw).__name__}")
    merged = _with_defaults(raw, defaults)
    try:
        return Task.model_validate(merged)
    except ValidationError as error:
        first = error.errors()[0]
        task_id = raw.get("id", "?")
        location = tuple(first["loc"])
        field = dotted_path(location)
        line = locate(location) if locate is not None else line
        raise SuiteError(
            f"{file}:{line}: task {task_id!r}: {field}: {first['msg']}{_input_note(first)}"
        ) from None


def _with_defaults(raw: dict[str, Any], defaults: TaskDefaults) -> dict[str, Any]:
    merged = dict(raw)
    if defaults.max_output_tokens is not None and not {"maxOutputTokens", "max_output_tokens"} & (
        raw.keys()
    ):
        merged["maxOutputTokens"] = defaults.max_output_tokens
    if defaults.temperature is not None and "temperature" not in raw:
        merged["temperature"] = defaults.temperature
    if defaults.scorer is not None and "scorer" not in raw:
        merged["scorer"] = defaults.scorer
    return merged


def _input_note(error: Any) -> str:
    value = error.get("input")
    if isinstance(value, dict | list) or value is None:
        return ""
    return f" (got {value!r})"


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(f"{path}: cannot read: {error}") from None
