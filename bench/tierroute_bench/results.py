"""The results file: one JSON line per (model, task), appended and flushed as each finishes.

Appending in completion order means a crash loses nothing already answered; a run that ends
rewrites the file in the suite's order (atomically), so the output is the same whatever the
completion order. A line cut short by a crash is dropped when the file is next opened.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ResultKey = tuple[str, str]
"""(model, task id)."""


class ResultsFileError(ValueError):
    """A results file that cannot be read; the message names file and line."""


class Outcome(StrEnum):
    """How a request ended."""

    OK = "ok"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    TRANSPORT_ERROR = "transport_error"
    BAD_RESPONSE = "bad_response"
    UNSUPPORTED = "unsupported"


class ResultRecord(BaseModel):
    """One task answered (or failed) by one model."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str = Field(description="Catalog model name.")
    task_id: str = Field(description="Task id.")
    modality: str = Field(description="Task modality.")
    tags: tuple[str, ...] = Field(default=(), description="Task tags.")
    outcome: Outcome = Field(description="How the request ended.")
    error: str | None = Field(default=None, description="What went wrong, when it did.")
    http_status: int | None = Field(default=None, description="HTTP status of the last attempt.")
    attempts: int = Field(default=1, description="Requests sent (retries after transport errors).")
    answer: str = Field(default="", description="The answer text (cut at 4,000 characters).")
    expected: Any = Field(default=None, description="The expected answer.")
    scorer: str = Field(description="Scorer kind.")
    score: float = Field(default=0.0, description="Score in [0, 1]; 0 for failed requests.")
    correct: bool = Field(default=False, description="Whether the answer counts as correct.")
    score_detail: str = Field(default="", description="Scorer detail (cer=…, got=…).")
    latency_ms: float | None = Field(default=None, description="Request to last byte.")
    ttft_ms: float | None = Field(default=None, description="Request to first answer text.")
    input_tokens: int = Field(default=0, description="Input tokens, media included.")
    output_tokens: int = Field(default=0, description="Output tokens.")
    image_tokens: int = Field(default=0, description="Input tokens spent on images.")
    audio_tokens: int = Field(default=0, description="Input tokens spent on audio.")
    cached_input_tokens: int = Field(
        default=0,
        description="Input tokens read from the provider's prompt cache (billed at the "
        "catalog's cached input price, if it has one).",
    )
    cache_write_input_tokens: int = Field(
        default=0,
        description="Input tokens written to the provider's prompt cache (billed at the "
        "catalog's cache-write price, if it has one).",
    )
    tokens_estimated: bool = Field(
        default=False,
        description="Input or output tokens are an estimate (the provider reported no usage).",
    )
    media_tokens_estimated: bool = Field(
        default=False,
        description="image_tokens / audio_tokens are estimates (no breakdown in the usage).",
    )
    images: int = Field(default=0, description="Images sent.")
    audio_seconds: float = Field(default=0.0, description="Seconds of audio sent.")
    cost_usd: str | None = Field(
        default=None, description="Cost from catalog pricing (decimal string); None unpriced."
    )
    served_by: str | None = Field(
        default=None, description="Model that answered, from the gateway's x-tierroute-model."
    )

    @property
    def key(self) -> ResultKey:
        """(model, task id)."""
        return (self.model, self.task_id)


def encode(record: ResultRecord) -> bytes:
    """One JSON line."""
    return record.model_dump_json().encode() + b"\n"


def drop_partial_tail(path: Path) -> bool:
    """Cut a last line left unfinished by a crash; True if something was cut."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb+") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return False
        size = handle.seek(0, os.SEEK_END)
        keep = _last_newline_end(handle, size)
        handle.truncate(keep)
    return True


def _last_newline_end(handle: IO[bytes], size: int) -> int:
    position = size
    while position > 0:
        step = min(65536, position)
        position -= step
        handle.seek(position)
        chunk = handle.read(step)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return position + newline + 1
    return 0


def read_results(path: Path) -> Iterator[ResultRecord]:
    """The records of a results file, in file order."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield _decode(path, number, line)


def completed_keys(path: Path) -> set[ResultKey]:
    """The (model, task) pairs a results file already holds."""
    if not path.exists():
        return set()
    keys = set()
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                document = orjson.loads(line)
                keys.add((str(document["model"]), str(document["task_id"])))
            except (orjson.JSONDecodeError, KeyError, TypeError):
                raise ResultsFileError(
                    f"{path}:{number}: not a result record; move the file away or fix the line"
                ) from None
    return keys


def _decode(path: Path, number: int, line: bytes) -> ResultRecord:
    try:
        return ResultRecord.model_validate_json(line)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(line)"
        raise ResultsFileError(f"{path}:{number}: {field}: {first['msg']}") from None


class ResultWriter:
    """Appends records to the results file, flushing each one to the operating system."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        drop_partial_tail(path)
        self.path = path
        self._handle = path.open("ab")
        self.written = 0

    def write(self, record: ResultRecord) -> None:
        """Append one record and flush it."""
        self._handle.write(encode(record))
        self._handle.flush()
        self.written += 1

    def close(self) -> None:
        """Flush to disk and close."""
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def sort_results(path: Path, rank: Callable[[ResultKey], int]) -> None:
    """Rewrite the file with its lines ordered by `rank` (stable; atomic replace).

    Only three integers per line (rank, offset, length) are held in memory, not the lines.
    """
    ranks, offsets, lengths = array("q"), array("q"), array("q")
    with path.open("rb") as handle:
        offset = 0
        for line in handle:
            if line.strip():
                document = orjson.loads(line)
                ranks.append(rank((str(document["model"]), str(document["task_id"]))))
                offsets.append(offset)
                lengths.append(len(line))
            offset += len(line)
    order = sorted(range(len(ranks)), key=ranks.__getitem__)  # stable: file order breaks ties
    temporary = path.with_name(path.name + ".sorting")
    with path.open("rb") as source, temporary.open("wb") as target:
        for index in order:
            source.seek(offsets[index])
            target.write(source.read(lengths[index]))
        target.flush()
        os.fsync(target.fileno())
    os.replace(temporary, path)
