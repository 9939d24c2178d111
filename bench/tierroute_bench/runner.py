"""Run a suite against its models: bounded concurrency, resumable, incremental, ordered.

A first pass over the suite checks every task (schema, duplicate ids, local media files, a
judge when a task needs one) before any request is sent. Then `concurrency` workers take
(task, model) pairs in suite order, skipping pairs the results file already holds, and append
each result as it finishes. A fatal problem (a media file that vanished, an unreadable task)
stops the run with a message; whatever was written stays written, and rerunning resumes.
When every pair is done the file is rewritten in suite order.
"""

from __future__ import annotations

import asyncio
import base64
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import aiohttp
import orjson

from tierroute_bench.costs import MediaCounts, resolve_usage, task_cost
from tierroute_bench.media import MediaCache, MediaError, guess_kind, is_data_url, is_remote
from tierroute_bench.payloads import PayloadError, build_request
from tierroute_bench.progress import Progress
from tierroute_bench.results import (
    Outcome,
    ResultKey,
    ResultRecord,
    ResultWriter,
    completed_keys,
    drop_partial_tail,
    sort_results,
)
from tierroute_bench.scorers import (
    Score,
    ScorerError,
    expected_text,
    judge_request,
    parse_judge_verdict,
    score_answer,
)
from tierroute_bench.targets import Target
from tierroute_bench.tasks import (
    ScorerKind,
    Suite,
    SuiteError,
    Task,
    iter_located_tasks,
    iter_tasks,
)
from tierroute_bench.transport import Exchange, Request, SendOptions, json_headers, send

SIM_EXPECTED_HEADER = "x-sim-expected-answer"
SIM_EXPECTED_B64_HEADER = "x-sim-expected-answer-b64"
ANSWER_LIMIT = 4000


class RunError(RuntimeError):
    """A problem that stops the run; results written before it are kept."""


@dataclass(frozen=True)
class JudgeTarget:
    """The model that grades `judge` tasks, reached through the gateway."""

    url: str
    model: str
    headers: dict[str, str] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class RunOptions:
    """How a run sends its requests."""

    concurrency: int = 16
    timeout_s: float = 60.0
    retries: int = 2
    stream: bool = True
    simulator: bool = False
    judge: JudgeTarget | None = None
    seed: int = 0


@dataclass
class RunSummary:
    """What a run did."""

    results_path: Path
    tasks: int = 0
    pending: int = 0
    already_done: int = 0
    unsupported: int = 0
    written: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Plan:
    task_rank: dict[str, int]
    tasks: int
    pending: int
    already_done: int
    unsupported: int


@dataclass
class _Context:
    suite: Suite
    options: RunOptions
    session: aiohttp.ClientSession
    writer: ResultWriter
    progress: Progress
    media: MediaCache
    rng: random.Random
    outcomes: Counter[str]


async def run_benchmark(
    suite: Suite,
    targets: Sequence[Target],
    results_path: Path,
    options: RunOptions,
    progress_stream: TextIO | None = None,
) -> RunSummary:
    """Run every (task, model) pair not yet in `results_path`; raises RunError when stopped."""
    drop_partial_tail(results_path)
    done = completed_keys(results_path)
    plan = _plan(suite, targets, done, options)
    summary = RunSummary(
        results_path, plan.tasks, plan.pending, plan.already_done, plan.unsupported
    )
    progress = Progress(plan.pending, progress_stream)
    connector = aiohttp.TCPConnector(limit=options.concurrency, ttl_dns_cache=300)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            with ResultWriter(results_path) as writer:
                context = _Context(
                    suite,
                    options,
                    session,
                    writer,
                    progress,
                    MediaCache(suite.base_dir, suite.header.options.max_media_bytes, session),
                    random.Random(options.seed),
                    summary.outcomes,
                )
                try:
                    await _run_workers(_work(suite, targets, done), context)
                finally:
                    summary.written = writer.written
    finally:
        progress.close()
    sort_results(results_path, _ranker(plan.task_rank, targets))
    return summary


async def _run_workers(items: Iterator[tuple[Task, Target]], context: _Context) -> None:
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(context.options.concurrency):
                group.create_task(_worker(items, context))
    except* (MediaError, SuiteError, ScorerError) as failures:
        first = failures.exceptions[0]
        raise RunError(
            f"{first}; the run stopped, {context.writer.written} results written this run are "
            f"kept in {context.writer.path}: fix the problem and rerun to resume"
        ) from None


async def _worker(items: Iterator[tuple[Task, Target]], context: _Context) -> None:
    for task, target in items:
        record = await run_pair(task, target, context)
        context.writer.write(record)
        context.outcomes[record.outcome.value] += 1
        context.progress.advance(failed=record.outcome != Outcome.OK)


def _work(
    suite: Suite, targets: Sequence[Target], done: set[ResultKey]
) -> Iterator[tuple[Task, Target]]:
    """(task, model) pairs still to run, task by task so media loads once for all models."""
    for task in iter_tasks(suite):
        kinds = _media_kinds(task)
        for target in targets:
            if (target.model, task.id) not in done and target.can_do(task.modality, kinds):
                yield task, target


def _plan(
    suite: Suite, targets: Sequence[Target], done: set[ResultKey], options: RunOptions
) -> _Plan:
    """Check the whole suite before sending anything; count the work."""
    rank: dict[str, int] = {}
    pending = already = unsupported = 0
    for where, task in iter_located_tasks(suite):
        if task.id in rank:
            raise SuiteError(
                f"{where}: id: {task.id!r} already used at {_first_use(suite, task.id)}"
            )
        rank[task.id] = len(rank)
        kinds = _media_kinds(task)
        waiting = 0
        for target in targets:
            if (target.model, task.id) in done:
                already += 1
            elif not target.can_do(task.modality, kinds):
                unsupported += 1
            else:
                waiting += 1
        if waiting:  # media and judge are needed only by tasks still to run
            _check_local_media(suite, task, where)
            if task.scorer.kind == ScorerKind.JUDGE and options.judge is None:
                raise SuiteError(
                    f"{where}: task {task.id!r} uses the judge scorer: give --judge-model"
                )
        pending += waiting
    return _Plan(rank, len(rank), pending, already, unsupported)


def _first_use(suite: Suite, task_id: str) -> str:
    """Where a task id first appears (read again: kept out of memory for the common case)."""
    return next(where for where, task in iter_located_tasks(suite) if task.id == task_id)


def _check_local_media(suite: Suite, task: Task, where: str) -> None:
    limit = suite.header.options.max_media_bytes
    for index, ref in enumerate(task.media):
        if is_remote(ref.source) or is_data_url(ref.source):
            continue
        path = Path(ref.source) if Path(ref.source).is_absolute() else suite.base_dir / ref.source
        if not path.is_file():
            raise MediaError(
                f"{where}: task {task.id!r}: media[{index}].source: file {str(path)!r} not found"
            )
        if path.stat().st_size > limit:
            raise MediaError(
                f"{where}: task {task.id!r}: media[{index}].source: {str(path)!r} is "
                f"{path.stat().st_size} bytes, over the limit of {limit}"
            )


def _media_kinds(task: Task) -> frozenset[str]:
    return frozenset(
        kind for ref in task.media if (kind := ref.kind or guess_kind(ref.source)) is not None
    )


def _ranker(task_rank: dict[str, int], targets: Sequence[Target]) -> Callable[[ResultKey], int]:
    """Suite order: task by task, models in the order given; unknown pairs last."""
    model_rank = {target.model: index for index, target in enumerate(targets)}
    width = len(targets) + 1
    unknown = len(task_rank) * width + width

    def rank(key: ResultKey) -> int:
        model, task_id = key
        if task_id not in task_rank or model not in model_rank:
            return unknown
        return task_rank[task_id] * width + model_rank[model]

    return rank


async def run_pair(task: Task, target: Target, context: _Context) -> ResultRecord:
    """Send one task to one model and build its result record."""
    media = await context.media.load(task.id, task.media)
    counts = MediaCounts(
        images=sum(blob.kind == "image" for blob in media),
        audio_seconds=sum(blob.audio_seconds or 0.0 for blob in media),
    )
    base: dict[str, Any] = {
        "model": target.model,
        "task_id": task.id,
        "modality": task.modality.value,
        "tags": task.tags,
        "expected": task.expected,
        "scorer": task.scorer.kind.value,
        "images": counts.images,
        "audio_seconds": round(counts.audio_seconds, 3),
    }
    options = context.options
    try:
        body = build_request(target.api, task, target.request_model, media, stream=options.stream)
    except PayloadError as error:
        return ResultRecord(**base, outcome=Outcome.UNSUPPORTED, error=str(error))
    headers = json_headers(target.headers)
    if options.simulator:
        headers.update(simulator_headers(task))
    send_options = SendOptions(options.timeout_s, options.retries, options.stream)
    request = Request(target.url, orjson.dumps(body), headers, target.api)
    exchange = await send(context.session, request, send_options, context.rng)
    return await _record(task, target, exchange, counts=counts, base=base, context=context)


async def _record(
    task: Task,
    target: Target,
    exchange: Exchange,
    *,
    counts: MediaCounts,
    base: dict[str, Any],
    context: _Context,
) -> ResultRecord:
    timing: dict[str, Any] = {
        "latency_ms": exchange.latency_ms,
        "ttft_ms": exchange.ttft_ms,
        "attempts": exchange.attempts,
        "http_status": exchange.http_status,
        "served_by": exchange.served_by,
    }
    if exchange.reply is None:
        return ResultRecord(**base, **timing, outcome=exchange.outcome, error=exchange.error)
    answer = exchange.reply.text
    score = await _score(task, answer, context)
    tokens_per_image = target.tokens_per_image or context.suite.header.options.tokens_per_image
    usage = resolve_usage(
        exchange.reply.usage,
        prompt=task.prompt,
        answer=answer,
        media=counts,
        tokens_per_image=tokens_per_image,
    )
    cost = task_cost(usage, target.prices, counts) if target.prices is not None else None
    return ResultRecord(
        **base,
        **timing,
        outcome=Outcome.OK,
        answer=answer[:ANSWER_LIMIT],
        score=score.value,
        correct=score.correct,
        score_detail=score.detail,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        image_tokens=usage.image_tokens,
        audio_tokens=usage.audio_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        cache_write_input_tokens=usage.cache_write_input_tokens,
        tokens_estimated=usage.estimated,
        media_tokens_estimated=usage.media_estimated,
        cost_usd=None if cost is None else f"{cost:.10f}",
    )


async def _score(task: Task, answer: str, context: _Context) -> Score:
    if task.scorer.kind != ScorerKind.JUDGE:
        return score_answer(task.scorer, answer, task.expected)
    judge = context.options.judge
    if judge is None:
        raise ScorerError(f"task {task.id!r} uses the judge scorer but no judge model was given")
    model = task.scorer.judge_model or judge.model
    body = judge_request(model, task.prompt, task.expected, answer)
    options = SendOptions(context.options.timeout_s, context.options.retries, stream=False)
    request = Request(judge.url, orjson.dumps(body), json_headers(judge.headers), "openai")
    exchange = await send(context.session, request, options, context.rng)
    if exchange.reply is None:
        return Score(0.0, False, f"judge {model} failed: {exchange.error}")
    return parse_judge_verdict(exchange.reply.text)


def simulator_headers(task: Task) -> dict[str, str]:
    """The simulator's expected-answer header (base64 when the text is not plain ASCII)."""
    text = expected_text(task.expected)
    if text is None:
        return {}
    if text.isascii() and text.isprintable():
        return {SIM_EXPECTED_HEADER: text}
    return {SIM_EXPECTED_B64_HEADER: base64.b64encode(text.encode()).decode("ascii")}
