"""Prompt features of the learned router: hashed word n-grams of the prompt's tail.

The text is cut to its last `max_chars` characters (the task usually ends a prompt, and the
cut bounds the cost whatever the prompt's size), lowercased and split into tokens: runs of
letters, digits and underscores, and single punctuation characters. Every n-gram of 1 to
`ngram_max` tokens is hashed with CRC-32 of its UTF-8 bytes (stable across processes and
Python versions, unlike `hash()`) into `buckets` buckets; a bucket counts once however often
it occurs (binary features). No prompt text is stored in an artefact, only bucket numbers.
One dense feature rides along: log(1 + characters of the whole prompt) / 10.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

TOKEN_PATTERN = r"[a-z0-9_]+|[^\sa-z0-9_]"
"""Tokens: words (letters, digits, underscores) and single punctuation characters."""


class FeatureSpec(BaseModel):
    """How a prompt becomes features; fitting and evaluation both read it from the artefact."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    kind: str = Field(default="hashed-ngrams", pattern="^hashed-ngrams$", description="Family.")
    token_pattern: str = Field(
        default=TOKEN_PATTERN, description="Regular expression of one token (lowercased text)."
    )
    ngram_max: int = Field(default=2, ge=1, le=3, description="Longest word n-gram.")
    buckets: int = Field(default=1 << 20, ge=16, description="Hash space (CRC-32 modulo this).")
    max_chars: int = Field(
        default=1024, ge=64, description="Only the prompt's last this many characters are read."
    )


class PromptFeatures:
    """A prompt's hashed buckets (distinct, sorted) and its length feature."""

    __slots__ = ("buckets", "length")

    def __init__(self, buckets: tuple[int, ...], length: float) -> None:
        self.buckets = buckets
        self.length = length


class Featurizer:
    """Turns prompts into `PromptFeatures` under one `FeatureSpec` (the regex compiled once)."""

    __slots__ = ("_pattern", "spec")

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec
        self._pattern = re.compile(spec.token_pattern)

    def __call__(self, prompt: str) -> PromptFeatures:
        """The features of `prompt`; cost bounded by `max_chars`, not the prompt's size."""
        return self.of_tail(prompt[-self.spec.max_chars :], len(prompt))

    def of_tail(self, tail: str, characters: int) -> PromptFeatures:
        """The features of a prompt of `characters` characters that ends with `tail`.

        `tail` must hold at least the prompt's last `max_chars` characters (or all of it);
        only those are read. The gateway keeps no more of a prompt than that.
        """
        spec = self.spec
        tail = tail[-spec.max_chars :].lower()
        tokens = self._pattern.findall(tail)
        grams: set[str] = set(tokens)
        for size in range(2, spec.ngram_max + 1):
            grams.update(map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False)))
        modulus = spec.buckets
        hashed = {value % modulus for value in map(zlib.crc32, map(str.encode, grams))}
        return PromptFeatures(tuple(sorted(hashed)), length_feature(characters))


def length_feature(characters: int) -> float:
    """log(1 + characters) / 10: the one dense feature."""
    return math.log1p(characters) / 10


def bucket_counts(features: Iterable[PromptFeatures]) -> dict[int, int]:
    """In how many prompts each bucket occurs (for pruning rare buckets when fitting)."""
    counts: dict[int, int] = {}
    for item in features:
        for bucket in item.buckets:
            counts[bucket] = counts.get(bucket, 0) + 1
    return counts
