"""Sentence embeddings vs hashed n-grams for the learned router (issue 10), measured.

Run (from the repository root; wordllama comes with the `embeddings` extra,
`.venv/bin/pip install -c constraints.txt -e '.[embeddings]'`):

    nice .venv/bin/python perf/compare_embedding_router.py --part quality    # ≈ 20 min, 1 core
    taskset -c 1 .venv/bin/python perf/compare_embedding_router.py --part timing

The embedding model is wordllama's `l2_supercat` (256-dim static token embeddings,
mean-pooled, ~16 MB of weights and its tokenizer inside the wheel), read from the installed
package's files: nothing is downloaded (see `embedding_router.py` for why `WordLlama.load()`
is avoided). The per-model L2 logistic regressions are `tierroute router fit`'s (its helpers,
folds and criterion), on three feature sets:

- shipped: hashed word 1–2-grams of the last 1,024 characters + the length feature;
- (a) the embedding of the prompt's last N characters, standardized with the fitting rows'
  mean and spread, + the length feature;
- (b) that embedding weighted by s, beside the shipped features.

N ∈ {256 … 4,096}, s ∈ {0.1, 0.3, 1} and C are chosen by cross-validation on fitting rows
only; each chosen variant is scored once:

1. RouterBench: 3-fold CV on the train split (fit.py's criterion: held-out cost at 95 % of
   the best single model's score), scored on test: cost vs GPT-4 at 95 % of its score,
   score at 25 % of its cost (the evaluation's curves and headline figures).
2. Transfer: leave-one-task-out CV on the train split's GPT-4 and Mixtral rows (fit on two of
   ARC, MBPP and Winogrande, route the third; mean cost vs GPT-4 at 95 %), scored on each
   RouteLLM benchmark. The shipped router's figures come from `evaluate_rows`, as
   `tierroute eval routing` computes them.
3. Timing (`--part timing`, pin it with taskset): a 2,000-token prompt, p50 / p99 of the
   embedding alone and of whole decisions with it, beside the shipped decision.

Data: `../shared/data/routing-eval` (`--data DIR`). Prints Markdown tables on stdout and
every variant's cross-validated figure on stderr. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "routing-eval"


def main() -> int:
    """Print the tables; one line on stderr and status 1 when wordllama or the data is absent."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA, help="routing-eval folder")
    parser.add_argument("--part", choices=("quality", "timing", "all"), default="all")
    parser.add_argument("--samples", type=int, default=3000, help="timing samples per figure")
    arguments = parser.parse_args()
    if importlib.util.find_spec("wordllama") is None:
        print(
            "compare_embedding_router: wordllama is not installed "
            "(.venv/bin/pip install -c constraints.txt -e '.[embeddings]')",
            file=sys.stderr,
        )
        return 1
    if not (arguments.data / "routerbench-subset" / "routerbench_subset.jsonl").is_file():
        print(
            f"compare_embedding_router: no routing-eval data in {arguments.data}", file=sys.stderr
        )
        return 1
    # Imported here: they need wordllama's dependencies, checked just above.
    from embedding_comparison import routerbench, timing, transfer  # noqa: PLC0415
    from embedding_router import Features, load_embedder  # noqa: PLC0415
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # noqa: PLC0415

    embedder = load_embedder()
    with threadpool_limits(1):  # one core: the machine is shared
        if arguments.part in ("quality", "all"):
            features = Features(embedder)
            routerbench(features, arguments.data)
            transfer(features, arguments.data)
        if arguments.part in ("timing", "all"):
            timing(embedder, arguments.data, arguments.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
