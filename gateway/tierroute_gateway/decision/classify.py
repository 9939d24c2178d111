"""Classification: a request's complexity and the capabilities it requires.

Complexity follows the seed: context above `high_complexity_context_tokens` → high; more
complex than simple patterns matched → high; more simple than complex → low; otherwise
medium. An `x-tierroute-complexity` hint overrides all of it. Capabilities come from keyword
patterns, image parts (vision), `input_audio` parts (audio) and the context size
(long_context above `long_context_tokens`). Only `features.scan_text`, already capped at
`max_scan_chars`, is matched, so the cost does not grow with the context.
"""

from __future__ import annotations

from typing import NamedTuple

from tierroute_gateway.decision.features import RequestFeatures
from tierroute_gateway.decision.index import RoutingIndex
from tierroute_gateway.routing_table import Capability, Complexity


class ClassificationResult(NamedTuple):
    """Complexity and required capabilities of a request, with why."""

    complexity: Complexity
    capabilities: frozenset[Capability]
    reason: str

    @property
    def sorted_capabilities(self) -> tuple[Capability, ...]:
        """The required capabilities in a stable order."""
        return tuple(sorted(self.capabilities))


_HIGH, _MEDIUM, _LOW = Complexity.HIGH, Complexity.MEDIUM, Complexity.LOW
_VISION, _AUDIO, _LONG_CONTEXT = Capability.VISION, Capability.AUDIO, Capability.LONG_CONTEXT


def classify(
    index: RoutingIndex, features: RequestFeatures, complexity_hint: Complexity | None = None
) -> ClassificationResult:
    """Classify a request with the rules of `index`."""
    matches = index.matcher.match(features.scan_text)
    tokens = features.context_tokens
    if complexity_hint is not None:
        complexity = complexity_hint
        why = "from the x-tierroute-complexity header"
    elif tokens > index.high_complexity_context_tokens:
        complexity = _HIGH
        why = f"context {tokens:,} tokens > {index.high_complexity_context_tokens:,}"
    else:
        complex_count, simple_count = matches.complex_count, matches.simple_count
        if complex_count > simple_count:
            complexity = _HIGH
        elif simple_count > complex_count:
            complexity = _LOW
        else:
            complexity = _MEDIUM
        why = f"{complex_count} complex vs {simple_count} simple patterns"
    capabilities = matches.capabilities
    notes = [f"{c} (keywords)" for c in sorted(capabilities)] if capabilities else []
    long_context = tokens > index.long_context_tokens
    if features.image_count or features.audio_count or long_context:
        added = set(capabilities)
        if features.image_count:
            added.add(_VISION)
            notes.append(f"vision ({features.image_count} image parts)")
        if features.audio_count:
            added.add(_AUDIO)
            notes.append(f"audio ({features.audio_count} audio parts)")
        if long_context:
            added.add(_LONG_CONTEXT)
            notes.append(f"long_context ({tokens:,} tokens > {index.long_context_tokens:,})")
        capabilities = frozenset(added)
    needs = "needs " + ", ".join(notes) if notes else "needs no special capability"
    return ClassificationResult(
        complexity, capabilities, f"complexity {complexity} ({why}); {needs}"
    )
