"""The validated study population: :class:`Cohort` (person level) and :class:`AggregateCohort`.

Everything downstream of the sources accepts one of these. Both are thin wrappers around a
pandas DataFrame in the canonical schema (docs/input.md), plus study metadata.

Canonical person-level columns (dtypes after validation):

============================  =================  ===============================================
column                        dtype              meaning
============================  =================  ===============================================
``person_id``                 str                pseudonymous id
``group``                     category           ``intervention`` / ``control``
``municipality``              category           site (``unknown`` when not given)
``start_date``                datetime64[ns]     start of the spell
``end_date``                  datetime64[ns]     NaT = still on benefit at follow-up
``end_reason``                category           ``rtw``/``other_benefit``/``dropout``/``censored``
``end_detail``                category           the label as written in the file (``fleksjob``)
``partial_rtw_date``          datetime64[ns]     NaT = none
``relapse_date``              datetime64[ns]     NaT = none
``followup_date``             datetime64[ns]     always set (per row or study-wide)
``active_offer``              boolean            nullable
covariates                    as read            ``age``, ``sex``, ``diagnosis``, … and any extra:
                                                 float64 where every cell is a number, else
                                                 category (an empty cell is missing)
============================  =================  ===============================================

The label columns (``category``) are pandas Categoricals whose categories are the labels the
column holds, sorted: they compare, group and sort as the text would (``data["group"] ==
"control"``, ``groupby("municipality", observed=True)``), a covariate's reference level is its
first label in sorted order as it was for text, and a million persons' labels take a byte each
instead of a string each. ``.astype(str)`` gives text when a caller needs it (and before
writing a new label into a copy of the data); ``Cohort(frame)`` turns a frame's text label
columns into this form. Text covariates are kept as given there, and analyses accept them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.data.coded import in_label_form, sorted_labels
from fastholdelse_eval.data.io import FIRST_DATA_ROW
from fastholdelse_eval.data.localize import Message, message
from fastholdelse_eval.data.schema import CANONICAL_COLUMNS, LABEL_COLUMNS, Vocabulary
from fastholdelse_eval.data.validation import validate_cohort_frame

__all__ = ["CANONICAL_COLUMNS", "AggregateCohort", "Cohort", "SourceFile"]


@dataclass(frozen=True)
class SourceFile:
    """An input file and its SHA-256, recorded for reproducibility in reports."""

    path: str
    sha256: str

    @classmethod
    def of(cls, path: str | Path) -> SourceFile:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return cls(path=str(path), sha256=digest.hexdigest())


@dataclass
class Cohort:
    """A validated person-level cohort. Build with :func:`load_cohort` or :meth:`from_frame`."""

    data: pd.DataFrame
    name: str | None = None
    sources: list[SourceFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The canonical columns the source recorded (absent or entirely empty → not recorded, so
    # the metrics that need them are left out rather than computed as 0). ``None`` (a Cohort
    # built directly from canonical data): every canonical column counts as recorded.
    recorded_columns: frozenset[str] | None = None
    # The canonical columns the source had a header for (empty or not); used to combine the
    # recorded columns of several files (data.validation.combined_recorded).
    given_columns: frozenset[str] | None = None
    # The spreadsheet row of each person in the source file (for messages about a person found
    # in two files; read it with spreadsheet_rows()). None when each person's row follows from
    # their position — no row of the file was skipped, the usual case, which spares an array
    # of a million row numbers — or when the rows are unknown.
    source_rows: np.ndarray | None = field(default=None, repr=False, compare=False)

    def spreadsheet_rows(self) -> np.ndarray:
        """The spreadsheet row of each person in the source file (the header is row 1)."""
        if self.source_rows is not None:
            return self.source_rows
        return np.arange(len(self.data), dtype=np.int64) + FIRST_DATA_ROW

    def __post_init__(self) -> None:
        # One form of the label columns whoever built the frame (a file, register data, a
        # DataFrame of one's own): analyses group and compare codes, not text per person.
        relabel = {name: sorted_labels(self.data[name]) for name in LABEL_COLUMNS
                   if name in self.data.columns and not in_label_form(self.data[name])}
        if relabel:
            self.data = self.data.assign(**relabel)

    @property
    def recorded(self) -> frozenset[str]:
        """The canonical columns the data recorded (see ``recorded_columns``)."""
        if self.recorded_columns is None:
            return frozenset(c for c in CANONICAL_COLUMNS if c in self.data.columns)
        return self.recorded_columns

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        followup_date: object = None,
        municipality: str | None = None,
        name: str | None = None,
        *,
        columns: Mapping[str, str] | None = None,
        values: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Cohort:
        """Validate a DataFrame (any accepted spelling) and return a Cohort; ``columns`` and
        ``values`` map your own headers and labels (see :func:`load_cohort`).

        Raises :class:`~fastholdelse_eval.core.errors.ValidationError` listing every problem.
        """
        data, notes, recorded, given, rows = validate_cohort_frame(
            df, followup_date=followup_date, municipality=municipality,
            vocabulary=Vocabulary.build(columns, values) if (columns or values) else None,
        )
        return cls(data=data, name=name, notes=notes, recorded_columns=recorded,
                   given_columns=given, source_rows=rows)

    @property
    def covariates(self) -> list[str]:
        """Columns beyond the canonical ones, usable as covariates."""
        return [c for c in self.data.columns if c not in CANONICAL_COLUMNS]

    @property
    def municipalities(self) -> list[str]:
        return sorted(self.data["municipality"].unique().tolist())

    def subset(self, municipality: str) -> Cohort:
        """The persons of one municipality, same metadata."""
        mask = self.data["municipality"] == municipality
        data = self.data.loc[mask].reset_index(drop=True)
        for name in data.columns:
            # The other municipalities' labels are not this one's (a covariate's levels).
            if isinstance(data[name].dtype, pd.CategoricalDtype):
                data[name] = data[name].cat.remove_unused_categories()
        return Cohort(data, self.name, self.sources, self.notes, self.recorded_columns,
                      self.given_columns)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        counts = self.data["group"].value_counts()
        return (
            f"Cohort({self.name or 'unnamed'}: {len(self)} persons, "
            f"intervention={int(counts.get('intervention', 0))}, "
            f"control={int(counts.get('control', 0))}, "
            f"municipalities={len(self.municipalities)})"
        )


@dataclass
class AggregateCohort:
    """Counts per municipality × group (docs/input.md, "Aggregate file").

    ``data`` columns: ``municipality``, ``group``, then the counts ``n, rtw, partial_rtw,
    relapse, dropout, active_offer, other_benefit`` as nullable Int64 (NA = not reported).
    """

    data: pd.DataFrame
    name: str | None = None
    sources: list[SourceFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def municipalities(self) -> list[str]:
        return sorted(self.data["municipality"].unique().tolist())

    def subset(self, municipality: str) -> AggregateCohort:
        mask = self.data["municipality"] == municipality
        return AggregateCohort(self.data.loc[mask].reset_index(drop=True), self.name,
                               self.sources, self.notes)

    def __len__(self) -> int:
        return int(self.data["n"].sum())

    def __repr__(self) -> str:
        return (f"AggregateCohort({self.name or 'unnamed'}: {len(self.data)} rows, "
                f"municipalities={len(self.municipalities)})")


def one_group_note(cohort: Cohort | AggregateCohort) -> Message | None:
    """A plain note when the file holds one group only (no persons in the other arm), else
    ``None``: the results then describe that group and cannot show an effect. A note, not an
    error — most municipal projects have no control group."""
    data = cohort.data
    if isinstance(cohort, AggregateCohort):
        sizes = data.groupby("group")["n"].sum(min_count=1)
        arms = [g for g in ("intervention", "control") if g in sizes.index
                and not (pd.notna(sizes[g]) and int(sizes[g]) == 0)]
    else:
        arms = [g for g in ("intervention", "control") if (data["group"] == g).any()]
    if len(arms) != 1:
        return None
    return message("note_one_group_intervention" if arms[0] == "intervention"
                   else "note_one_group_control")

