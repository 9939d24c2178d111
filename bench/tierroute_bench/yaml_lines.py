"""Where a field of a YAML document sits: its line, from the composed node tree, and its
path written the way error messages show it (`tasks[3].scorer.maxRate`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from pydantic.alias_generators import to_camel


def dotted_path(location: Sequence[Any]) -> str:
    """`("tasks", 3, "scorer")` → `tasks[3].scorer`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def line_of(root: yaml.Node | None, location: Sequence[Any]) -> int:
    """1-based line of the deepest node of `location` found in the YAML node tree."""
    node = root
    line = 1 if root is None else root.start_mark.line + 1
    for part in location:
        child = _child(node, part)
        if child is None:
            break
        node = child
        line = child.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        names = {str(part), to_camel(str(part))}
        for key, value in node.value:
            if key.value in names:
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None
