"""Load a cohort or aggregate-counts file into a validated :class:`Cohort` /
:class:`AggregateCohort` (the "sources" end of the pipeline).

Participants and controls often come as two files (``deltagere.xlsx``, ``kontrolgruppe.xlsx``):
``load_cohort(intervention=…, control=…)`` validates each file on its own — problems name that
file and its own rows — and stacks them, intervention first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import (
    ConfigError,
    FilesValidationError,
    Problem,
    ValidationError,
)
from fastholdelse_eval.core.memory import release_free_memory
from fastholdelse_eval.core.threads import in_background
from fastholdelse_eval.data.aggregate_validation import (
    looks_aggregate,
    validate_aggregate_frame,
)
from fastholdelse_eval.data.coded import concat_labelled
from fastholdelse_eval.data.cohort import AggregateCohort, Cohort, SourceFile
from fastholdelse_eval.data.io import RawTable, read_table
from fastholdelse_eval.data.localize import is_message, message
from fastholdelse_eval.data.messages import sheet_hint
from fastholdelse_eval.data.schema import Vocabulary
from fastholdelse_eval.data.validation import combined_recorded, validate_cohort_frame

GROUPS = ("intervention", "control")


def _load_one(path: str | Path, followup_date: object, municipality: str | None,
              name: str | None, group: str | None,
              vocabulary: Vocabulary | None = None) -> Cohort | AggregateCohort:
    table = read_table(path, categories=True)
    # The file's SHA-256 (for the report) is taken while validation runs: hashlib lets go of
    # the GIL, so on two cores it adds no wall time (during the read Arrow uses both cores).
    digest = in_background(SourceFile.of, path)
    loaded = _validated(table, path, followup_date, municipality, name, group, vocabulary)
    loaded.sources = [digest.result()]
    return loaded


def _validated(table: RawTable, path: str | Path, followup_date: object,
               municipality: str | None, name: str | None, group: str | None,
               vocabulary: Vocabulary | None) -> Cohort | AggregateCohort:
    source = str(path)
    name = name or Path(path).stem
    sources: list[SourceFile] = []  # set by _load_one
    if looks_aggregate(list(table.frame.columns), vocabulary):
        data, notes = validate_aggregate_frame(table.frame, municipality=municipality,
                                               source=source, group=group,
                                               vocabulary=vocabulary)
        return AggregateCohort(data=data, name=name, sources=sources, notes=notes)
    try:
        data, notes, recorded, given, rows = validate_cohort_frame(
            table.frame,
            followup_date=followup_date,
            municipality=municipality,
            decimal_comma=table.fmt.decimal == ",",
            source=source,
            group=group,
            vocabulary=vocabulary,
        )
    except ValidationError as exc:
        hint = sheet_hint(list(table.sheets))
        if hint and any(is_message(p.message, "required_column_missing")
                    for p in exc.problems):
            raise ValidationError([*exc.problems, Problem(None, None, hint)], source) from None
        raise
    return Cohort(data=data, name=name, sources=sources, notes=notes,
                  recorded_columns=recorded, given_columns=given, source_rows=rows)


def load_cohort(
    path: str | Path | None = None,
    followup_date: object = None,
    municipality: str | None = None,
    name: str | None = None,
    *,
    intervention: str | Path | None = None,
    control: str | Path | None = None,
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> Cohort | AggregateCohort:
    """Read and validate a cohort file (CSV, XLSX or Parquet), or two: ``intervention=`` and
    ``control=`` (participants and controls in separate files; each may hold several
    municipalities).

    A person-level file gives a :class:`Cohort`; a file of counts per municipality × group
    (columns ``n``/``antal``, ``rtw``/``raskmeldt``, …; no person id) gives an
    :class:`AggregateCohort`. ``followup_date`` is the study-wide follow-up date for rows
    without one; ``municipality`` the default site name.

    With two files a group column is optional; where present it must name the file's group.
    A person (municipality and id) in both files is an error.

    Your own words: ``columns={"Ophørsårsag": "end_reason"}`` maps a header to a column,
    ``values={"end_reason": {"Tilbage hos a-kassen": "ledig"}}`` a label to a known one
    (:class:`~fastholdelse_eval.data.schema.Vocabulary`; the built-in spellings are in
    docs/input.md).

    Raises :class:`~fastholdelse_eval.core.errors.ValidationError` listing every problem (for
    two files, :class:`~fastholdelse_eval.core.errors.FilesValidationError`: every problem of
    both, each with its own file and row); nothing is loaded on error.
    """
    try:
        return _load(path, followup_date, municipality, name, intervention, control,
                     Vocabulary.build(columns, values) if (columns or values) else None)
    finally:
        release_free_memory()  # what validation's temporaries left in the heap (core.memory)


def _load(path: str | Path | None, followup_date: object, municipality: str | None,
          name: str | None, intervention: str | Path | None, control: str | Path | None,
          vocabulary: Vocabulary | None) -> Cohort | AggregateCohort:
    if intervention is None and control is None:
        if path is None:
            raise ConfigError(message("load_no_data"))
        return _load_one(path, followup_date, municipality, name, None, vocabulary)
    if path is not None:
        raise ConfigError(message("load_file_and_split"))
    if intervention is None or control is None:
        missing = "control" if control is None else "intervention"
        raise ConfigError(message("load_split_missing", name=missing))
    parts: list[Cohort | AggregateCohort] = []
    errors: list[ValidationError] = []
    for group, file in zip(GROUPS, (intervention, control), strict=True):
        try:
            parts.append(_load_one(file, followup_date, municipality, name, group, vocabulary))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else FilesValidationError(errors)
    return stack(parts, name or Path(intervention).stem)


def stack(parts: list[Cohort | AggregateCohort], name: str | None,
          what: str = "data") -> Cohort | AggregateCohort:
    """Several loaded files as one cohort, in order. Their kinds must agree; a person
    (municipality and id) may occur in one file only; the recorded columns combine as
    :func:`~fastholdelse_eval.data.validation.combined_recorded` says."""
    if len(parts) == 1:
        return parts[0]
    kinds = {type(p) for p in parts}
    if len(kinds) != 1:
        raise ConfigError(message("load_mixed_kinds", name=what))
    data = concat_labelled([p.data for p in parts])
    sources = [s for p in parts for s in p.sources]
    # Each note after its file's name, still keyed (the report writes it in its language).
    notes = [message("note_in_file", file=Path(s.path).name, note=n)
             for p in parts for s in p.sources[:1] for n in p.notes]
    if kinds == {AggregateCohort}:
        return AggregateCohort(data=data, name=name, sources=sources, notes=notes)
    _check_no_person_twice(parts)
    recorded = combined_recorded([(p.given_columns or p.recorded, p.recorded)  # type: ignore
                                  for p in parts])
    return Cohort(data=data, name=name, sources=sources, notes=notes,
                  recorded_columns=recorded,
                  given_columns=frozenset.intersection(
                      *(p.given_columns or p.recorded for p in parts)))  # type: ignore


def _check_no_person_twice(parts: list[Cohort]) -> None:
    """A person in two files: name the later file's row and the first file and row (never the
    id itself)."""
    keys = pd.concat([pd.DataFrame({
        "m": p.data["municipality"], "p": p.data["person_id"], "file": i,
        "row": p.spreadsheet_rows()})
        for i, p in enumerate(parts)], ignore_index=True)
    dup = keys.duplicated(["m", "p"], keep="first").to_numpy()
    if not dup.any():
        return
    first = keys.groupby(["m", "p"], sort=False)[["file", "row"]].transform("first")
    names = [p.sources[0].path if p.sources else f"file {i + 1}" for i, p in enumerate(parts)]
    by_file: dict[int, list[Problem]] = {}
    for i in np.flatnonzero(dup):
        where = Path(names[int(first["file"].iloc[i])]).name
        by_file.setdefault(int(keys["file"].iloc[i]), []).append(Problem(
            int(keys["row"].iloc[i]), None,
            message("person_in_two_files", file=where, row=int(first["row"].iloc[i]))))
    errors = [ValidationError(problems, names[f]) for f, problems in sorted(by_file.items())]
    raise errors[0] if len(errors) == 1 else FilesValidationError(errors)


def validate(
    path: str | Path | None = None, followup_date: object = None,
    municipality: str | None = None, *, intervention: str | Path | None = None,
    control: str | Path | None = None,
) -> list[Problem]:
    """Check a cohort or aggregate file (or an intervention and a control file); returns every
    problem found (empty list = valid)."""
    try:
        load_cohort(path, followup_date=followup_date, municipality=municipality,
                    intervention=intervention, control=control)
    except ValidationError as exc:
        return list(exc.problems)
    return []
