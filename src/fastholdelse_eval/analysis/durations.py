"""Censoring-aware durations, competing outcomes, Cox models and relapse over time.

:func:`duration_rows` turns a person-level :class:`~fastholdelse_eval.data.cohort.Cohort` into tidy
rows (metrics: docs/metrics.md) plus the fitted curves needed for plots, using the estimators of
:mod:`fastholdelse_eval.stats.survival` on the per-person outcomes of
:func:`fastholdelse_eval.data.outcomes.person_outcomes`.

Two time scales, in weeks (days / 7) from ``start_date``:

* **time on benefit** ends at ``end_date`` for any reason (``rtw``, ``other_benefit``,
  ``dropout``); persons still on benefit — or whose spell ended by death/moving
  (``end_reason = censored``) — are censored at that date / at follow-up;
* **time to RTW**: event ``rtw``; ``other_benefit`` and ``dropout`` are competing events
  (Aalen–Johansen cumulative incidence; cause-specific Cox and log-rank, where competing
  events count as censored for the cause-specific hazard).

Rows (per municipality, plus ``all`` when there are several):

==============================  ==============================  =================================
metric                          groups                          estimator
==============================  ==============================  =================================
``median_weeks_on_benefit``     intervention, control           Kaplan–Meier; Brookmeyer–Crowley
                                                                interval, log-log transform
``rmst_weeks_on_benefit``       intervention, control,          ∫_0^τ S; Klein & Moeschberger
                                difference, ratio               variance; ratio by delta method
``cif_rtw``                     intervention, control,          Aalen–Johansen at τ, delta-method
                                difference                      SE, log-log interval
``hazard_ratio_rtw``            ratio (one row per model)       cause-specific Cox, Efron ties
``logrank_rtw``                 difference                      estimate = chi-square (1 df)
``sustained_rtw_rate``          intervention, control,          see below
                                difference
``relapse_by_{4,13,26}_weeks``  intervention, control,          1 − Kaplan–Meier of weeks from
                                difference                      RTW to relapse
==============================  ==============================  =================================

Differences are intervention − control with Wald intervals and z-test p-values (independent
groups). Rows carry ``horizon_weeks`` (τ) or ``sustained_weeks`` as extra columns, and
``denominator`` = persons behind the estimate (``numerator`` = events for the hazard ratio).

**Horizon τ.** ``horizon_weeks`` if given, else 26 weeks; in either case capped at the largest
time at which both groups still have someone under observation (the smaller of the two groups'
longest observed times), because beyond it a Kaplan–Meier curve is unknown. A cap is reported
in :attr:`DurationResult.notes`; the value used is in the ``horizon_weeks`` column.

**Sustained RTW** (``sustained_rtw_rate``, N = ``sustained_weeks``): the probability of
returning to work by follow-up *and* not relapsing within N weeks after it, estimated as
``p_rtw · S_rel(N)`` where ``p_rtw`` is the share with ``end_reason = rtw`` (as ``rtw_rate``)
and ``S_rel`` the Kaplan–Meier estimate of time from RTW to relapse among those who returned.
A person whose follow-up after RTW is shorter than N weeks without relapse is *censored* at the
end of follow-up (contributes to the risk sets while observed) — neither counted as sustained
nor excluded. Variance by the delta method,
``Var = S_rel(N)² p(1 − p)/n + p² Var_Greenwood(S_rel(N))``; log-log interval. ``nan`` when no
returner was followed N weeks (the curve is unknown at N).

**Relapse over time**: ``relapse_by_K_weeks`` = ``1 − S_rel(K)`` for K = 4, 13, 26, with the
Kaplan–Meier log-log interval turned around. ``nan`` past the follow-up after RTW.

**Covariates** (``covariates=["age", "diagnosis"]``): numeric columns enter as they are, booleans
as 0/1, anything else is dummy-coded with the first level (sorted, or the categorical's first
category) as reference. The adjusted Cox row's ``method`` names them
(``cox-efron adjusted: age, diagnosis``). Persons with a missing covariate value are left out
of the adjusted model only, and the row's ``note`` says how many; covariate columns that are
constant within a municipality are dropped there, also noted.

**Pooled ``all`` rows** (several municipalities): Kaplan–Meier, RMST and cumulative incidence
describe the pooled population; the Cox model and the log-rank test are stratified by
municipality (separate baseline hazards), as their ``method`` says.

Weekly status curves are available from :meth:`DurationResult.weekly_status`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.analysis import partial_return, recorded
from fastholdelse_eval.analysis.covariates import covariate_design
from fastholdelse_eval.analysis.partial_return import groups_present, partial_rows
from fastholdelse_eval.analysis.pooling import pooled_mask
from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import EvaluationOptions
from fastholdelse_eval.core.results import Result
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.outcomes import person_outcomes
from fastholdelse_eval.plots.words import Words
from fastholdelse_eval.stats.survival import (
    CoxResult,
    CumulativeIncidence,
    Estimate,
    KaplanMeier,
    LogRank,
    aalen_johansen,
    cox_efron,
    kaplan_meier,
    logrank,
    normal_difference,
    normal_ratio,
    probability_ci,
    z_value,
)

DEFAULT_HORIZON_WEEKS = 26.0
RELAPSE_WEEKS = (4, 13, 26)
GROUPS = ("intervention", "control")
# Causes for the competing-outcomes analysis (cause 1 = RTW for every cause-specific metric).
CAUSES = {1: "returned", 2: "other_benefit", 3: "dropout"}
STATES = ("on_benefit", "returned", "other_benefit", "dropout")
CONF_TYPE = "log-log"


@dataclass
class UnitFit:
    """Fitted pieces for one municipality (or ``all``)."""

    municipality: str
    horizon_weeks: float
    km: dict[str, KaplanMeier]  # time on benefit, per group
    cif: dict[str, CumulativeIncidence]  # causes CAUSES, per group
    relapse: dict[str, KaplanMeier]  # weeks from RTW to relapse, per group
    logrank: LogRank | None = None
    cox: CoxResult | None = None
    cox_adjusted: CoxResult | None = None
    partial: dict[str, CumulativeIncidence] | None = None  # partial return, spell end competing


@dataclass
class DurationResult(Result):
    """Result of :func:`duration_rows`: tidy rows, fitted curves per municipality, notes."""

    table: pd.DataFrame
    fits: dict[str, UnitFit]
    options: EvaluationOptions = field(default_factory=EvaluationOptions)
    notes: list[str] = field(default_factory=list)
    by_municipality: bool = True
    # metrics left out because their input was not recorded → the columns missing
    not_recorded: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The tidy rows (a copy)."""
        return self.table.copy()

    def _glance(self) -> dict[str, Any]:
        fit = self.fits.get("all") or next(iter(self.fits.values()), None)
        if fit is None:
            return {"level": self.options.level, "method": "kaplan-meier"}
        # n: persons at start; events: ends of benefit (any cause), in both groups together.
        return {"n": sum(int(km.n_risk[0]) for km in fit.km.values() if km.n_risk.size),
                "events": sum(int(km.n_event.sum()) for km in fit.km.values()),
                "municipalities": len([m for m in self.fits if m != "all"]) or 1,
                "level": self.options.level, "method": "kaplan-meier"}

    def fit(self, municipality: str | None = None) -> UnitFit:
        """Fitted curves of one municipality; default ``all`` (or the only one)."""
        if not self.fits:
            raise ConfigError(message("dur_none_possible"))
        if municipality is None:
            municipality = "all" if "all" in self.fits else next(iter(self.fits))
        if municipality not in self.fits:
            raise ConfigError(message("dur_unknown_municipality", municipality=repr(municipality),
                                      have=", ".join(self.fits)))
        return self.fits[municipality]

    def weekly_status(
        self, municipality: str | None = None, weeks: Sequence[float] | None = None
    ) -> pd.DataFrame:
        """Share of each group in each state, week by week since start, with intervals.

        States: ``on_benefit`` (all-cause Kaplan–Meier), ``returned``, ``other_benefit`` and
        ``dropout`` (Aalen–Johansen cumulative incidence: left benefit by that week for that
        reason — "returned" counts a return even if a relapse followed). The four shares add up
        to 1 in each group; they are censoring-aware, so persons with short follow-up do not
        pull the curve. Rows for ``difference`` (intervention − control, Wald interval, z-test).
        Default weeks: 0, 1, … up to the last week both groups are observed. Long format:
        ``municipality, week, state, group, estimate, se, ci_low, ci_high, p_value, n_risk``.
        """
        fit = self.fit(municipality)
        groups = [g for g in GROUPS if g in fit.cif]  # one group: no difference rows
        if weeks is None:
            limit = min(fit.cif[g].last_time for g in groups)
            weeks = np.arange(0.0, np.floor(limit) + 1.0)
        weeks = np.asarray(weeks, dtype="float64")
        z = z_value(self.options.level)
        parts = []
        for state in STATES:
            per_group = {}
            for g in groups:
                c = fit.cif[g]
                got = c.surv_at(weeks) if state == "on_benefit" else \
                    c.at(weeks, cause=STATES.index(state))
                per_group[g] = got
                parts.append(pd.DataFrame({
                    "week": weeks, "state": state, "group": g, "estimate": got["estimate"],
                    "se": got["se"], "ci_low": got["ci_low"], "ci_high": got["ci_high"],
                    "p_value": np.nan, "n_risk": fit.km[g].risk_at(weeks)}))
            if len(groups) < 2:
                continue
            a, b = per_group["intervention"], per_group["control"]
            diff = a["estimate"] - b["estimate"]
            se = np.hypot(a["se"], b["se"])
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(se > 0, 2 * _norm_sf(np.abs(diff) / se), np.nan)
            parts.append(pd.DataFrame({
                "week": weeks, "state": state, "group": "difference", "estimate": diff,
                "se": se, "ci_low": diff - z * se, "ci_high": diff + z * se, "p_value": p,
                "n_risk": pd.array([None] * weeks.size, dtype="Int64")}))
        out = pd.concat(parts, ignore_index=True)
        out.insert(0, "municipality", fit.municipality)
        out["n_risk"] = out["n_risk"].astype("Int64")
        order = {"intervention": 0, "control": 1, "difference": 2}
        key = out["group"].map(order) + 3 * out["state"].map(STATES.index)
        return out.assign(_k=key).sort_values(["week", "_k"], kind="stable").drop(
            columns="_k").reset_index(drop=True)

    def plot_time_on_benefit(self, ax=None, municipality: str | None = None, *,
                             lang: str = "en", **kwargs):
        """Kaplan–Meier curves of time on benefit with numbers at risk, words in ``lang``
        (``"da"`` or ``"en"``, as in every plot method); returns the Axes."""
        from fastholdelse_eval.plots.survival import plot_km

        fit, w = self.fit(municipality), Words(lang)
        return plot_km(fit.km, ax=ax, horizon=fit.horizon_weeks, lang=lang,
                       title=kwargs.pop("title", w("title_time_on_benefit",
                                                   municipality=fit.municipality)),
                       **kwargs)

    def plot_cif(self, ax=None, municipality: str | None = None, *, lang: str = "en", **kwargs):
        """Cumulative incidence of RTW (other ends competing), words in ``lang``; Axes."""
        from fastholdelse_eval.plots.survival import plot_cif

        fit, w = self.fit(municipality), Words(lang)
        return plot_cif(fit.cif, cause=1, ax=ax, lang=lang,
                        title=kwargs.pop("title", w("title_rtw", municipality=fit.municipality)),
                        **kwargs)

    def plot_partial_rtw(self, ax=None, municipality: str | None = None, *, lang: str = "en",
                         **kwargs):
        """Cumulative incidence of first partial return (spell end competing); Axes."""
        from fastholdelse_eval.plots.survival import plot_cif

        fit, w = self.fit(municipality), Words(lang)
        if not fit.partial:
            raise ConfigError(message("dur_no_partial"))
        kwargs.setdefault("ylabel", w("partial_cif"))
        return plot_cif(fit.partial, cause=1, ax=ax, lang=lang,
                        title=kwargs.pop("title", w("title_partial",
                                                    municipality=fit.municipality)),
                        **kwargs)

    def plot_relapse(self, ax=None, municipality: str | None = None, *, lang: str = "en",
                     **kwargs):
        """Cumulative relapse (1 − Kaplan–Meier) after RTW; returns the Axes."""
        left_out = [c for m, cs in self.not_recorded.items() if m.startswith("relapse_by_")
                    for c in cs]
        if left_out:
            raise ConfigError(message("dur_no_relapse", columns=", ".join(dict.fromkeys(left_out))))
        from fastholdelse_eval.plots.survival import plot_km

        fit, w = self.fit(municipality), Words(lang)
        kwargs.setdefault("xlabel", w("weeks_since_rtw"))
        return plot_km(fit.relapse, ax=ax, failure=True, lang=lang,
                       title=kwargs.pop("title", w("title_relapse",
                                                   municipality=fit.municipality)),
                       **kwargs)

    def plot_weekly_status(self, ax=None, municipality: str | None = None, *,
                           lang: str = "en", **kwargs):
        """Weekly status curves (on benefit / returned / other) per group; returns Axes."""
        from fastholdelse_eval.plots.survival import plot_weekly_status

        frame = self.weekly_status(municipality)
        return plot_weekly_status(frame, ax=ax, lang=lang, **kwargs)

    def __repr__(self) -> str:
        return (f"DurationResult({len(self.table)} rows, municipalities: "
                f"{', '.join(self.fits) or 'none'})")



def _norm_sf(x: np.ndarray) -> np.ndarray:
    from scipy.stats import norm

    return norm.sf(x)


# --- per-municipality analysis --------------------------------------------------------------


def _causes(out: pd.DataFrame) -> np.ndarray:
    return np.select(
        [out["is_rtw"].to_numpy(), out["is_other_benefit"].to_numpy(),
         out["is_dropout"].to_numpy()], [1, 2, 3], 0).astype("int64")


def _horizon(requested: float | None, km: dict[str, KaplanMeier]
             ) -> tuple[float, dict[str, str] | None]:
    wanted = DEFAULT_HORIZON_WEEKS if requested is None else float(requested)
    limit = min(k.last_time for k in km.values())
    if wanted <= limit:
        return wanted, None
    return limit, {"wanted": f"{wanted:g}", "limit": f"{limit:.4g}"}


def _estimate_rows(metric, fits: dict[str, Estimate], method, muni, **extra) -> list[dict]:
    return [tidy.row(metric, g, e.estimate, e.ci_low, e.ci_high, p_value=e.p_value,
                     method=method, municipality=muni, **extra) for g, e in fits.items()]


def _sustained(p_rtw: float, n: int, rel: KaplanMeier | None, weeks: float,
               z: float) -> Estimate:
    if n == 0 or rel is None or rel.n == 0:
        return Estimate(float("nan"))
    at = rel.at(weeks)
    s, s_se = float(at["surv"][0]), float(at["se"][0])
    if not np.isfinite(s):
        return Estimate(float("nan"))
    est = p_rtw * s
    var = s**2 * p_rtw * (1 - p_rtw) / n + p_rtw**2 * (s_se if np.isfinite(s_se) else 0.0) ** 2
    se = float(np.sqrt(var))
    low, high = probability_ci(np.array([est]), np.array([se]), z, CONF_TYPE)
    return Estimate(est, se, float(low[0]), float(high[0]))


def _unit(
    out: pd.DataFrame,
    muni: str,
    *,
    level: float,
    horizon_weeks: float | None,
    design: tuple[np.ndarray, list[str], np.ndarray] | None,
    covariates: Sequence[str],
    sustained_weeks: float,
    stratified: bool,
    notes: list[str],
) -> tuple[list[dict], UnitFit | None]:
    z = z_value(level)
    # Every group with persons gets its own estimates; the between-group rows (differences,
    # ratios, log-rank, Cox) need both. A one-group study (participants only) is described,
    # not compared.
    masks = groups_present(out, GROUPS)
    if not masks:
        notes.append(message("note_durations_no_persons", municipality=muni))
        return [], None
    both = len(masks) == 2
    if not both:
        notes.append(message("note_durations_only_intervention" if "intervention" in masks
                             else "note_durations_only_control", municipality=muni))
    sizes = {grp: int(m.sum()) for grp, m in masks.items()}
    weeks = out["weeks_on_benefit"].to_numpy()
    ended = out["benefit_ended"].to_numpy()
    cause = _causes(out)
    is_rtw = out["is_rtw"].to_numpy()
    rel_weeks = out["weeks_rtw_to_relapse"].to_numpy()
    relapsed = out["is_relapse"].to_numpy()

    km = {grp: kaplan_meier(weeks[m], ended[m], level=level, conf_type=CONF_TYPE)
          for grp, m in masks.items()}
    cif = {grp: aalen_johansen(weeks[m], cause[m], causes=tuple(CAUSES), level=level)
           for grp, m in masks.items()}
    relapse = {grp: kaplan_meier(rel_weeks[m & is_rtw], relapsed[m & is_rtw], level=level,
                                 conf_type=CONF_TYPE) for grp, m in masks.items()}
    tau, why = _horizon(horizon_weeks, km)
    if why:
        notes.append(message("note_durations_horizon", municipality=muni, **why))
    rows: list[dict] = []
    hx = {"horizon_weeks": tau}

    # Median time on benefit.
    for grp in masks:
        med = km[grp].median()
        rows.append(tidy.row("median_weeks_on_benefit", grp, med.estimate, med.ci_low,
                             med.ci_high, denominator=sizes[grp],
                             method="kaplan-meier; brookmeyer-crowley log-log",
                             municipality=muni))

    # Restricted mean time on benefit up to τ.
    rm = {grp: km[grp].rmst(tau) for grp in masks}
    for grp in masks:
        rows.append(tidy.row("rmst_weeks_on_benefit", grp, rm[grp].estimate, rm[grp].ci_low,
                             rm[grp].ci_high, denominator=sizes[grp],
                             method="kaplan-meier rmst; klein-moeschberger se",
                             municipality=muni, **hx))
    if both:
        rows += _estimate_rows("rmst_weeks_on_benefit", {"difference": normal_difference(
            rm["intervention"], rm["control"], level)}, "rmst difference; wald z", muni, **hx)
        rows += _estimate_rows("rmst_weeks_on_benefit", {"ratio": normal_ratio(
            rm["intervention"], rm["control"], level)}, "rmst ratio; delta-method log", muni,
            **hx)

    # Cumulative incidence of RTW at τ.
    ci_est = {}
    for grp in masks:
        at = cif[grp].at(tau, cause=1)
        ci_est[grp] = Estimate(float(at["estimate"][0]), float(at["se"][0]),
                               float(at["ci_low"][0]), float(at["ci_high"][0]))
        rows.append(tidy.row("cif_rtw", grp, ci_est[grp].estimate, ci_est[grp].ci_low,
                             ci_est[grp].ci_high, denominator=sizes[grp],
                             method="aalen-johansen; delta-method log-log", municipality=muni,
                             **hx))
    if both:
        rows += _estimate_rows("cif_rtw", {"difference": normal_difference(
            ci_est["intervention"], ci_est["control"], level)},
            "aalen-johansen difference; wald z", muni, **hx)

    # Cause-specific hazard of RTW: log-rank and Cox (Efron).
    strata = pd.factorize(out["municipality"])[0] if stratified else None
    suffix = ", stratified by municipality" if stratified else ""
    lr = cox = cox_adj = None
    if both:
        lr, cox, cox_adj = _hazard_rows(rows, out, masks, weeks, is_rtw, level, muni, strata,
                                        suffix, design, covariates, notes)

    # Time to first partial return (the spell ending first competes).
    partial = None
    if "partial_rtw_event" in out.columns:
        part_rows, partial, _ = partial_rows(out, masks, muni, tau=tau, level=level,
                                             strata=strata, suffix=suffix)
        rows += part_rows

    # Sustained RTW and relapse over time.
    sus = {}
    for grp in masks:
        n = sizes[grp]
        p = float((is_rtw & masks[grp]).sum()) / n
        sus[grp] = _sustained(p, n, relapse[grp], sustained_weeks, z)
    if both:
        sus["difference"] = normal_difference(sus["intervention"], sus["control"], level)
    for grp, est in sus.items():
        rows.append(tidy.row("sustained_rtw_rate", grp, est.estimate, est.ci_low, est.ci_high,
                             p_value=est.p_value, denominator=sizes.get(grp),
                             method="rtw share × kaplan-meier no relapse; delta method",
                             municipality=muni, sustained_weeks=float(sustained_weeks)))
    if any(np.isnan(sus[g].estimate) for g in masks):
        notes.append(message("note_sustained_not_estimable", municipality=muni,
                             weeks=f"{sustained_weeks:g}"))
    for k in RELAPSE_WEEKS:
        per = {}
        for grp in masks:
            at = relapse[grp].at(float(k))
            per[grp] = Estimate(1 - float(at["surv"][0]), float(at["se"][0]),
                                1 - float(at["ci_high"][0]), 1 - float(at["ci_low"][0]))
            rows.append(tidy.row(f"relapse_by_{k}_weeks", grp, per[grp].estimate,
                                 per[grp].ci_low, per[grp].ci_high,
                                 denominator=relapse[grp].n, method="1 - kaplan-meier",
                                 municipality=muni))
        if both:
            d = normal_difference(per["intervention"], per["control"], level)
            rows.append(tidy.row(f"relapse_by_{k}_weeks", "difference", d.estimate, d.ci_low,
                                 d.ci_high, p_value=d.p_value, method="difference; wald z",
                                 municipality=muni))

    fit = UnitFit(muni, tau, km, cif, relapse, lr, cox, cox_adj, partial=partial)
    return rows, fit


def _hazard_rows(rows, out, masks, weeks, is_rtw, level, muni, strata, suffix, design,
                 covariates, notes):
    """Log-rank and (adjusted) Cox rows of RTW; appends to ``rows``, returns the fits."""
    treat = masks["intervention"].astype("float64")
    lr = logrank(weeks, is_rtw, np.where(masks["intervention"], 1, 0), strata=strata)
    rows.append(tidy.row("logrank_rtw", "difference", lr.statistic, p_value=lr.p_value,
                         numerator=int(is_rtw.sum()), denominator=len(out),
                         method=f"log-rank (chi-square, 1 df){suffix}", municipality=muni))
    cox = cox_efron(weeks, is_rtw, treat, names=["intervention"], strata=strata)
    rows.append(_hr_row(cox, level, muni, f"cox-efron{suffix}"))
    cox_adj = None
    if design is not None and covariates:
        matrix, names, complete = design
        keep = [j for j in range(matrix.shape[1])
                if np.ptp(matrix[complete, j]) > 0] if complete.any() else []
        dropped = [names[j] for j in range(matrix.shape[1]) if j not in keep]
        parts = []
        if (~complete).any():
            parts.append(message("cox_missing_covariate", n=int((~complete).sum())))
        if dropped:
            parts.append(message("cox_constant_dropped", names=", ".join(dropped)))
        used, keep, silent = _no_return_levels(matrix, keep, complete, is_rtw)
        if silent:
            # The covariate, not the category: "nobody in category X returned" would
            # describe a possibly small group.
            which = sorted({names[j].split("=")[0] for j in silent})
            parts.append(message("cox_no_return", names=", ".join(which)))
        x = np.column_stack([treat[used], matrix[used][:, keep]])
        cox_adj = cox_efron(weeks[used], is_rtw[used], x,
                            names=["intervention", *[names[j] for j in keep]],
                            strata=None if strata is None else strata[used])
        note = "; ".join(parts)  # the tidy table's note column: English, as written
        if note:
            notes.append(message("note_cox_adjusted", municipality=muni, parts=tuple(parts)))
        rows.append(_hr_row(cox_adj, level, muni,
                            f"cox-efron adjusted: {', '.join(covariates)}{suffix}", note=note,
                            n=int(complete.sum())))
    return lr, cox, cox_adj


def _no_return_levels(matrix: np.ndarray, keep: list[int], complete: np.ndarray,
                      is_rtw: np.ndarray) -> tuple[np.ndarray, list[int], list[int]]:
    """Persons and columns of the adjusted Cox model when a category has no returns.

    A 0/1 column whose persons never return has a partial likelihood rising without end as its
    coefficient goes to −∞ (monotone likelihood); R ``coxph`` stops near −20 with "coefficient
    may be infinite" and reports the other coefficients at their limit. At that limit the
    category's persons carry weight exp(−∞) = 0 in every risk set and no events, so the limit
    is exactly the fit without them and without the column (R survival 3.5 agrees to 9
    digits; tests/test_r_conventions.py). Returns ``(rows used, columns kept, silent columns)``.
    """
    sub = matrix[complete]
    silent = [j for j in keep if np.isin(sub[:, j], (0.0, 1.0)).all()
              and not is_rtw[complete][sub[:, j] == 1.0].any()]
    if not silent:
        return complete, keep, []
    used = complete & ~(matrix[:, silent] == 1.0).any(axis=1)
    keep = [j for j in keep if j not in silent and np.ptp(matrix[used, j]) > 0]
    return used, keep, silent


def _hr_row(fit: CoxResult, level: float, muni: str, method: str, note: str = "",
            n: int | None = None) -> dict:
    hr = fit.hazard_ratio("intervention", level)
    extra = {"note": note} if note else {}
    if not fit.converged and fit.events:
        extra = {"note": "; ".join(filter(None, [note, "not estimable: no finite maximum "
                                                 "(e.g. no RTW in one group)"]))}
    return tidy.row("hazard_ratio_rtw", "ratio", hr.estimate, hr.ci_low, hr.ci_high,
                    p_value=hr.p_value, numerator=fit.events,
                    denominator=fit.n if n is None else n,
                    method=method, municipality=muni, **extra)


def duration_rows(
    cohort: Cohort,
    *,
    level: float = 0.95,
    horizon_weeks: float | None = None,
    covariates: Sequence[str] | None = None,
    sustained_weeks: float = 4,
    by_municipality: bool = True,
    outcomes: pd.DataFrame | None = None,
) -> DurationResult:
    """Duration, competing-outcome, Cox and relapse rows for a person-level cohort.

    See the module docstring for every metric, estimator and default. ``by_municipality``:
    rows per municipality (plus ``all`` when there are several); False gives ``all`` only.
    ``outcomes``: ``person_outcomes(cohort)`` if the caller already has it (saves its cost).
    """
    if not isinstance(cohort, Cohort):
        raise ConfigError(message("dur_person_level"))
    z_value(level)
    if horizon_weeks is not None and not (np.isfinite(horizon_weeks) and horizon_weeks > 0):
        raise ConfigError(message("dur_positive_weeks", option="horizon_weeks",
                                  value=repr(horizon_weeks)))
    if not (np.isfinite(sustained_weeks) and sustained_weeks > 0):
        raise ConfigError(message("dur_positive_weeks", option="sustained_weeks",
                                  value=repr(sustained_weeks)))
    covariates = list(covariates or [])
    out = person_outcomes(cohort) if outcomes is None else outcomes
    design = covariate_design(cohort.data, covariates) if covariates else None
    munis = cohort.municipalities
    pooled = len(munis) > 1
    # None = everyone: named ``all`` when it pools several municipalities.
    sites: list[str | None] = (list(munis) if by_municipality or not pooled else []) + (
        [None] if pooled else [])
    notes: list[str] = []
    rows: list[dict] = []
    fits: dict[str, UnitFit] = {}
    everyone, _ = pooled_mask(out["municipality"], out["group"])  # one-armed sites: not in all
    for site in sites:
        sel = (everyone if site is None
               else (out["municipality"] == site).to_numpy(dtype=bool))
        name = "all" if site is None else site
        part = out if site is None else out[sel]
        part_design = None if design is None else (design[0][sel], design[1], design[2][sel])
        unit_rows, fit = _unit(part, name, level=level, horizon_weeks=horizon_weeks,
                               design=part_design, covariates=covariates,
                               sustained_weeks=float(sustained_weeks),
                               stratified=site is None, notes=notes)
        rows += unit_rows
        if fit is not None:
            fits[name] = fit
    options = EvaluationOptions(level=level, horizon_weeks=horizon_weeks,
                                covariates=tuple(covariates), sustained_weeks=sustained_weeks)
    table = tidy.frame(rows) if rows else tidy.frame([])
    # Not recorded ≠ 0: e.g. no relapse column → no relapse or sustained-return rows.
    table, missing = recorded.leave_out(table, cohort.recorded,
                                        producers=(__name__, partial_return.__name__))
    if partial_return.METRIC_CIF in missing:  # no partial-return curve either
        for fit in fits.values():
            fit.partial = None
    notes.extend(recorded.notes(missing, cohort.given_columns or frozenset()))
    return DurationResult(table=table, fits=fits, options=options, notes=notes,
                          by_municipality=by_municipality, not_recorded=missing)
