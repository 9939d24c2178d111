"""Scorers: how an answer compares with the expected one. Pure functions of text.

Each scorer returns a `Score`: a value in [0, 1], whether it counts as correct, and a short
detail for the results file. The judge scorer is split: `judge_request` builds the question
for the judge model and `parse_judge_verdict` reads its reply; the runner sends it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from tierroute_bench.tasks import Scorer, ScorerKind

_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class ScorerError(ValueError):
    """A scorer that cannot run on a task (no expected answer, no pattern)."""


@dataclass(frozen=True)
class Score:
    """The outcome of scoring one answer."""

    value: float
    correct: bool
    detail: str = ""


def normalize_text(text: str) -> str:
    """Lowercase, strip punctuation and English articles, collapse whitespace (SQuAD style)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PUNCTUATION.sub(" ", text)
    text = _ARTICLES.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def score_answer(scorer: Scorer, answer: str, expected: Any) -> Score:
    """Score `answer` against `expected` with any scorer but the judge."""
    kind = scorer.kind
    if kind == ScorerKind.REGEX:
        return score_regex(answer, scorer.pattern or _required_text(expected, kind))
    if kind == ScorerKind.JUDGE:
        raise ScorerError("the judge scorer needs a model call: use judge_request")
    if expected is None:
        raise ScorerError(f"scorer {kind.value} needs an expected answer")
    if kind == ScorerKind.EXACT:
        return _boolean(answer.strip() == str(expected).strip())
    if kind == ScorerKind.NORMALIZED:
        return _boolean(normalize_text(answer) == normalize_text(str(expected)))
    if kind == ScorerKind.NUMERIC:
        return score_numeric(answer, expected, scorer.tolerance, scorer.relative_tolerance)
    if kind == ScorerKind.JSON_FIELD:
        return score_json_fields(answer, expected, scorer.fields)
    if kind == ScorerKind.CER:
        rate = character_error_rate(answer, str(expected))
        return Score(max(0.0, 1.0 - rate), rate <= scorer.max_rate, f"cer={rate:.4f}")
    rate = word_error_rate(answer, str(expected))
    return Score(max(0.0, 1.0 - rate), rate <= scorer.max_rate, f"wer={rate:.4f}")


def score_regex(answer: str, pattern: str) -> Score:
    """Correct when the pattern is found anywhere in the answer (case-insensitive)."""
    try:
        found = re.search(pattern, answer, re.IGNORECASE) is not None
    except re.error as error:
        raise ScorerError(f"regex {pattern!r} does not compile: {error}") from None
    return _boolean(found)


def score_numeric(answer: str, expected: Any, tolerance: float, relative: float) -> Score:
    """Correct when the first number in the answer is within tolerance of the expected."""
    target = parse_number(str(expected))
    if target is None:
        raise ScorerError(f"numeric scorer: expected {expected!r} is not a number")
    got = first_number(answer)
    if got is None:
        return Score(0.0, False, "no number in answer")
    allowed = max(tolerance, relative * abs(target))
    difference = abs(got - target)
    return Score(float(difference <= allowed), difference <= allowed, f"got={got:g}")


def first_number(text: str) -> float | None:
    """The first number written in `text` ("1,234.5", "-3", ".5", "2e3")."""
    match = _NUMBER.search(text)
    return None if match is None else parse_number(match.group(0))


def parse_number(text: str) -> float | None:
    """`text` as a finite number (thousands separators allowed), or None."""
    try:
        value = float(text.strip().replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def score_json_fields(answer: str, expected: Any, fields: Sequence[str]) -> Score:
    """The share of `fields` (default: every key of `expected`) equal in the answer's JSON."""
    wanted = expected if isinstance(expected, dict) else _parse_json(str(expected))
    if not isinstance(wanted, dict):
        raise ScorerError(f"json_field scorer: expected {expected!r} is not a JSON object")
    paths = tuple(fields) or tuple(wanted)
    if not paths:
        raise ScorerError("json_field scorer: no fields to compare")
    got = _parse_json(_json_text(answer))
    if got is None:
        return Score(0.0, False, "answer is not JSON")
    matching = [path for path in paths if _same(json_path(got, path), json_path(wanted, path))]
    share = len(matching) / len(paths)
    return Score(share, share == 1.0, f"{len(matching)}/{len(paths)} fields")


def json_path(document: Any, path: str) -> Any:
    """The value at a dotted path such as `a.b[0].c`, or None when absent."""
    current = document
    for name, index in _PATH_PART.findall(path):
        if name and isinstance(current, dict):
            current = current.get(name)
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return None
    return current


def character_error_rate(hypothesis: str, reference: str) -> float:
    """Character edits to turn the hypothesis into the reference, per reference character."""
    reference_chars = _SPACES.sub(" ", reference).strip()
    hypothesis_chars = _SPACES.sub(" ", hypothesis).strip()
    return edit_distance(hypothesis_chars, reference_chars) / max(1, len(reference_chars))


def word_error_rate(hypothesis: str, reference: str) -> float:
    """Word edits (after normalization) per reference word."""
    reference_words = normalize_text(reference).split()
    hypothesis_words = normalize_text(hypothesis).split()
    return edit_distance(hypothesis_words, reference_words) / max(1, len(reference_words))


def edit_distance(first: Sequence[Any], second: Sequence[Any]) -> int:
    """Levenshtein distance: insertions, deletions and substitutions, each costing 1."""
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for row, item in enumerate(first, start=1):
        current = [row]
        for column, other in enumerate(second, start=1):
            substitution = previous[column - 1] + (item != other)
            current.append(min(previous[column] + 1, current[column - 1] + 1, substitution))
        previous = current
    return previous[-1]


def judge_request(model: str, prompt: str, expected: Any, answer: str) -> dict[str, Any]:
    """An OpenAI chat body asking a judge model whether `answer` matches `expected`."""
    question = (
        "You grade answers. Reply with exactly one word: YES if the answer is correct "
        "given the reference, NO otherwise.\n"
        f"Question: {prompt}\nReference answer: {expected}\nAnswer to grade: {answer}"
    )
    return {
        "model": model,
        "messages": [{"role": "user", "content": question}],
        "max_tokens": 4,
        "temperature": 0,
    }


def parse_judge_verdict(text: str) -> Score:
    """YES → correct, NO → wrong; anything else is wrong and says so."""
    words = normalize_text(text).split()
    verdict = words[0] if words else ""
    if verdict in {"yes", "correct"}:
        return Score(1.0, True, "judge: yes")
    if verdict in {"no", "incorrect", "wrong"}:
        return Score(0.0, False, "judge: no")
    return Score(0.0, False, f"judge gave no verdict: {text[:40]!r}")


def expected_text(expected: Any) -> str | None:
    """The expected answer as the text a perfect model would reply, if there is one."""
    if expected is None:
        return None
    if isinstance(expected, dict | list):
        return orjson.dumps(expected).decode()
    if isinstance(expected, float) and expected.is_integer():
        return str(int(expected))
    return str(expected)


def _boolean(correct: bool) -> Score:
    return Score(float(correct), correct)


def _required_text(expected: Any, kind: ScorerKind) -> str:
    if expected is None:
        raise ScorerError(f"scorer {kind.value} needs a pattern or an expected answer")
    return str(expected)


def _json_text(answer: str) -> str:
    fenced = _FENCE.search(answer)
    if fenced is not None:
        return fenced.group(1)
    start, end = answer.find("{"), answer.rfind("}")
    return answer[start : end + 1] if 0 <= start < end else answer


def _parse_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _same(got: Any, wanted: Any) -> bool:
    if isinstance(got, int | float) and isinstance(wanted, int | float):
        return math.isclose(float(got), float(wanted), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(got, str) and isinstance(wanted, str):
        return normalize_text(got) == normalize_text(wanted)
    if isinstance(got, str) and isinstance(wanted, int | float):
        return parse_number(got) == float(wanted)
    return bool(got == wanted)
