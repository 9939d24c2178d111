"""The measurements of `compare_embedding_router.py`: each prints one Markdown table.

Variants are chosen only by cross-validation on fitting rows; each chosen variant is scored
once. Progress (every variant's cross-validated figure) goes to stderr.
"""

from __future__ import annotations

import gc
import importlib.metadata
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from bench_learned_router import NOW, learned_table, prompt_of
from embedding_router import (
    TOKENIZER_FILE,
    Embedder,
    Features,
    Variant,
    figures,
    fit_predict,
    packaged_file,
    score_matrix,
)
from sklearn.model_selection import KFold
from tokenizers import Tokenizer

from tierroute_bench.routing_eval.baselines import best_single, single_models
from tierroute_bench.routing_eval.curve import headline
from tierroute_bench.routing_eval.evaluate import evaluate_rows
from tierroute_bench.routing_eval.fit import (
    REGULARIZATION_GRID,
    FitOptions,
    _cost_estimates,
    _cross_validate,
    _held_out_routing,
    _log_loss,
    fit_router,
)
from tierroute_bench.routing_eval.learned_sweep import COST_WEIGHTS, predict_rows, sweep
from tierroute_bench.routing_eval.outcomes import OutcomeRow, Price, load_dataset_file, load_prices
from tierroute_bench.routing_eval.renames import rename_rows
from tierroute_gateway.decision import build_index, decide, extract_features
from tierroute_gateway.learned_router import Prediction, Predictor, choose_by_tradeoff
from tierroute_gateway.learned_router.features import length_feature

GPT4, MIXTRAL_RB = "gpt-4-1106-preview", "mistralai/mixtral-8x7b-chat"
MIXTRAL_RL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
ROUTELLM = ("mt_bench", "mmlu", "gsm8k")
TAILS = (256, 512, 1024, 2048, 4096)
"""Candidate N: the embedding reads the prompt's last N characters."""
SCALES = (0.1, 0.3, 1.0)
"""Candidate s for (b): weight of the standardized embedding beside the n-gram columns."""
CV_GRID = (*REGULARIZATION_GRID, 0.3, 1.0)
"""fit.py's C grid, extended (before any figure was seen) for dense standardized columns."""
TRANSFER_GRID = (0.0001, 0.001, 0.01, 0.1, 1.0)
"""The C grid of the earlier leave-one-task-out experiment (docs/routing-economics.md)."""
FAMILIES = {
    "(a) embedding": tuple(Variant(n, False) for n in TAILS),
    "(b) embedding + n-grams": tuple(Variant(n, True, s) for n in TAILS for s in SCALES),
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A variant at one C and its cross-validated cost (lower is better; inf: not reached)."""

    variant: Variant
    c: float
    held_out: float
    log_loss: float = 0.0


def routerbench_rows(data: Path) -> tuple[list[OutcomeRow], dict[str, Price], str]:
    """The RouterBench slice's rows, priced, and its file name."""
    prices = load_prices(data / "routerbench-subset" / "prices.json")
    source = data / "routerbench-subset" / "routerbench_subset.jsonl"
    return load_dataset_file(source, prices), prices, source.name


def cross_validate(
    features: Features,
    rows: Sequence[OutcomeRow],
    models: Sequence[str],
    prices: Mapping[str, Price],
    variants: Sequence[Variant],
) -> list[Candidate]:
    """fit.py's 3-fold choice of C for each variant; the variants best first.

    Same folds (rows sorted by id, seeded shuffle), same criterion (held-out cost at 95 % of
    the best single model's score, here divided by that model's cost; log loss breaks ties).
    """
    rows = sorted(rows, key=lambda row: row.id)
    scores = score_matrix(rows, models)
    folds = list(KFold(3, shuffle=True, random_state=0).split(rows))
    costs = _cost_estimates(rows, models, prices)
    best_cost = best_single(single_models(rows, models)).cost
    best = []
    for variant in variants:
        matrix = features.design(variant, rows, rows)
        tried = []
        for c in CV_GRID:
            held_out = _cross_validate(matrix, scores, folds, c)
            cost = _held_out_routing(rows, models, costs, held_out, FitOptions())[0] / best_cost
            tried.append(Candidate(variant, c, cost, float(_log_loss(held_out, scores).sum())))
        best.append(min(tried, key=lambda k: (k.held_out, k.log_loss, k.c)))
        print(
            f"  3-fold CV: {variant.label}: C {best[-1].c:g}: {best[-1].held_out:.3f}",
            file=sys.stderr,
        )
    return sorted(best, key=lambda k: (k.held_out, k.log_loss, k.c))


def routerbench(features: Features, data: Path) -> None:
    """3-fold CV on the train split chooses within each family; the choice is scored on test."""
    rows, prices, source = routerbench_rows(data)
    train = [row for row in rows if row.split == "train"]
    test = [row for row in rows if row.split == "test"]
    models = sorted(train[0].outcomes)
    shipped = (
        evaluate_rows(
            "routerbench",
            rows,
            prices,
            split="test",
            routers=["learned"],
            artefact=None,
            fit_options=FitOptions(),
            source=source,
        )
        .routers["learned"]
        .headline
    )
    print(
        f"\n## RouterBench: fitted on train ({len(train):,} rows), "
        f"scored once on test ({len(test):,})\n"
    )
    print(
        "| features | variant (best of each family by 3-fold CV on train) | C | held-out cost "
        "at 95 % | test: cost vs GPT-4 at 95 % | test: score at 25 % of its cost |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    families = {"shipped": (Variant(None, True),), **FAMILIES}
    for family, variants in families.items():
        ranked = cross_validate(features, train, models, prices, variants)
        pick = ranked[0]
        if pick.variant.tail is None:
            cost, score = shipped.cost_ratio_at_95, shipped.score_ratio_at_25
        else:
            predictions = fit_predict(
                features, pick.variant, pick.c, fit=train, rows=test, models=models, prices=prices
            )
            cost, score = figures(test, predictions, models)
        print(
            f"| {family} | {pick.variant.label} | {pick.c:g} | {pick.held_out:.3f} | "
            f"{_ratio(cost)} | {_share(score)} |"
        )
        for other in ranked[1:4]:
            print(
                f"| | not chosen: {other.variant.label} | {other.c:g} | {other.held_out:.3f} | | |"
            )


def leave_one_task_out(
    features: Features,
    rows: Sequence[OutcomeRow],
    prices: Mapping[str, Price],
    variant: Variant,
    c: float | None,
) -> float:
    """Mean over the tasks of the held-out task's cost vs GPT-4 at 95 % (inf: one not reached).

    `c` None: the shipped pipeline, `fit_router` with its own 3-fold choice of C.
    """
    models = [GPT4, MIXTRAL_RL]
    ratios = []
    for task in sorted({row.category for row in rows}):
        fit = [row for row in rows if row.category != task]
        held = [row for row in rows if row.category == task]
        if c is None:
            predictor = Predictor(fit_router(fit, models, prices, ["leave-one-task-out"]))
            predictions = predict_rows(predictor, held)
        else:
            predictions = fit_predict(
                features, variant, c, fit=fit, rows=held, models=models, prices=prices
            )
        gpt4 = single_models(held, [GPT4])[0]
        ratio = headline(sweep(held, predictions, "tradeoff", COST_WEIGHTS), gpt4).cost_ratio_at_95
        ratios.append(ratio if ratio is not None else float("inf"))
    return sum(ratios) / len(ratios)


def transfer_choices(
    features: Features, train: Sequence[OutcomeRow], prices: Mapping[str, Price]
) -> dict[str, Candidate]:
    """Per family, the variant and C with the best leave-one-task-out mean; the shipped one's."""
    shipped = Variant(None, True)
    shipped_mean = leave_one_task_out(features, train, prices, shipped, None)
    picks = {"shipped": Candidate(shipped, 0.0, shipped_mean)}
    for family, variants in FAMILIES.items():
        tried = [
            Candidate(v, c, leave_one_task_out(features, train, prices, v, c))
            for v in variants
            for c in TRANSFER_GRID
        ]
        ranked = sorted(tried, key=lambda k: (k.held_out, k.c))
        for k in ranked[:5]:
            line = f"  leave-one-task-out: {k.variant.label}: C {k.c:g}: {_ratio(k.held_out)}"
            print(line, file=sys.stderr)
        picks[family] = ranked[0]
    return picks


def transfer(features: Features, data: Path) -> None:
    """Leave-one-task-out CV on RouterBench train chooses; each choice scored once on RouteLLM."""
    rows, rb_prices, source = routerbench_rows(data)
    train_rows = [row for row in rows if row.split == "train"]
    train, prices = rename_rows(train_rows, rb_prices, {MIXTRAL_RB: MIXTRAL_RL})
    models = [GPT4, MIXTRAL_RL]
    picks = transfer_choices(features, train, prices)
    shipped = fit_router(train, models, prices, [source])
    rl_prices = load_prices(data / "routellm-gpt4-mixtral" / "prices.json")
    benchmarks = {
        name: load_dataset_file(data / "routellm-gpt4-mixtral" / f"{name}.jsonl", rl_prices)
        for name in ROUTELLM
    }
    print(f"\n## Transfer: fitted on RouterBench train's GPT-4 and Mixtral rows ({len(train):,}), "
          "scored once on RouteLLM (cost vs GPT-4 at 95 % of its score)\n")  # fmt: skip
    columns = " | ".join(f"{name} ({len(scored):,})" for name, scored in benchmarks.items())
    print(f"| features | variant (chosen by leave-one-task-out CV) | C | LOTO mean | {columns} |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    fitted_ids = [row.id for row in train]
    for family, pick in picks.items():
        cells = []
        for name, scored in benchmarks.items():
            if pick.variant.tail is None:  # the shipped router, as `tierroute eval routing`
                result = evaluate_rows(
                    name, scored, rl_prices, split="test", routers=["learned"], artefact=shipped,
                    artefact_row_ids=fitted_ids, fit_options=FitOptions(), source=name,
                )  # fmt: skip
                cells.append(_ratio(result.routers["learned"].headline.cost_ratio_at_95))
                continue
            predictions = fit_predict(
                features, pick.variant, pick.c, fit=train, rows=scored, models=models,
                prices=prices,
            )  # fmt: skip
            cells.append(_ratio(figures(scored, predictions, models)[0]))
        c = shipped.regularization if pick.variant.tail is None else pick.c
        mean = _ratio(pick.held_out)
        print(f"| {family} | {pick.variant.label} | {c:g} | {mean} | {' | '.join(cells)} |")


def percentiles(step: Callable[[], object], samples: int) -> tuple[float, float]:
    """(p50, p99) in µs of `step`, after 200 warm-up calls, GC off while timing."""
    for _ in range(200):
        step()
    timings = []
    gc.disable()
    try:
        for _ in range(samples):
            start = time.perf_counter_ns()
            step()
            timings.append((time.perf_counter_ns() - start) / 1000)
    finally:
        gc.enable()
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def timing(embedder: Embedder, data: Path, samples: int) -> None:
    """Decision time for a 2,000-token prompt: the embedding, and whole decisions with it."""
    rows, prices, source = routerbench_rows(data)
    train = [row for row in rows if row.split == "train"]
    models = sorted(train[0].outcomes)
    # The shipped RouterBench router; C as its CV chose it (timing does not depend on C).
    artefact = fit_router(train, models, prices, [source], FitOptions(regularization=0.0001))
    predictor, index = Predictor(artefact), build_index(learned_table(artefact))
    prompt = prompt_of(2000)
    body = {"model": "auto", "messages": [{"role": "user", "content": prompt}]}
    lam = artefact.operating_point.value

    def shipped_gateway() -> None:  # the gateway's whole decision on a `learned` route
        features = extract_features(body, max_scan_chars=index.max_scan_chars)
        decide(index, "auto", features, request_id="r", now=NOW)

    steps, gap = decision_steps(embedder, predictor, prompt, shipped_gateway)
    print(
        f"\n## Decision time: 2,000-token prompt ({len(prompt):,} characters), "
        f"{samples:,} samples, p50 / p99 µs\n"
    )
    print(
        f"{platform.python_implementation()} {platform.python_version()}, wordllama "
        f"{importlib.metadata.version('wordllama')}, cores {sorted(os.sched_getaffinity(0))}, "
        f"load average {os.getloadavg()[0]:.2f}; direct mean pooling vs wordllama's embed(): "
        f"max |difference| {gap:.1e}"
    )
    p50, p99 = percentiles(
        lambda: choose_by_tradeoff(predictor.predict(prompt, 2000), lam), samples
    )
    d50, d99 = percentiles(shipped_gateway, samples)
    print(
        f"\nshipped hashed n-grams: predictor + choice {p50:.0f} / {p99:.0f}; "
        f"extract_features + decide() {d50:.0f} / {d99:.0f}\n"
    )
    print("| N (last chars embedded) | " + " | ".join(steps) + " |")
    print("| ---: |" + " ---: |" * len(steps))
    for tail in TAILS:
        cells = [percentiles(partial(step, tail), samples) for step in steps.values()]
        print(f"| {tail:,} | " + " | ".join(f"{a:.0f} / {b:.0f}" for a, b in cells) + " |")


def decision_steps(
    embedder: Embedder, predictor: Predictor, prompt: str, shipped_gateway: Callable[[], None]
) -> tuple[dict[str, Callable[[int], object]], float]:
    """What is timed for each N, by column name; and |wordllama's embed() − the direct path|."""
    from wordllama import WordLlamaInference  # type: ignore[import-untyped]  # noqa: PLC0415

    library = WordLlamaInference(embedder.table, Tokenizer.from_file(packaged_file(TOKENIZER_FILE)))
    names = predictor.names
    weights = np.random.default_rng(0).normal(0, 0.05, (embedder.table.shape[1], len(names)))
    offset = np.zeros(len(names)) + length_feature(len(prompt))  # bias + length term
    cost = predictor.predict(prompt, 2000).cost  # the same arithmetic for every feature set
    lam = predictor.router.operating_point.value

    def embedding_decision(tail: int) -> object:  # (a): the embedding replaces the n-grams
        success = 1 / (1 + np.exp(-(embedder(prompt[-tail:]) @ weights + offset)))
        return choose_by_tradeoff(Prediction(names, tuple(success.tolist()), cost), lam)

    def combined_decision(tail: int) -> object:  # (b): hashed logits plus the embedding's
        hashed = predictor.predict(prompt, 2000)
        p = np.array(hashed.success)
        z = np.log(p / (1 - p)) + embedder(prompt[-tail:]) @ weights
        success = tuple((1 / (1 + np.exp(-z))).tolist())
        return choose_by_tradeoff(Prediction(names, success, hashed.cost), lam)

    def gateway(tail: int) -> object:  # the shipped whole decision, plus the embedding's logits
        shipped_gateway()
        return embedder(prompt[-tail:]) @ weights

    steps: dict[str, Callable[[int], object]] = {
        "wordllama embed()": lambda tail: library.embed(prompt[-tail:]),
        "embedding (direct)": lambda tail: embedder(prompt[-tail:]),
        "(a) embedding + logits + choice": embedding_decision,
        "(b) n-grams + embedding + choice": combined_decision,
        "extract_features + decide() + embedding": gateway,
    }
    gap = float(np.abs(library.embed(prompt[-1024:])[0] - embedder(prompt[-1024:])).max())
    return steps, gap


def _ratio(value: float | None) -> str:
    return "not reached" if value is None or value == float("inf") else f"{value:.3f}"


def _share(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1%}"
