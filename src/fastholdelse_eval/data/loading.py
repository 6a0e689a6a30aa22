"""Load a cohort or aggregate-counts file into a validated :class:`Cohort` /
:class:`AggregateCohort` (the "sources" end of the pipeline)."""

from __future__ import annotations

from pathlib import Path

from fastholdelse_eval.core.errors import Problem, ValidationError
from fastholdelse_eval.data.cohort import AggregateCohort, Cohort, SourceFile
from fastholdelse_eval.data.io import read_table
from fastholdelse_eval.data.validation import (
    looks_aggregate,
    validate_aggregate_frame,
    validate_cohort_frame,
)


def load_cohort(
    path: str | Path,
    followup_date: object = None,
    municipality: str | None = None,
    name: str | None = None,
) -> Cohort | AggregateCohort:
    """Read and validate a cohort file (CSV, XLSX or Parquet).

    A person-level file gives a :class:`Cohort`; a file of counts per municipality × group
    (columns ``n``/``antal``, ``rtw``/``raskmeldt``, …; no person id) gives an
    :class:`AggregateCohort`. ``followup_date`` is the study-wide follow-up date for rows
    without one; ``municipality`` the default site name.

    Raises :class:`~fastholdelse_eval.core.errors.ValidationError` listing every problem; nothing is
    loaded on error.
    """
    table = read_table(path)
    source = str(path)
    name = name or Path(path).stem
    sources = [SourceFile.of(path)]
    if looks_aggregate(list(table.frame.columns)):
        data, notes = validate_aggregate_frame(table.frame, municipality=municipality,
                                               source=source)
        return AggregateCohort(data=data, name=name, sources=sources, notes=notes)
    data, notes, recorded, given = validate_cohort_frame(
        table.frame,
        followup_date=followup_date,
        municipality=municipality,
        decimal_comma=table.fmt.decimal == ",",
        source=source,
    )
    return Cohort(data=data, name=name, sources=sources, notes=notes,
                  recorded_columns=recorded, given_columns=given)


def validate(
    path: str | Path, followup_date: object = None, municipality: str | None = None
) -> list[Problem]:
    """Check a cohort or aggregate file; returns every problem found (empty list = valid)."""
    try:
        load_cohort(path, followup_date=followup_date, municipality=municipality)
    except ValidationError as exc:
        return list(exc.problems)
    return []
