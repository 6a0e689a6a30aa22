"""Progression: how participants' scores move over the course, intervention vs control.

From a :class:`~fastholdelse_eval.data.progression.Progression` (measurements mapped to planned
visits) to tidy rows and a :class:`ProgressionResult`. Per instrument (``instrument`` column;
``level`` = ``"<instrument>:<visit weeks>"`` for per-visit rows, ``"<instrument>"`` otherwise):

* ``progression_measured`` — share of the group measured at each visit, of those for whom the
  visit was due (baseline: everyone); the rest dropped out before that visit. Wilson interval.
* ``progression_mean`` — mean score at each visit (t interval).
* ``progression_change`` — mean change from baseline to each follow-up visit among persons
  measured at both (t interval), and the difference between groups (Welch).
* ``progression_ancova`` — the group difference at each follow-up visit adjusted for the
  baseline score (``follow-up ~ baseline + group``, OLS, t interval).
* ``progression_slope`` — change per month from the linear mixed model
  (``score ~ months × group + (months | person)``, REML) per group, and their difference (the
  group × time effect); uses every measurement, valid if drop-out is missing at random.
* ``progression_improved`` — share with an important improvement (change in the better
  direction of at least the instrument's minimal important change) by each follow-up visit;
  Wilson per group, Newcombe difference, Katz ratio, Fisher p (as the RTW rates).
* ``progression_landmark_hr`` — does progression predict return to work? Landmark analysis:
  among persons still on benefit at the end of the first follow-up window (landmark) and
  measured at baseline and that visit, a Cox model (Efron ties) of time from the landmark to
  return to work (other ends censored) with the improvement in units of the minimal important
  change and the group as covariates; the row is the hazard ratio per one MIC of improvement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import EstimationError
from fastholdelse_eval.core.results import Result
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.outcomes import person_outcomes
from fastholdelse_eval.data.progression import DAYS_PER_WEEK, Progression, visit_name
from fastholdelse_eval.plots.progression import plot_spaghetti, plot_trajectory
from fastholdelse_eval.stats import rates
from fastholdelse_eval.stats.cox import cox_efron
from fastholdelse_eval.stats.progression import MixedFit, ancova, mixed_trajectory

ARMS = ("intervention", "control")
DAYS_PER_MONTH = 365.25 / 12


@dataclass
class ProgressionResult(Result):
    """Tidy rows of the progression analyses plus the fits to plot (see module docstring)."""

    table: pd.DataFrame
    progression: Progression
    fits: dict[str, MixedFit] = field(default_factory=dict)
    level: float = 0.95
    notes: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def _glance(self) -> dict[str, Any]:
        p = self.progression
        return {"n": int(p.visits["person_id"].nunique()), "method": "progression",
                "instruments": ",".join(p.measured_instruments),
                "measurements": len(p.measurements)}

    def _instrument(self, instrument: str | None) -> str:
        names = self.progression.measured_instruments
        if instrument is None:
            return names[0]
        if instrument not in names:
            raise ValueError(f"instrument {instrument!r} not measured (measured: "
                             f"{', '.join(names)})")
        return instrument

    def plot_trajectory(self, ax=None, instrument: str | None = None, *, lang: str = "en",
                        **kwargs):
        """Mean score per visit and group with intervals, words in ``lang``; returns the
        Axes."""
        name = self._instrument(instrument)
        t = self.table
        means = t[(t["metric"] == "progression_mean") & (t["instrument"] == name)]
        inst = self.progression.instruments[name]
        return plot_trajectory(means, ax=ax, ylabel=inst.label, lang=lang,
                               ylim=(inst.score_min, inst.score_max)
                               if inst.items else (inst.item_min, inst.item_max), **kwargs)

    def plot_spaghetti(self, ax=None, instrument: str | None = None, *, lang: str = "en",
                       **kwargs):
        """Every person's measured scores over time, by group (individual data: for the
        analyst's own eyes, never for a published report); returns the Axes."""
        name = self._instrument(instrument)
        p = self.progression
        v = p.visits[p.visits["instrument"] == name].merge(
            p.persons.loc[p.persons["instrument"] == name, ["person_id", "group"]],
            on="person_id")
        return plot_spaghetti(v.assign(months=v["days"] / DAYS_PER_MONTH), ax=ax, lang=lang,
                              ylabel=p.instruments[name].label, **kwargs)


def _wide(p: Progression, instrument: str) -> pd.DataFrame:
    """One row per cohort person: group, outcomes, score per visit, due flags."""
    persons = p.persons[p.persons["instrument"] == instrument].set_index("person_id")
    v = p.visits[p.visits["instrument"] == instrument]
    scores = v.pivot(index="person_id", columns="visit_weeks", values="score")
    scores.columns = [f"score_{visit_name(c)}" for c in scores.columns]
    wide = persons.join(scores, how="left")
    for w in (0.0, *p.plan.visits_weeks):
        if f"score_{visit_name(w)}" not in wide:
            wide[f"score_{visit_name(w)}"] = np.nan
    return wide


def _landmark(wide: pd.DataFrame, out: pd.DataFrame, weeks: float, window: float, sign: float,
              mic: float, level: float, extra: dict[str, Any]) -> list[dict[str, Any]]:
    landmark = weeks + window
    key = visit_name(weeks)
    d = wide.join(out, how="left")
    change = sign * (d[f"score_{key}"] - d["score_0"]) / mic
    at_risk = (d["weeks_on_benefit"] > landmark).to_numpy() & np.isfinite(change.to_numpy())
    if at_risk.sum() < 10:
        return []
    time = d["weeks_on_benefit"].to_numpy()[at_risk] - landmark
    event = (d["rtw_event"].to_numpy()[at_risk] == 1).astype(int)
    x = np.column_stack([change.to_numpy()[at_risk],
                         (d["group"].to_numpy()[at_risk] == "intervention").astype(float)])
    if event.sum() < 2 or len(np.unique(x[:, 1])) < 2:
        return []
    fit = cox_efron(time, event, x, names=("improvement", "intervention"))
    hr = fit.hazard_ratio("improvement", level)
    return [tidy.row("progression_landmark_hr", "all", hr.estimate, hr.ci_low, hr.ci_high,
                     numerator=int(event.sum()), denominator=int(at_risk.sum()),
                     p_value=hr.p_value, method="cox-efron-landmark",
                     landmark_weeks=landmark, **extra)]


def progression_rows(progression: Progression, cohort: Any, level: float = 0.95,
                     municipality: str = "all") -> ProgressionResult:
    """Every progression row for every measured instrument (see the module docstring)."""
    p = progression
    out = person_outcomes(cohort).set_index(cohort.data["person_id"])[
        ["weeks_on_benefit", "rtw_event"]]
    rows: list[dict[str, Any]] = []
    fits: dict[str, MixedFit] = {}
    notes = list(p.notes)
    for name in p.measured_instruments:
        inst = p.instruments[name]
        wide = _wide(p, name)
        g = wide["group"].to_numpy()
        i1, i0 = g == "intervention", g == "control"
        base = wide["score_0"].to_numpy()
        common = {"municipality": municipality, "instrument": name,
                  "instrument_label": inst.label}
        for w in (0.0, *p.plan.visits_weeks):
            key = visit_name(w)
            lv = {**common, "level": f"{name}:{key}", "visit_weeks": w}
            s = wide[f"score_{key}"].to_numpy()
            due = np.ones(len(wide), bool) if w == 0 else wide[f"due_{key}"].to_numpy(bool)
            seen = np.isfinite(s)
            for arm, a in (("intervention", i1), ("control", i0)):
                x, n = int((seen & a).sum()), int((due & a).sum())
                est, lo, hi = rates.wilson(x, n, level)
                rows.append(tidy.row("progression_measured", arm, est, lo, hi, numerator=x,
                                     denominator=n, method="wilson",
                                     window_weeks=p.plan.window_weeks,
                                     baseline_days=p.plan.baseline_days, **lv))
            for r in rates.mean_rows("progression_mean", s[seen & i1], s[seen & i0],
                                     level=level, municipality=municipality):
                if r["group"] in ARMS:
                    rows.append({**r, **lv})
            if w == 0:
                continue
            both = seen & np.isfinite(base)
            change = s - base
            for r in rates.mean_rows("progression_change", change[both & i1],
                                     change[both & i0], level=level,
                                     municipality=municipality):
                rows.append({**r, **lv})
            a = ancova(s, base, i1.astype(float), level)
            rows.append(tidy.row("progression_ancova", "difference", a.estimate, a.ci_low,
                                 a.ci_high, denominator=a.n if a.n else None, p_value=a.p_value,
                                 method="ols-ancova", **lv))
            if inst.mic is not None:
                better = both & (inst.sign * change >= inst.mic)
                rows.extend({**r, **lv, "mic": inst.mic} for r in rates.rate_rows(
                    "progression_improved", int((better & i1).sum()), int((both & i1).sum()),
                    int((better & i0).sum()), int((both & i0).sum()), level=level,
                    municipality=municipality))
        v = p.visits[p.visits["instrument"] == name].merge(
            wide[["group"]], left_on="person_id", right_index=True)
        lv = {**common, "level": name}
        try:
            fit = mixed_trajectory(v["score"], v["days"] / DAYS_PER_MONTH,
                                   (v["group"] == "intervention").astype(float),
                                   v["person_id"].to_numpy(), level)
        except EstimationError as exc:
            notes.append(message("note_mixed_model_not_fitted", instrument=inst.label,
                                 reason=str(exc)))
        else:
            fits[name] = fit
            if not fit.converged:
                notes.append(message("note_mixed_model_not_converged",
                                     instrument=inst.label))
            for arm, c in (("intervention", fit.slope_intervention),
                           ("control", fit.slope_control), ("difference", fit.interaction)):
                rows.append(tidy.row("progression_slope", arm, c.estimate, c.ci_low, c.ci_high,
                                     p_value=c.p_value if arm == "difference" else None,
                                     method="mixedlm-reml", n_obs=fit.n_obs,
                                     persons=fit.n_persons, **lv))
        if inst.mic is not None and p.plan.visits_weeks:
            rows.extend(_landmark(wide, out, p.plan.visits_weeks[0], p.plan.window_weeks,
                                  inst.sign, inst.mic, level, lv))
    table = tidy.frame(rows) if rows else tidy.frame([])
    return ProgressionResult(table, p, fits, level, list(dict.fromkeys(notes)))


__all__ = ["DAYS_PER_WEEK", "ProgressionResult", "progression_rows"]
