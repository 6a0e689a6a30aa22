"""``evaluate``: the evaluation of one study, intervention vs control, as a tidy table.

Data flow: Cohort → :func:`~fastholdelse_eval.data.outcomes.person_outcomes` → rates (this module)
and further analyses → one tidy table (core/tidy.py; metrics: docs/metrics.md) held by an
:class:`Evaluation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.analysis import one_group, recorded
from fastholdelse_eval.analysis.absolute_targets import absolute_rows
from fastholdelse_eval.analysis.business_case import business_case as _business_case
from fastholdelse_eval.analysis.durations import duration_rows
from fastholdelse_eval.analysis.pooling import left_out_note, pooled_mask
from fastholdelse_eval.analysis.progression import progression_rows
from fastholdelse_eval.analysis.reference import (
    label_historic,
    parse_reference,
    reference_rows,
    with_historic,
)
from fastholdelse_eval.analysis.targets import parse_targets, target_rows
from fastholdelse_eval.analysis.weighted_outcomes import weighted_rows
from fastholdelse_eval.analysis.weighting import Weighting, weigh
from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError, safe_name
from fastholdelse_eval.core.options import EvaluationOptions
from fastholdelse_eval.core.results import Result
from fastholdelse_eval.core.summary import summary_frame
from fastholdelse_eval.data import schema
from fastholdelse_eval.data.cohort import AggregateCohort, Cohort
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.outcomes import RATE_METRICS, person_outcomes
from fastholdelse_eval.data.progression import Progression
from fastholdelse_eval.stats import rates


@dataclass
class Evaluation(Result):
    """Result of :func:`evaluate`: the tidy table plus what produced it.

    Attributes
    ----------
    cohort : Cohort | AggregateCohort
    table : DataFrame — the tidy result table (use :meth:`tidy`)
    options : EvaluationOptions — level, horizon_weeks, covariates, sustained_weeks, targets
    notes : list[str] — remarks for the reader (skipped analyses, data-quality notes)
    durations : DurationResult | None — fitted survival curves (person-level cohorts only)
    business_case : BusinessCase | None — what the intervention saves (when
        ``options.business_case`` is given; its rows are in the table too)
    progression : ProgressionResult | None — progression analyses, when measurements were given
    weighting : Weighting | None — the weighted or matched design (``weighting=`` given)
    """

    cohort: Cohort | AggregateCohort
    table: pd.DataFrame
    options: EvaluationOptions = field(default_factory=EvaluationOptions)
    notes: list[str] = field(default_factory=list)
    durations: Any = None
    weighting: Weighting | None = None
    business_case: Any = None
    reference: Any = None  # analysis.reference.Reference, when compared with a reference

    def plot_tornado(self, ax=None, municipality: str | None = None, *, lang: str = "en",
                     **kwargs):
        """Tornado plot of the business case's sensitivity table (words in ``lang``); returns
        the Axes."""
        if self.business_case is None:
            raise ConfigError(message("ev_no_business_case"))
        return self.business_case.plot_tornado(ax=ax, municipality=municipality, lang=lang,
                                               **kwargs)
    progression: Any = None
    # metrics left out because an input column was not recorded → the missing columns
    not_recorded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_recorded_notes: list[str] = field(default_factory=list)  # the notes saying so

    def _durations(self):
        if self.durations is None:
            raise ConfigError(message("ev_plots_person_level"))
        return self.durations

    def plot_time_on_benefit(self, ax=None, municipality: str | None = None, *,
                             lang: str = "en", **kwargs):
        """Kaplan–Meier curves of time on benefit with numbers at risk, words in ``lang``
        (``"da"`` or ``"en"``); returns the Axes."""
        return self._durations().plot_time_on_benefit(ax=ax, municipality=municipality,
                                                      lang=lang, **kwargs)

    def plot_cif(self, ax=None, municipality: str | None = None, *, lang: str = "en",
                 **kwargs):
        """Cumulative incidence of RTW (competing outcomes), words in ``lang``; returns Axes."""
        return self._durations().plot_cif(ax=ax, municipality=municipality, lang=lang,
                                          **kwargs)

    def plot_weekly_status(self, ax=None, municipality: str | None = None, *,
                           lang: str = "en", **kwargs):
        """Weekly share on benefit / returned / other benefit per group, words in ``lang``;
        returns the Axes."""
        return self._durations().plot_weekly_status(ax=ax, municipality=municipality,
                                                    lang=lang, **kwargs)

    def tidy(self) -> pd.DataFrame:
        """The tidy result table (a copy)."""
        return self.table.copy()

    def _glance(self) -> dict[str, Any]:
        t = self.table
        top = t[t["municipality"] == ("all" if "all" in set(t["municipality"]) else
                                      t["municipality"].iloc[0])] if len(t) else t
        n = top.loc[(top["metric"] == "n") & top["group"].isin(["intervention", "control"]),
                    "estimate"]
        rtw = top.loc[(top["metric"] == "rtw_rate")
                      & top["group"].isin(["intervention", "control"]), "numerator"]
        munis = getattr(self.cohort, "municipalities", [])
        return {"n": int(n.sum()) if len(n) else pd.NA,
                "events": int(rtw.sum()) if len(rtw) and rtw.notna().all() else pd.NA,
                "municipalities": len(munis), "level": self.options.level,
                "method": "person-level" if isinstance(self.cohort, Cohort) else "aggregate",
                "horizon_weeks": self.options.horizon_weeks,
                "covariates": ",".join(self.options.covariates),
                "targets": len(self.options.targets)}

    def _title(self) -> str:
        return getattr(self.cohort, "name", None) or "evaluation"

    def summary(self, municipality: str | None = None) -> pd.DataFrame:
        """A wide, readable view: one row per metric, columns per group (rates as %)."""
        t = self.table
        muni = municipality or ("all" if "all" in set(t["municipality"]) else
                                t["municipality"].iloc[0])
        t = t[t["municipality"] == muni]
        return summary_frame(t)

    def __repr__(self) -> str:
        name = getattr(self.cohort, "name", None) or "unnamed"
        return f"Evaluation({name}: {len(self.table)} result rows)\n{self.summary().to_string()}"

    def _repr_html_(self) -> str:
        """Jupyter: the summary table and the key figure (outcome shares, inline SVG)."""
        from fastholdelse_eval.present.notebook import repr_html

        return repr_html(self)

    def to_html(self, path: Any, lang: str = "da", **options: Any) -> list:
        """Write the self-contained HTML report; options: ``threshold``, ``suppression``,
        ``title``, ``municipality``, ``author``, ``date``, ``description`` (see
        :mod:`fastholdelse_eval.present`). Returns the files written."""
        from fastholdelse_eval.pipeline.reports import write_report

        return write_report(self, path, "html", lang, **options)

    def to_markdown(self, path: Any, lang: str = "da", **options: Any) -> list:
        """Write the Markdown report (figures as SVG files beside it); see :meth:`to_html`."""
        from fastholdelse_eval.pipeline.reports import write_report

        return write_report(self, path, "md", lang, **options)

    def to_pdf(self, path: Any, lang: str = "da", **options: Any) -> list:
        """Write the PDF report (fpdf2, no system libraries); see :meth:`to_html`."""
        from fastholdelse_eval.pipeline.reports import write_report

        return write_report(self, path, "pdf", lang, **options)


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """``frame[mask]``, without copying every column when the mask keeps every row (one
    municipality: at 5M persons the copy was the largest allocation of ``evaluate``)."""
    return frame if mask.all() else frame[mask]


def _persons_rows(out: pd.DataFrame, level: float, municipality: str) -> list[dict[str, Any]]:
    # Compared as Arrow text: to_numpy() would make a Python string per person.
    i1 = (out["group"] == "intervention").to_numpy(dtype=bool)
    i0 = (out["group"] == "control").to_numpy(dtype=bool)
    n1, n0 = int(i1.sum()), int(i0.sum())
    rows = rates.count_rows(n1, n0, municipality=municipality)

    def add(metric: str, events: np.ndarray, base: np.ndarray) -> None:
        rows.extend(rates.rate_rows(
            metric, int((events & base & i1).sum()), int((base & i1).sum()),
            int((events & base & i0).sum()), int((base & i0).sum()),
            level=level, municipality=municipality))

    everyone = np.ones(len(out), dtype=bool)
    is_rtw = out["is_rtw"].to_numpy()
    add("rtw_rate", is_rtw, everyone)
    add("partial_rtw_rate", out["is_partial_rtw"].to_numpy(), everyone)
    add("relapse_rate", out["is_relapse"].to_numpy(), is_rtw)
    add("dropout_rate", out["is_dropout"].to_numpy(), everyone)
    add("other_benefit_rate", out["is_other_benefit"].to_numpy(), everyone)
    offer = out["active_offer"]
    known = offer.notna().to_numpy()
    if known.any():
        add("active_offer_rate", offer.fillna(False).to_numpy(dtype=bool), known)
    completed = out["benefit_ended"].to_numpy()
    weeks = out["weeks_on_benefit"].to_numpy()
    rows.extend(rates.mean_rows("mean_weeks_on_benefit_completed",
                                weeks[completed & i1], weeks[completed & i0],
                                level=level, municipality=municipality))
    return rows


def _aggregate_rows(data: pd.DataFrame, level: float, municipality: str,
                    notes: list[str] | None = None) -> list[dict[str, Any]]:
    columns = list(dict.fromkeys(c for pair in RATE_METRICS.values() for c in pair))
    sums = data.groupby("group")[columns].sum(min_count=1)
    # An empty cell in any row of a group makes that group's count unknown (not a smaller sum).
    gaps = data[columns].isna().groupby(data["group"]).any()

    def count(group: str, column: str) -> int | None:
        if group not in sums.index:
            return 0  # a one-group file: the absent arm's rows are trimmed (one_group.trim)
        if pd.isna(sums.loc[group, column]) \
                or bool(gaps.loc[group, column]):
            return None
        return int(sums.loc[group, column])

    rows = rates.count_rows(count("intervention", "n") or 0, count("control", "n") or 0,
                            municipality=municipality)
    for metric, (num, den) in RATE_METRICS.items():
        x1, n1 = count("intervention", num), count("intervention", den)
        x0, n0 = count("control", num), count("control", den)
        if None in (x1, n1, x0, n0):
            has_values = [g for g in ("intervention", "control") if g in gaps.index
                          and not data.loc[data["group"] == g, [num, den]].isna().all().all()]
            # A count empty everywhere is "not recorded" (said once by evaluate); one empty
            # here and there is said here.
            if has_values and notes is not None:
                empty = [g for g in ("intervention", "control")
                         if g in gaps.index and bool(gaps.loc[g, [num, den]].any())]
                notes.append(message(
                    "note_count_empty", metric=metric, municipality=safe_name(municipality, 40),
                    groups=message("groups_both" if len(empty) == 2 else "groups_one"
                                   if not empty else "groups_intervention"
                                   if empty[0] == "intervention" else "groups_control")))
            continue
        rows.extend(rates.rate_rows(metric, x1, n1, x0, n0, level=level,
                                    municipality=municipality))
    return rows


def _sites(municipalities: list[str]) -> list[str | None]:
    """Municipalities to report: each site, plus ``all`` (None) when there are several."""
    return municipalities if len(municipalities) == 1 else [*municipalities, None]


def evaluate(
    cohort: Cohort | AggregateCohort,
    options: EvaluationOptions | dict[str, Any] | None = None,
    *,
    level: float | None = None,
    horizon_weeks: float | None = None,
    covariates: list[str] | None = None,
    sustained_weeks: float | None = None,
    targets: list[Any] | None = None,
    business_case: Any = None,
    progression: Progression | None = None,
    weighting: str | None = None,
    reference: Any = None,
) -> Evaluation:
    """Evaluate intervention vs control.

    Rates (``rtw_rate``, ``partial_rtw_rate``, ``relapse_rate`` among those who returned,
    ``dropout_rate``, ``other_benefit_rate``, ``active_offer_rate``) get Wilson intervals per
    group, a Newcombe difference with Fisher's exact p and a Katz ratio; see
    :mod:`fastholdelse_eval.stats.rates`. ``mean_weeks_on_benefit_completed`` is the naive mean of
    finished spells (biased by censoring; shown because municipalities report it).
    With several municipalities, rows come per municipality plus ``all``.
    Person-level cohorts also get the censoring-aware duration, competing-outcome, Cox and
    relapse rows of :func:`fastholdelse_eval.analysis.durations.duration_rows` (``horizon_weeks``,
    ``covariates``, ``sustained_weeks``); ``targets`` are judged as rows by
    :func:`fastholdelse_eval.analysis.targets.target_rows` (spec in that module's docstring).

    ``options``: an :class:`~fastholdelse_eval.core.options.EvaluationOptions` (or a mapping of
    its fields) as built by the CLI and the study config; keywords given here override it.
    Defaults: level 0.95, no horizon (26 weeks, capped), no covariates, 4 sustained weeks.

    ``business_case``: the inputs of a business case (a
    :class:`~fastholdelse_eval.core.options.BusinessCaseOptions` or a mapping such as
    ``{"weekly_benefit": 4000, "cost_per_participant": 5000}``); its rows (see
    :mod:`fastholdelse_eval.analysis.business_case`) join the table and the fitted case is
    ``Evaluation.business_case``. Person-level cohorts only.
    ``progression``: repeated measurements linked to this cohort
    (:func:`fastholdelse_eval.data.progression.load_progression`); their rows
    (:mod:`fastholdelse_eval.analysis.progression`) join the table, for the cohort's one
    municipality or ``all``.
    ``weighting`` (``att``, ``ate``, ``overlap``, ``match``, ``entropy``; person-level cohorts):
    the comparison group is also weighted or matched on ``covariates``
    (:func:`fastholdelse_eval.analysis.weighting.weigh`), adding the design rows (effective
    sample sizes, common support, balance) and the weighted outcome rows of
    :func:`fastholdelse_eval.analysis.weighted_outcomes.weighted_rows`, each with a
    ``weighting`` column; the crude rows stay as they are.
    ``reference``: an external reference instead of a control group — figures
    (``{"label": ..., "rtw_rate": "412/800", "median_weeks_on_benefit": {"estimate": 11,
    "se": 0.8}}``, rows ``reference:<metric>``) or a historic cohort (a Cohort, compared as the
    control group); see :mod:`fastholdelse_eval.analysis.reference`. Labelled a comparison with
    a reference, not a controlled effect.
    """
    options = EvaluationOptions.build(options, level=level, horizon_weeks=horizon_weeks,
                                      covariates=covariates, sustained_weeks=sustained_weeks,
                                      targets=targets, business_case=business_case,
                                      weighting=weighting)
    level, horizon_weeks, targets = options.level, options.horizon_weeks, options.targets
    sustained_weeks = options.sustained_weeks
    notes: list[str] = list(getattr(cohort, "notes", []))
    parse_targets(targets)  # a bad target spec fails before any work
    ref = parse_reference(reference)
    ref_notes: list[str] = []
    if ref is not None and ref.historic:
        if not isinstance(cohort, Cohort):
            raise ConfigError(message("ref_historic_person_level", name="reference"))
        cohort, ref_notes = with_historic(cohort, ref)
    durations = None
    case = None
    design = None
    frames = []
    missing: dict[str, tuple[str, ...]] = {}
    if isinstance(cohort, AggregateCohort):
        pooled, left_out = pooled_mask(cohort.data["municipality"], cohort.data["group"])
        if left_out:
            notes.append(left_out_note(left_out))
        for site in _sites(cohort.municipalities):
            data = cohort.data[pooled] if site is None else cohort.data[
                cohort.data["municipality"] == site]
            frames.append(one_group.trim(tidy.frame(
                _aggregate_rows(data, level, site or "all", notes))))
        missing = _aggregate_not_recorded(cohort.data)
        said = [message("note_aggregate_not_recorded", metric=name, columns=", ".join(cols))
                for name, cols in missing.items()]
        notes.append(message("note_aggregate_no_durations"))
        if options.business_case is not None:
            notes.append(message("note_aggregate_no_business_case"))
        if options.weighting:
            raise ConfigError(message("ev_weighting_person_level"))
    elif isinstance(cohort, Cohort):
        # A covariate may be named as in the file (alder, køn): use its canonical column.
        options = options.replace(covariates=tuple(
            canonical_covariate(c, cohort.data.columns) for c in options.covariates))
        absent = [c for c in options.covariates if c not in cohort.data.columns]
        if absent:
            raise ConfigError(
                message("cov_not_columns_available", name="covariates",
                        columns=", ".join(absent), available=", ".join(cohort.covariates))
                if cohort.covariates else
                message("cov_not_columns_none_available", name="covariates",
                        columns=", ".join(absent)))
        out = person_outcomes(cohort)
        pooled, left_out = pooled_mask(out["municipality"], out["group"])
        if left_out:
            notes.append(left_out_note(left_out))
        rate_frames = []
        for site in _sites(cohort.municipalities):
            part = _rows(out, pooled if site is None else
                         (out["municipality"] == site).to_numpy(dtype=bool))
            rate_frames.append(tidy.frame(_persons_rows(part, level, site or "all")))
        # Not recorded ≠ 0: rates whose input column is absent or empty are left out.
        rates_table, missing = recorded.leave_out(one_group.trim(tidy.concat(rate_frames)),
                                                  cohort.recorded, producers=(__name__,))
        frames.append(rates_table)
        durations = duration_rows(cohort, level=level, horizon_weeks=horizon_weeks,
                                  covariates=list(options.covariates),
                                  sustained_weeks=sustained_weeks, outcomes=out)
        frames.append(durations.table)
        given = cohort.given_columns or frozenset()
        own = set(recorded.notes(durations.not_recorded, given))
        missing = {**missing, **durations.not_recorded}
        said = recorded.notes(missing, given)
        notes.extend(n for n in durations.notes if n not in own)
        # a business case compares the groups' time on benefit: it needs both arms' curves,
        # or the participants' and a stated reference (an assumption; see business_case)
        two_arms = any({"intervention", "control"} <= set(f.km) for f in durations.fits.values())
        stated = options.business_case is not None and \
            options.business_case.reference_weeks is not None and durations.fits
        if options.business_case is not None and (two_arms or stated):
            case = _business_case(durations, options.business_case, level=level,
                                  outcomes=out, cohort=cohort)
            frames.append(case.table)
            notes.extend(case.notes)
        elif options.business_case is not None:  # asked for: say why it is missing
            notes.append(message("note_business_case_not_computed"))
        if options.weighting:
            design = weigh(cohort, list(options.covariates), options.weighting,
                           trim=options.trim, caliper=options.caliper, ratio=options.ratio,
                           replace=options.with_replacement)
            rows, more = weighted_rows(cohort, design, level=level,
                                       horizon_weeks=horizon_weeks,
                                       cluster_municipality=options.cluster_municipality,
                                       replicates=options.weighting_bootstrap)
            frames.extend([design.tidy(), rows])
            notes.extend([*design.notes, *more])
    else:
        raise TypeError(f"evaluate() needs a Cohort or AggregateCohort, not {type(cohort)!r}")
    prog = None
    if progression is not None:
        if not isinstance(cohort, Cohort):
            raise ConfigError(message("cfg_progression_person_level", name="progression"))
        munis = cohort.municipalities
        prog = progression_rows(progression, cohort, level=level,
                                municipality=munis[0] if len(munis) == 1 else "all")
        frames.append(prog.table)
        notes.extend(prog.notes)
    notes.extend(said)
    table = tidy.concat(frames)
    if ref is not None:  # labelled wherever it shows: a reference, not a controlled effect
        table = (label_historic(table, ref) if ref.historic
                 else tidy.concat([table, reference_rows(table, ref, level)]))
        notes[:0] = ref_notes or ["Comparison with a reference" + (
            f" ({ref.label})" if ref.label else "") + ", not a controlled effect: the "
            "participants' figures are held against reference figures from other persons."]
    if targets:
        table = tidy.concat([table, target_rows(table, targets, not_recorded=missing),
                             absolute_rows(table, parse_targets(targets), durations=durations,
                                           level=level)])
    return Evaluation(cohort=cohort, table=table, options=options, notes=notes,
                      durations=durations, business_case=case, progression=prog,
                      not_recorded=missing, not_recorded_notes=said,
                      weighting=design, reference=ref)


def canonical_covariate(name: str, columns: Any) -> str:
    """``name`` if it is a column, else the canonical column it spells (``køn`` → ``sex``)."""
    if name in columns:
        return name
    key = schema.COLUMN_LOOKUP.get(schema.normalize_label(name))
    return key if isinstance(key, str) and key in columns else name


def _aggregate_not_recorded(data: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Rate metrics of an aggregate file whose numerator or denominator count is absent or
    empty in every row (the file's own "not recorded")."""
    out = {}
    for metric, (num, den) in RATE_METRICS.items():
        cols = tuple(c for c in dict.fromkeys((num, den))
                     if c not in data.columns or data[c].isna().all())
        if cols:
            out[metric] = cols
    return out
