"""The texts the simulator answers: lorem ipsum of a given length, and plausible wrong answers.

Texts are cut into pieces (one word with the whitespace before it); a piece is one completion
token, so a stream sends one piece per chunk and joining the pieces gives the text back.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

_PIECE = re.compile(r"\s*\S+")


def split_pieces(text: str) -> tuple[str, ...]:
    """Text cut into the pieces a stream sends: each word with the whitespace before it."""
    return tuple(_PIECE.findall(text))


_LOREM = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "duis",
    "aute",
    "irure",
    "in",
    "reprehenderit",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "fugiat",
    "nulla",
    "pariatur",
    "excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "non",
    "proident",
    "sunt",
    "culpa",
    "qui",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "id",
    "est",
    "laborum",
]


@lru_cache(maxsize=256)
def lorem_pieces(count: int) -> tuple[str, ...]:
    """`count` pieces of deterministic lorem ipsum, in sentences of 5 to 13 words."""
    pieces: list[str] = []
    sentence_length = 0
    for index in range(count):
        word = _LOREM[(index * 7) % len(_LOREM)]
        starts_sentence = sentence_length == 0
        sentence_length += 1
        ends_sentence = sentence_length >= 5 + (index * 5) % 9 or index == count - 1
        if starts_sentence:
            word = word.capitalize()
        if ends_sentence:
            word += "."
            sentence_length = 0
        pieces.append(word if index == 0 else " " + word)
    return tuple(pieces)


_FLIPS = {"yes": "no", "no": "yes", "true": "false", "false": "true"}


def wrong_answer(expected: str, variant: float) -> str:
    """A plausible answer that differs from `expected` (ignoring case), chosen by `variant`."""
    stripped = expected.strip()
    for candidate in _wrong_candidates(stripped, variant):
        if candidate.casefold() != stripped.casefold():
            return candidate
    return f"not {stripped}" if stripped else "I do not know."


def _wrong_candidates(text: str, variant: float) -> list[str]:
    candidates = []
    folded = text.casefold()
    if folded in _FLIPS:
        flipped = _FLIPS[folded]
        candidates.append(flipped.capitalize() if text[:1].isupper() else flipped)
    if len(text) == 1 and text.isalpha():
        options = [c for c in "ABCDE" if c != text.upper()]
        choice = options[int(variant * len(options)) % len(options)]
        candidates.append(choice if text.isupper() else choice.lower())
    candidates.extend(_wrong_numbers(text, variant))
    words = text.split()
    if len(words) > 1:
        candidates.append(" ".join(reversed(words)))
    candidates.append(_change_one_character(text, variant))
    return candidates


def _wrong_numbers(text: str, variant: float) -> list[str]:
    offset = 1 + int(variant * 9)
    try:
        return [str(int(text) + offset)]
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return []
    if not math.isfinite(number):
        return []
    decimals = len(text.rsplit(".", 1)[1]) if "." in text else 0
    return [f"{number + offset / 10**decimals:.{decimals}f}"]


def _change_one_character(text: str, variant: float) -> str:
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    if not positions:
        return text
    position = positions[int(variant * len(positions)) % len(positions)]
    current = text[position]
    alphabet = "0123456789" if current.isdigit() else "abcdefghijklmnopqrstuvwxyz"
    options = [c for c in alphabet if c != current.casefold()]
    replacement = options[int(variant * 997) % len(options)]
    if current.isupper():
        replacement = replacement.upper()
    return text[:position] + replacement + text[position + 1 :]
