"""Built-in classification rules and estimates: the seed's semantics unless a policy says more.

The compiler imports these to fill a policy's omitted fields; the decision core uses the
estimation constants directly.

Capability patterns: only coding, reasoning and vision come from the seed. We add no keyword
patterns for creative, factual or multilingual on purpose: a required capability is a hard
filter, and no model of the seed's catalog declares creative or factual (one declares
multilingual), so a default "write a poem" → creative rule would make ordinary prompts
unroutable. Policies whose catalogs declare those capabilities add their own patterns. Audio
is never inferred from words: it is required when the request carries `input_audio` parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tierroute_gateway.routing_table import Capability, Complexity, ErrorClass, Tier

COMPLEX_PATTERNS: tuple[str, ...] = (
    r"\b(analyze|synthesize|compare|evaluate|design)\b",
    r"\b(architecture|algorithm|optimization)\b",
    r"\b(code review|refactor|debug complex)\b",
    r"\b(research|investigate|deep dive)\b",
)
"""The seed's patterns that suggest a high-complexity task."""

SIMPLE_PATTERNS: tuple[str, ...] = (
    r"\b(format|convert|translate simple)\b",
    r"\b(summarize short|extract|list)\b",
    r"\b(yes or no|true or false)\b",
    r"\b(classify|categorize|label)\b",
)
"""The seed's patterns that suggest a low-complexity task."""

CAPABILITY_PATTERNS: Mapping[Capability, tuple[str, ...]] = MappingProxyType(
    {
        Capability.CODING: (r"\b(code|function|class|program)\b",),
        Capability.REASONING: (r"\b(reason|think|analyze|why)\b",),
        Capability.VISION: (r"\b(image|photo|picture|diagram)\b",),
    }
)
"""The seed's keyword rules for required capabilities (see the module docstring)."""

TIER_PRIORITY: Mapping[Complexity, tuple[Tier, ...]] = MappingProxyType(
    {
        Complexity.HIGH: (Tier.PREMIUM, Tier.STANDARD, Tier.ECONOMY),
        Complexity.MEDIUM: (Tier.STANDARD, Tier.PREMIUM, Tier.ECONOMY),
        Complexity.LOW: (Tier.ECONOMY, Tier.STANDARD, Tier.PREMIUM),
    }
)
"""The seed's tier order for each complexity."""

HIGH_COMPLEXITY_CONTEXT_TOKENS = 50_000
"""The seed's rule: above this many context tokens a request is high complexity."""

LONG_CONTEXT_TOKENS = 32_000
"""Above this many tokens a request requires `long_context` (most open models stop at 32K)."""

MAX_SCAN_CHARS = 8_192
"""Characters of prompt text matched against the patterns; caps classification cost."""

PROMPT_TAIL_CHARS = 4_096
"""Characters kept of the end of the last user message for the learned router, which reads
only the last `maxChars` of them (an artefact asking for more is refused at load)."""

BUDGET_WARNING_FRACTION = 0.8
"""A budget category whose spend reaches this share of its allocation is in `warning`."""

DEFAULT_MAX_RETRIES = 2
"""The seed's retries per fallback step."""

DEFAULT_STEP_TIMEOUT_MS = 30_000
"""The seed's per-attempt timeout (30 s)."""

DEFAULT_RETRY_ON: tuple[ErrorClass, ...] = tuple(sorted(ErrorClass))
"""Every failure class is retried unless a policy says otherwise."""

MAX_DERIVED_CHAIN_STEPS = 3
"""Steps of a derived fallback chain, the selected model included (the seed's chain has 3)."""

DEFAULT_EXPECTED_OUTPUT_TOKENS = 500
"""Output tokens assumed for a cost estimate when the request sets no maximum."""

CHARS_PER_TOKEN = 4
"""Characters of text per token in estimates (OpenAI's rule of thumb for English)."""

TOKENS_PER_MESSAGE = 4
"""Per-message overhead of the chat format (role and separators)."""

REPLY_PRIMING_TOKENS = 3
"""Tokens the chat format adds to prime the reply."""

TOKENS_PER_IMAGE = 765
"""Model-independent estimate of one input image: a 1024x1024 image at OpenAI's high detail."""

AUDIO_TOKENS_PER_SECOND = 32
"""Tokens per second of input audio (Google documents 32; OpenAI's prices imply about 25)."""

AUDIO_BYTES_PER_SECOND: Mapping[str, int] = MappingProxyType({"wav": 32_000, "mp3": 16_000})
"""Bytes per second of audio by format: 16 kHz 16-bit mono WAV, 128 kbit/s MP3."""

AUDIO_BYTES_PER_SECOND_OTHER = 16_000
"""Bytes per second assumed for an audio format not listed above."""
