"""The embedding side of `compare_embedding_router.py`: wordllama's model, feature sets, fits.

The model is wordllama's `l2_supercat` (256-dim static token embeddings, mean-pooled), read
from the files the wheel ships. `WordLlama.load()` is not used: in wordllama 0.4.0.post1 it
looks for the tokenizer in `wordllama/tokenizer/` while the wheel ships it in
`wordllama/tokenizers/`, and then downloads it from the Hugging Face hub.

Fits reuse `routing_eval.fit`'s helpers (`_fit_one`, `_design`, `kept_buckets`), so a
variant differs from `tierroute router fit` only in its columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
from safetensors import safe_open
from scipy import sparse
from tokenizers import Tokenizer

from tierroute_bench.routing_eval.baselines import best_single, single_models
from tierroute_bench.routing_eval.curve import headline
from tierroute_bench.routing_eval.evaluate import check_disjoint
from tierroute_bench.routing_eval.fit import (
    DEFAULT_SPEC,
    FitOptions,
    _design,
    _fit_one,
    kept_buckets,
)
from tierroute_bench.routing_eval.learned_sweep import COST_WEIGHTS, sweep
from tierroute_bench.routing_eval.outcomes import OutcomeRow, Price
from tierroute_gateway.learned_router import Prediction
from tierroute_gateway.learned_router.features import (
    Featurizer,
    PromptFeatures,
    bucket_counts,
    length_feature,
)

WEIGHTS_FILE = "weights/l2_supercat_256.safetensors"
TOKENIZER_FILE = "tokenizers/l2_supercat_tokenizer_config.json"


def packaged_file(name: str) -> str:
    """Path of a file inside the installed wordllama package."""
    return str(files("wordllama") / name)


@dataclass(frozen=True, slots=True)
class Embedder:
    """wordllama's l2_supercat embedding: token vectors and the tokenizer that indexes them."""

    table: np.ndarray
    tokenizer: Tokenizer

    def __call__(self, text: str) -> np.ndarray:
        """Mean of the token vectors: wordllama's `embed` of one text, not normalized."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        if not ids:
            return np.zeros(self.table.shape[1], dtype=np.float32)
        vector: np.ndarray = self.table[ids].mean(axis=0)
        return vector


def load_embedder() -> Embedder:
    """The weights and tokenizer shipped inside the wordllama wheel: no network."""
    with safe_open(packaged_file(WEIGHTS_FILE), framework="np", device="cpu") as handle:
        table = np.ascontiguousarray(handle.get_tensor("embedding.weight"), dtype=np.float32)
    return Embedder(table, Tokenizer.from_file(packaged_file(TOKENIZER_FILE)))


@dataclass(frozen=True, slots=True)
class Variant:
    """A feature set: the embedding of the last `tail` characters (None: none), n-grams or not.

    `scale` weights the standardized embedding beside the binary n-gram columns (the L2
    penalty treats every column alike, so the blocks' relative scale is a real choice).
    """

    tail: int | None
    ngrams: bool
    scale: float = 1.0

    @property
    def label(self) -> str:
        """How the tables name it."""
        if self.tail is None:
            return "hashed n-grams (shipped features)"
        embedding = f"embedding of the last {self.tail:,} chars"
        return f"{embedding} + hashed n-grams, s = {self.scale:g}" if self.ngrams else embedding


class Features:
    """Design matrices of the variants; embeddings and n-grams computed once per row."""

    def __init__(self, embedder: Embedder) -> None:
        self.embed = embedder
        self._featurize = Featurizer(DEFAULT_SPEC)
        self._vectors: dict[tuple[str, int], np.ndarray] = {}
        self._hashed: dict[str, PromptFeatures] = {}

    def embeddings(self, rows: Sequence[OutcomeRow], tail: int) -> np.ndarray:
        """One row per prompt: the embedding of its last `tail` characters."""
        for row in rows:
            if (row.id, tail) not in self._vectors:
                self._vectors[(row.id, tail)] = self.embed(row.prompt[-tail:])
        return np.stack([self._vectors[(row.id, tail)] for row in rows])

    def hashed(self, rows: Sequence[OutcomeRow]) -> list[PromptFeatures]:
        """The shipped features of each prompt."""
        for row in rows:
            if row.id not in self._hashed:
                self._hashed[row.id] = self._featurize(row.prompt)
        return [self._hashed[row.id] for row in rows]

    def design(
        self, variant: Variant, fit: Sequence[OutcomeRow], rows: Sequence[OutcomeRow]
    ) -> sparse.csr_matrix:
        """Columns of `rows`; standardization and kept buckets come from the `fit` rows only."""
        blocks = []
        if variant.tail is not None:
            reference = self.embeddings(fit, variant.tail)
            spread = reference.std(axis=0) + 1e-6
            dense = (self.embeddings(rows, variant.tail) - reference.mean(axis=0)) / spread
            blocks.append(sparse.csr_matrix(dense * variant.scale))
        if variant.ngrams:  # as fit.py: buckets in ≥ 3 fitting prompts, the 2,048 most frequent
            options = FitOptions()
            counts = bucket_counts(self.hashed(fit))
            kept = kept_buckets(counts, options.min_df, options.max_buckets)
            blocks.append(_design(self.hashed(rows), kept))  # its last column: the length
        else:
            lengths = [[length_feature(len(row.prompt))] for row in rows]
            blocks.append(sparse.csr_matrix(np.array(lengths)))
        return sparse.hstack(blocks).tocsr()


def score_matrix(rows: Sequence[OutcomeRow], models: Sequence[str]) -> np.ndarray:
    """Scores: one row per outcome row, one column per model."""
    return np.array([[row.outcomes[m].score for m in models] for row in rows], dtype=float)


def estimated_costs(
    fit: Sequence[OutcomeRow],
    models: Sequence[str],
    prices: Mapping[str, Price],
    rows: Sequence[OutcomeRow],
) -> list[tuple[float, ...]]:
    """What `Predictor` estimates: input tokens at fit-time prices, mean fitted completions."""
    expected = {m: sum(r.outcomes[m].completion_tokens for r in fit) / len(fit) for m in models}
    costs = []
    for row in rows:
        tokens = next(iter(row.outcomes.values())).prompt_tokens
        costs.append(
            tuple((tokens * prices[m].input + expected[m] * prices[m].output) / 1e6 for m in models)
        )
    return costs


def fit_predict(
    features: Features,
    variant: Variant,
    c: float,
    *,
    fit: Sequence[OutcomeRow],
    rows: Sequence[OutcomeRow],
    models: Sequence[str],
    prices: Mapping[str, Price],
) -> list[Prediction]:
    """One regression per model fitted on `fit`, predictions for `rows` (never a fitted row)."""
    check_disjoint([r.id for r in fit], [r.id for r in rows], variant.label)
    train, scored = features.design(variant, fit, fit), features.design(variant, fit, rows)
    targets = score_matrix(fit, models)
    columns = []
    for j in range(len(models)):
        coefficients = _fit_one(train, targets[:, j], c)
        columns.append(scored @ coefficients[:-1] + coefficients[-1])
    success = 1 / (1 + np.exp(-np.column_stack(columns)))
    costs = estimated_costs(fit, models, prices, rows)
    names = tuple(models)
    return [Prediction(names, tuple(map(float, p)), k) for p, k in zip(success, costs, strict=True)]


def figures(
    rows: Sequence[OutcomeRow], predictions: Sequence[Prediction], models: Sequence[str]
) -> tuple[float | None, float | None]:
    """Trade-off rule: (cost vs the best single model at 95 % of its score, score at 25 %)."""
    points = sweep(rows, predictions, "tradeoff", COST_WEIGHTS)
    result = headline(points, best_single(single_models(rows, models)))
    return result.cost_ratio_at_95, result.score_ratio_at_25
