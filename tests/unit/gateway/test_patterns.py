"""Patterns: one RE2 set, linear time, RE2 syntax checked up front."""

from __future__ import annotations

import pytest

from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.patterns import PatternMatcher, pattern_error
from tierroute_gateway.routing_table import Capability


def seed_matcher() -> PatternMatcher:
    return PatternMatcher(
        defaults.COMPLEX_PATTERNS, defaults.SIMPLE_PATTERNS, defaults.CAPABILITY_PATTERNS
    )


def test_counts_patterns_not_occurrences() -> None:
    matches = seed_matcher().match("analyze, analyze and evaluate the algorithm")
    assert matches.complex_count == 2
    assert matches.simple_count == 0
    assert matches.capabilities == frozenset({Capability.REASONING})


def test_one_word_can_count_for_complexity_and_a_capability() -> None:
    matches = seed_matcher().match("analyze")
    assert matches.complex_count == 1
    assert Capability.REASONING in matches.capabilities


def test_word_boundaries_hold() -> None:
    matches = seed_matcher().match("codebase listing classifyer")
    assert matches.simple_count == 0
    assert matches.capabilities == frozenset()


def test_an_empty_rule_set_matches_nothing() -> None:
    matches = PatternMatcher((), (), {}).match("analyze this code")
    assert (matches.complex_count, matches.simple_count) == (0, 0)


@pytest.mark.parametrize("pattern", [r"a(?=b)", r"(a)\1", r"(?<!x)y", "(unclosed"])
def test_patterns_outside_re2_syntax_are_refused_by_name(pattern: str) -> None:
    problem = pattern_error(pattern)
    assert problem is not None
    assert repr(pattern) in problem
    with pytest.raises(ValueError, match="RE2"):
        PatternMatcher((pattern,), (), {})


def test_the_default_patterns_are_all_accepted() -> None:
    patterns = [*defaults.COMPLEX_PATTERNS, *defaults.SIMPLE_PATTERNS]
    patterns += [p for group in defaults.CAPABILITY_PATTERNS.values() for p in group]
    assert [pattern_error(p) for p in patterns] == [None] * len(patterns)


def test_a_catastrophic_backtracking_pattern_runs_in_linear_time() -> None:
    # (a+)+$ against "aaaa…b" takes exponential time in a backtracking engine; RE2 answers
    # at once. The test would hang, not fail, if the engine backtracked.
    matcher = PatternMatcher((r"(a+)+$",), (), {})
    assert matcher.match("a" * 5_000 + "b").complex_count == 0
