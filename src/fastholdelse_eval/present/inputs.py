"""What a report is laid out from: the pipeline's inputs before and after disclosure control.

:class:`ReportInputs` (made by :func:`fastholdelse_eval.pipeline.run.analyse`) holds every row a
report shows, unmasked, and the figures with the rows each one reveals. :class:`Cleared` (made by
:func:`fastholdelse_eval.pipeline.run.clear`) holds only what disclosure control let through; the
report is built from a :class:`Cleared` alone, so it cannot show an unmasked value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fastholdelse_eval.data.cohort import SourceFile
from fastholdelse_eval.privacy.figures import Reveal

# plot(groups, ax=, title=, xlabel=, ylabel=): draws the curves of the given groups only
CurvePlot = Callable[..., object]


@dataclass
class ReportMeta:
    """The study's metadata and options as the report states them (no results)."""

    targets: list[Any] = field(default_factory=list)  # analysis.targets.Target, for wording
    level: float = 0.95
    horizon_weeks: float | None = None
    sustained_weeks: float = 4
    followup_date: str | None = None
    title: str | dict[str, str] | None = None  # one text, or one per language
    municipality: str | None = None
    author: str | None = None
    date: str | None = None
    description: str | dict[str, str] | None = None  # one text, or one per language
    # the study's own words per language: category value or covariate name → text
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)
    business_case: Any = None  # core.options.BusinessCaseOptions: the assumptions, for wording
    # input column not recorded → the metrics (registry names) left out for it
    not_recorded: dict[str, list[str]] = field(default_factory=dict)
    given_columns: frozenset[str] = frozenset()  # columns present in the file (maybe empty)


@dataclass
class FigureSpec:
    """A figure of fitted curves, one per group, and the tidy rows each curve reveals.

    ``labels`` is the label prefix of its ``_title``, ``_desc``, ``_x`` and ``_y`` texts.
    """

    id: str
    section: str
    labels: str
    groups: tuple[str, ...]
    plot: CurvePlot
    reveals: tuple[Reveal, ...] = ()


@dataclass
class ReportInputs:
    """Everything a report shows, before disclosure control: one tidy table and the figures."""

    table: pd.DataFrame
    figures: list[FigureSpec] = field(default_factory=list)
    meta: ReportMeta = field(default_factory=ReportMeta)


@dataclass
class ClearedFigure:
    """A figure with the groups whose curves disclosure control cleared (in drawing order)."""

    spec: FigureSpec
    groups: tuple[str, ...]
    hidden: tuple[str, ...] = ()
    # Curves drawn with steps of at least this many events (0: as fitted; suppression off).
    coarsen: int = 0


@dataclass
class Cleared:
    """What disclosure control let through: the masked table, its log, the cleared figures."""

    table: pd.DataFrame
    log: pd.DataFrame
    threshold: int
    enabled: bool
    figures: list[ClearedFigure] = field(default_factory=list)
    meta: ReportMeta = field(default_factory=ReportMeta)
    notes: list[str] = field(default_factory=list)
