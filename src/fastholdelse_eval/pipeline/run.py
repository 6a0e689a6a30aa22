"""The report pipeline's stages after loading: evaluate → compare → suppress → document.

* :func:`analyse` (analysis): an :class:`~fastholdelse_eval.analysis.evaluation.Evaluation` →
  :class:`~fastholdelse_eval.present.inputs.ReportInputs`: every row the report shows in one
  tidy table (the evaluation's rows, baseline balance, flow at follow-up, the
  cross-municipality comparison with its benchmarks) and the figures of fitted curves, each
  with the tidy rows its curves reveal.
* :func:`clear` (disclosure control, all of it): primary and secondary suppression
  (:func:`~fastholdelse_eval.privacy.disclosure.suppress`), the cross-municipality rows
  (:func:`~fastholdelse_eval.privacy.cross_site.mask_cross_site`) and the figures' curves
  (:func:`~fastholdelse_eval.privacy.figures.hidden_reveals`) →
  :class:`~fastholdelse_eval.present.inputs.Cleared`.
* :func:`report`: ``clear`` then :func:`~fastholdelse_eval.present.build.present`, which lays
  out the cleared table only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.analysis import one_group, recorded
from fastholdelse_eval.analysis.baseline import baseline_rows, flow_rows
from fastholdelse_eval.analysis.compare import compare_municipalities
from fastholdelse_eval.analysis.targets import parse_targets
from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import EvaluationOptions
from fastholdelse_eval.data.cohort import Cohort, SourceFile
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.plots.survival import plot_cif, plot_km
from fastholdelse_eval.present.build import present
from fastholdelse_eval.present.document import Document
from fastholdelse_eval.present.inputs import (
    Cleared,
    ClearedFigure,
    FigureSpec,
    ReportInputs,
    ReportMeta,
)
from fastholdelse_eval.privacy.cross_site import (
    EXPECTED,
    OUTCOME,
    POOLED_METRICS,
    RATE,
    SITES_LEVEL,
    mask_cross_site,
)
from fastholdelse_eval.privacy.disclosure import DEFAULT_THRESHOLD, suppress
from fastholdelse_eval.privacy.figures import Reveal, coarsen_cif, coarsen_km, hidden_reveals
from fastholdelse_eval.privacy.notes import clear_notes

# Extra columns of the comparison's rows that the report shows.
KEEP_COLUMNS = ("measure", "weight", "k", "df", "primary", "covariates")
# Tidy rows a group's curve gives back: it starts at the group's size and steps by k/n, so the
# curve shows n and the event counts (returned to work; its cumulative incidence for the CIF).
KM_REVEALS = ("n", RATE)
CIF_REVEALS = ("n", RATE, "cif_rtw")
# The partial-return curve steps at partial returns and at ends of spells (competing).
PARTIAL_REVEALS = ("n", RATE, "partial_rtw_rate", "cif_partial_rtw")


def comparison_rows(cohort: Any, level: float = 0.95) -> pd.DataFrame:
    """Rows of the report's "Municipalities compared" section; none for fewer than two
    municipalities. Each municipality's effect (the meta-analysis input: Wald risk difference),
    the pooled rows (fixed IV, Mantel–Haenszel, random effects, prediction interval),
    heterogeneity (Q, I², τ²), the municipality × intervention test and the
    expected-vs-observed benchmark rows, all with ``level = SITES_LEVEL`` so that they never mix
    with the evaluation's own rows of the same metric.

    Group sizes and RTW counts per municipality are *not* repeated: the report uses the
    evaluation's rows, so the counts are one set of cells for disclosure control. The
    comparison's free-text notes are not carried: some name counts (e.g. of missing covariate
    values) that disclosure control cannot see.

    Risk difference of return to work, REML random effects (Viechtbauer 2005) as the headline
    estimator, benchmarks in the control group.
    """
    if len(getattr(cohort, "municipalities", [])) < 2:
        return tidy.frame([])
    comp = compare_municipalities(cohort, measure="rd", method="reml", outcome=OUTCOME,
                                  level=level)
    t = comp.tidy()
    effect = (t["metric"] == RATE) & (t["group"] == "difference")
    pooled = t["metric"].isin(POOLED_METRICS) & (t["municipality"] == "all")
    bench = t["metric"] == EXPECTED
    out = t.loc[effect | pooled | bench].copy()
    # Expected-vs-observed status, judged here (analysis) so that layout only looks it up.
    obs = pd.to_numeric(out.get("observed_rate"), errors="coerce")
    status = np.where(obs > out["ci_high"], "above",
                      np.where(obs < out["ci_low"], "below", "within"))
    out["benchmark"] = np.where(out["metric"] == EXPECTED, status, "")
    # Counts and observed rates stay in the evaluation's rows (one set of cells to protect);
    # ratios and z-scores would give the observed count back, so they are not carried.
    out["numerator"] = pd.NA
    out["denominator"] = pd.NA
    keep = [*tidy.TIDY_COLUMNS, *[c for c in KEEP_COLUMNS if c in out.columns], "benchmark"]
    out = out[keep].assign(level=SITES_LEVEL)
    return out.reset_index(drop=True)


def curve_figures(ev: Any) -> list[FigureSpec]:
    """The survival figures of the durations section, from the evaluation's fitted curves (of
    ``all``, or the only municipality), each with the rows its curves reveal."""
    durations = getattr(ev, "durations", None)
    if not isinstance(ev.cohort, Cohort) or durations is None or not durations.fits:
        return []
    fit = durations.fit()
    groups = tuple(fit.km)

    # ``coarsen``: the threshold of disclosure control; the curves are pooled to steps of at
    # least that many events (privacy.figures) before they are drawn.
    def km(chosen: list[str], coarsen: int = 0, **kwargs: Any) -> object:
        curves = {g: coarsen_km(fit.km[g], coarsen) if coarsen else fit.km[g]
                  for g in groups if g in chosen}
        return plot_km(curves, horizon=fit.horizon_weeks, **kwargs)

    def cif(chosen: list[str], coarsen: int = 0, **kwargs: Any) -> object:
        curves = {g: coarsen_cif(fit.cif[g], coarsen) if coarsen else fit.cif[g]
                  for g in groups if g in chosen}
        return plot_cif(curves, cause=1, **kwargs)

    def partial(chosen: list[str], coarsen: int = 0, **kwargs: Any) -> object:
        curves = {g: coarsen_cif(fit.partial[g], coarsen) if coarsen else fit.partial[g]
                  for g in groups if g in chosen}
        return plot_cif(curves, cause=1, **kwargs)

    def reveals(fig_id: str, metrics: tuple[str, ...]) -> tuple[Reveal, ...]:
        return tuple(Reveal(fig_id, m, g, fit.municipality) for g in groups for m in metrics)

    return [
        FigureSpec("fig-km", "durations", "durations.figure_km", groups, km,
                   reveals("fig-km", KM_REVEALS)),
        FigureSpec("fig-cif", "durations", "durations.figure_cif", groups, cif,
                   reveals("fig-cif", CIF_REVEALS)),
        *([FigureSpec("fig-partial", "durations", "durations.figure_partial", groups, partial,
                      reveals("fig-partial", PARTIAL_REVEALS))] if fit.partial else []),
    ]


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    return str(value)


def analyse(
    ev: Any,
    *,
    title: str | dict[str, str] | None = None,
    municipality: str | None = None,
    author: str | None = None,
    date: object = None,
    description: str | dict[str, str] | None = None,
    labels: dict[str, dict[str, str]] | None = None,
    extra_sources: list[SourceFile] | None = None,
) -> ReportInputs:
    """Every row and figure a report shows, before disclosure control (see the module
    docstring). The evaluation's targets (judged by ``evaluate``) are parsed again for their
    wording."""
    cohort = ev.cohort
    # The evaluation's own options object (a mapping from older callers is checked once here).
    options = EvaluationOptions.build(getattr(ev, "options", None))
    level = options.level
    frames = [ev.tidy()]
    missing = dict(getattr(ev, "not_recorded", {}) or {})
    if isinstance(cohort, Cohort):
        # Not recorded ≠ 0 here too: e.g. no end_date column → no flow at follow-up.
        # a one-group study: its own arm's baseline and flow rows only (no empty control arm)
        extra, left_out = recorded.leave_out(one_group.trim(
            tidy.concat([baseline_rows(cohort, list(options.covariates)), flow_rows(cohort)]),
            one_group.one_group_units(frames[0])),
            cohort.recorded, producers=(baseline_rows.__module__,))
        frames.append(extra)
        missing.update(left_out)
    # The report says what was not recorded in its own language (present/sections/
    # data_quality); the evaluation's English notes of it are not repeated.
    english = set(recorded.notes(missing, getattr(cohort, "given_columns", None) or set()))
    site_notes: list[str] = []
    case = getattr(ev, "business_case", None)
    if case is not None:  # pooled over municipalities: masked as the comparison's rows are
        frames.append(case.pooled_rows().assign(level=SITES_LEVEL))
    try:  # the cross-municipality comparison (no rows for a single municipality)
        frames.append(comparison_rows(cohort, level))
    except ConfigError as exc:
        site_notes.append(message("note_sites_not_compared", reason=str(exc)))
    followup = None
    if isinstance(cohort, Cohort) and len(cohort.data):
        dates = cohort.data["followup_date"].dropna().unique()
        if len(dates) == 1:
            followup = _iso(pd.Timestamp(dates[0]))
    munis = getattr(cohort, "municipalities", [])
    meta = ReportMeta(
        targets=parse_targets(options.targets),
        level=level,
        horizon_weeks=options.horizon_weeks,
        sustained_weeks=options.sustained_weeks,
        followup_date=followup,
        title=title,  # no title: the language's default, not a file name
        municipality=municipality or (munis[0] if len(munis) == 1 else None),
        author=author,
        date=_iso(date),
        description=description,
        labels=dict(labels or {}),
        notes=[n for n in dict.fromkeys([*getattr(cohort, "notes", []),
                                         *getattr(ev, "notes", []), *site_notes])
               if n not in english],
        not_recorded=recorded.by_column(missing) if isinstance(cohort, Cohort) else {},
        given_columns=frozenset(getattr(cohort, "given_columns", None) or ()),
        sources=[*getattr(cohort, "sources", []), *(extra_sources or [])],
        business_case=options.business_case if case is not None else None,
    )
    return ReportInputs(table=tidy.concat(frames), figures=curve_figures(ev), meta=meta)


def clear(inputs: ReportInputs, threshold: int = DEFAULT_THRESHOLD, enabled: bool = True
          ) -> Cleared:
    """All disclosure control of a report: the table, the cross-site rows, the figures."""
    sup = mask_cross_site(suppress(inputs.table, threshold=threshold, enabled=enabled))
    figures = []
    for spec in inputs.figures:
        hidden = {r.group for r in hidden_reveals(sup.table, spec.reveals, sup.enabled)}
        figures.append(ClearedFigure(spec, tuple(g for g in spec.groups if g not in hidden),
                                     tuple(g for g in spec.groups if g in hidden),
                                     coarsen=sup.threshold if sup.enabled else 0))
    # Free-text notes can carry small counts that the table's suppression never saw.
    meta = (dataclasses.replace(inputs.meta, notes=clear_notes(inputs.meta.notes, sup.threshold))
            if sup.enabled else inputs.meta)
    return Cleared(table=sup.table, log=sup.log, threshold=sup.threshold, enabled=sup.enabled,
                   figures=figures, meta=meta, notes=list(sup.notes))


def report(inputs: ReportInputs, *, lang: str = "da", threshold: int = DEFAULT_THRESHOLD,
           suppression: bool = True) -> Document:
    """Clear the inputs and lay the report out in one language."""
    return present(clear(inputs, threshold=threshold, enabled=suppression), lang=lang)
