"""Writing and checking the generated files: crds/*.yaml and docs/crd-reference.md."""

from __future__ import annotations

import sys
from pathlib import Path

from tierroute_operator.crd_reference import render_reference
from tierroute_operator.crds import generate_crds


def write_crds(output: Path) -> list[Path]:
    """Write every CRD file into `output`; returns the paths written."""
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in generate_crds().items():
        path = output / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def stale_files(output: Path, reference: Path | None) -> list[Path]:
    """The generated files that are missing or differ from what the models give now."""
    expected = {output / name: content for name, content in generate_crds().items()}
    if reference is not None:
        expected[reference] = render_reference()
    return [
        path
        for path, content in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]


def run_crds(output: Path | None, reference: Path | None, *, check: bool) -> int:
    """The CLI shell: print, write or check the generated files; returns the exit code."""
    if output is None:
        sys.stdout.write("---\n".join(generate_crds().values()))
        return 0
    if check:
        stale = stale_files(output, reference)
        for path in stale:
            print(f"{path}: stale or missing, run `make crds`")
        return 1 if stale else 0
    for path in write_crds(output):
        print(f"wrote {path}", file=sys.stderr)
    if reference is not None:
        reference.parent.mkdir(parents=True, exist_ok=True)
        reference.write_text(render_reference(), encoding="utf-8")
        print(f"wrote {reference}", file=sys.stderr)
    return 0
