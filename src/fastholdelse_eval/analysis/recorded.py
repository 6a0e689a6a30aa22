"""Not recorded ≠ zero: leave out every metric whose input columns the data did not record.

A column that is absent from the file, or present with every cell empty, says nothing about
the persons: a file without a relapse column does not mean nobody relapsed. Each metric declares
the canonical input columns it needs in the registry (:attr:`fastholdelse_eval.core.metrics.
Metric.needs`); :func:`leave_out` drops the rows of every metric that needs a column the cohort
did not record (:attr:`fastholdelse_eval.data.cohort.Cohort.recorded`) and says why, one note per
missing column. Every producer of person-level rows (rates, durations, the report's baseline and
flow rows) goes through it, so the rule has no special cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from fastholdelse_eval.core import metrics
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.schema import COLUMN_ALIASES

# metric name → the needed columns that were not recorded
NotRecorded = dict[str, tuple[str, ...]]


def not_recorded(recorded: frozenset[str] | set[str],
                 names: Iterable[str] | None = None,
                 producers: Iterable[str] | None = None) -> NotRecorded:
    """Registered metrics (family names such as ``relapse_by_{weeks}_weeks``) that need a
    column not in ``recorded``, each with the columns missing; ``names`` limits the check to
    the metrics of these tidy-table names (default: the whole registry), ``producers`` to the
    metrics these modules compute. Unregistered names are left to the registry's own checks
    (disclosure control fails closed on them)."""
    if names is None:
        wanted = None if producers is None else set(producers)
        families = [m.name for m in metrics.iter_metrics()
                    if wanted is None or m.producer in wanted]
    else:
        found = (metrics.lookup(n) for n in names)
        families = list(dict.fromkeys(m.name for m in found if m is not None))
    out: NotRecorded = {}
    for family in families:
        missing = metrics.not_recorded(family, recorded)
        if missing:
            out[family] = missing
    return out


def leave_out(table: pd.DataFrame, recorded: frozenset[str] | set[str],
              producers: Iterable[str] | None = None) -> tuple[pd.DataFrame, NotRecorded]:
    """``table`` without the rows of metrics whose input was not recorded, and every registered
    metric that cannot be computed for that reason (whether or not ``table`` had its rows: a
    producer may already have skipped it, and the reader must still be told); ``producers``:
    only the metrics these modules compute (the registry's ``producer``).

    Target rows (``target:<metric>``) are not dropped here: the targets say themselves that
    their metric was not recorded (:func:`fastholdelse_eval.analysis.targets.target_rows`).
    """
    missing = not_recorded(recorded, producers=producers)
    if table.empty or not missing:
        return table, missing
    family = {n: (m.name if (m := metrics.lookup(n)) is not None else n)
              for n in table["metric"].unique()}
    drop = [n for n, f in family.items() if f in missing and not str(n).startswith("target:")]
    keep = ~table["metric"].isin(drop)
    return table.loc[keep].reset_index(drop=True), missing


def by_column(missing: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Invert :data:`NotRecorded`: missing column → the metrics (registry family names) left
    out for it, in registry order."""
    out: dict[str, list[str]] = {}
    for name, columns in missing.items():
        for column in columns:
            names = out.setdefault(column, [])
            if name not in names:
                names.append(name)
    return out


def spellings(column: str) -> str:
    """The column's accepted header spellings, for a message: ``relapse_date/tilbagefald_dato``."""
    return "/".join(COLUMN_ALIASES.get(column, (column,)))


def notes(missing: Mapping[str, tuple[str, ...]], given: frozenset[str] | set[str] = frozenset()
          ) -> list[str]:
    """One note per column not recorded, naming the metrics left out."""
    out = []
    for column, names in by_column(missing).items():
        shown = ", ".join(re.sub(r"\{\w+\}", "K", n) for n in names)
        out.append(message("note_not_recorded_empty", column=column, metrics=shown)
                   if column in given else
                   message("note_not_recorded_absent", column=column,
                           spellings=spellings(column), metrics=shown))
    return out
