"""Which rows fitted a learned router, when the artefact itself is too small to say.

An artefact lists its fitting-row ids inline only when there are few of them
(`INLINE_ROW_IDS_MAX`); otherwise it keeps their count and digest, and `tierroute router fit`
writes the ids beside it (`router.json` → `router.rows.txt`, one id a line, sorted). An
evaluation needs the ids to refuse scoring a fitted row: inline ones, or a list whose count
and digest match the artefact's. Without either it refuses to evaluate rather than skip the
check.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tierroute_gateway.learned_router import LearnedRouter
from tierroute_gateway.learned_router.artefact import rows_digest

ROWS_SUFFIX = ".rows.txt"


class FittingRowsError(ValueError):
    """A router's fitting rows are unknown, or the id list given is not theirs."""


def rows_path(artefact: Path) -> Path:
    """Where `tierroute router fit` puts the id list of `artefact`: `router.rows.txt`."""
    return artefact.with_name(artefact.stem + ROWS_SUFFIX)


def write_row_ids(path: Path, row_ids: Sequence[str]) -> None:
    """One id a line, sorted, UTF-8."""
    path.write_text("".join(f"{row_id}\n" for row_id in sorted(row_ids)), encoding="utf-8")


def read_row_ids(path: Path) -> list[str]:
    """The ids of an id list (blank lines ignored)."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def fitting_ids(router: LearnedRouter, listed: Sequence[str] | None) -> tuple[str, ...]:
    """The ids of the rows that fitted `router`: inline, else `listed` if count and digest match.

    Raises `FittingRowsError` when the artefact lists no ids and no matching list is given.
    """
    fitted = router.fitted_on
    if fitted.row_ids or fitted.row_count == 0:
        return fitted.row_ids
    if listed is None:
        raise FittingRowsError(
            f"the learned router was fitted on {fitted.row_count:,} rows and lists none of "
            f"their ids (only digest {fitted.digest}); give the id list `tierroute router fit` "
            "wrote beside it (--fitted-rows FILE; by default NAME.rows.txt beside NAME.json) "
            "so that no fitted row is scored"
        )
    ids = tuple(sorted(listed))
    digest = rows_digest(ids)
    if len(ids) != fitted.row_count or digest != fitted.digest:
        raise FittingRowsError(
            f"the id list given holds {len(ids):,} ids with digest {digest}; the learned "
            f"router was fitted on {fitted.row_count:,} rows with digest {fitted.digest}"
        )
    return ids
