"""KL-style cross-municipality comparison: per-site effects, pooled estimates, heterogeneity and
fair (risk-adjusted) benchmarks.

``compare_municipalities(data)`` accepts a :class:`~fastholdelse_eval.data.cohort.Cohort` (with a
``municipality`` column), an
:class:`~fastholdelse_eval.data.cohort.AggregateCohort`, or a list mixing
them (each municipality must appear in one source only). It returns a :class:`Comparison` whose
``.tidy()`` is the tidy table (core/tidy.py, docs/metrics.md):

* per municipality: ``n`` and ``<outcome>_rate`` per group (Wilson interval), and the effect
  (``difference`` for ``measure="rd"``, ``ratio`` for ``rr``/``or``; Wald interval from the
  meta-analysis variance, the same numbers the pooling uses; 0.5 zero-cell correction only
  where a cell is zero, flagged in ``zero_corrected``);
* pooled rows (``municipality = "all"``): ``fixed-iv``, ``fixed-mh``,
  ``random-effects-reml`` / ``-dl`` / ``-pm`` (suffix ``-hk`` with Hartung–Knapp), and
  ``prediction-interval`` (estimate = the chosen random-effects estimate, interval = the
  prediction interval). The chosen estimator's rows have ``primary = True``;
* heterogeneity rows ``heterogeneity_q`` (Q, df, p), ``heterogeneity_i2`` (0–1, Q-profile
  interval) and ``heterogeneity_tau2`` (on the analysis scale: log scale for ratio measures);
* ``interaction_<outcome>``: likelihood-ratio test of municipality × intervention in a logistic
  model of the grouped counts (works for aggregate data too);
* person-level extras (municipalities with person-level data only): ``hazard_ratio_rtw`` per
  municipality and pooled by a Cox model stratified on municipality (Efron ties; competing
  ends censored, i.e. cause-specific), and ``interaction_hazard_rtw`` (likelihood-ratio test of
  municipality × intervention in the stratified Cox model);
* fair benchmarks ``expected_<outcome>_rate`` per municipality for the benchmark group
  (control by default): a logistic model of the outcome on the covariates present (age, sex,
  diagnosis, has_employer, …) fitted across all municipalities gives each municipality's
  expected rate (indirect standardisation). The interval is the range the observed rate should
  fall in if the municipality were average for its population (variance
  ``Σ p(1-p) + gᵀ Cov(β) g``, i.e. binomial variation plus the model's own uncertainty);
  ``p_value`` tests observed = expected. Without covariates (aggregate data) the model has only
  an intercept, so the benchmark is the pooled rate.

All statistics live here and in :mod:`fastholdelse_eval.stats.meta`; plots only draw them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from fastholdelse_eval.analysis.compare_sites import (
    OUTCOMES,
    Source,
    as_sources,
    benchmarks,
    choose_covariates,
    site_counts,
)
from fastholdelse_eval.core import tidy as tidy_mod
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.formatting import Formatter
from fastholdelse_eval.core.results import Result
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.outcomes import RTW, person_outcomes
from fastholdelse_eval.plots.forest import ForestRow, forest_plot, log_axis
from fastholdelse_eval.plots.words import Words
from fastholdelse_eval.stats import meta, rates
from fastholdelse_eval.stats.survival import cox_efron

__all__ = ["OUTCOMES", "Comparison", "Source", "compare_municipalities"]
EFFECT_GROUP = {"rd": "difference", "rr": "ratio", "or": "ratio"}
EFFECT_METHOD = {"rd": "wald-rd", "rr": "wald-log-rr", "or": "wald-log-or"}
CONTROL_LIMITS = (0.95, 0.998)
# The terminal and notebook view: plain ASCII numbers (see core.formatting).
PLAIN = Formatter("plain")


# --- person-level extras ------------------------------------------------------------------------


def _cox(cohorts: list[Cohort], sites: Sequence[str], level: float,
         notes: list[str]) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Cause-specific Cox HR of RTW per municipality, stratified pooled HR, interaction LR test.

    With municipality strata and one treatment coefficient per municipality the partial
    likelihood factorises over strata, so the interaction model's log-likelihood is the sum of
    the per-municipality fits; the LR test compares it with the stratified common-HR model.
    """
    out = pd.concat([person_outcomes(c) for c in cohorts], ignore_index=True)
    out = out.loc[out["municipality"].isin(sites)]
    rows: list[dict[str, Any]] = []
    per_site: list[dict[str, Any]] = []
    if out.empty:
        return rows, pd.DataFrame()
    time = out["weeks_on_benefit"].to_numpy()
    event = (out["rtw_event"] == RTW).to_numpy()
    treat = (out["group"] == "intervention").to_numpy().astype(float)
    muni = out["municipality"].to_numpy()

    usable, loglik_sum = [], 0.0
    for m in sorted(set(muni)):
        mask = muni == m
        res = cox_efron(time[mask], event[mask], treat[mask], names=["intervention"])
        hr = res.hazard_ratio(0, level)
        per_site.append({"municipality": m, "log_hr": float(res.params[0]),
                         "se": float(res.se[0]), "converged": res.converged})
        if not res.converged:
            notes.append(message("note_cox_no_finite_hr", municipality=m))
            continue
        usable.append(m)
        loglik_sum += res.loglik
        rows.append(tidy_mod.row("hazard_ratio_rtw", "ratio", hr.estimate, hr.ci_low,
                                 hr.ci_high, p_value=hr.p_value, method="cox-efron",
                                 municipality=m))
    if len(usable) >= 2:
        mask = np.isin(muni, usable)
        pooled = cox_efron(time[mask], event[mask], treat[mask], names=["intervention"],
                           strata=muni[mask])
        hr = pooled.hazard_ratio(0, level)
        rows.append(tidy_mod.row("hazard_ratio_rtw", "ratio", hr.estimate, hr.ci_low,
                                 hr.ci_high, p_value=hr.p_value, method="cox-efron-stratified",
                                 k=len(usable)))
        if pooled.converged:
            lr = max(0.0, 2 * (loglik_sum - pooled.loglik))
            df = len(usable) - 1
            rows.append(tidy_mod.row(
                "interaction_hazard_rtw", "ratio", lr, p_value=float(stats.chi2.sf(lr, df)),
                method="cox-lr-municipality-x-intervention", df=df))
    return rows, pd.DataFrame(per_site)


def _binomial_deviance(x: np.ndarray, n: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(x > 0, x * np.log(x / mu), 0.0)
        b = np.where(n - x > 0, (n - x) * np.log((n - x) / (n - mu)), 0.0)
    return float(2 * np.sum(a + b))


def _interaction_logistic(sites: pd.DataFrame, tol: float = 1e-10,
                          max_iter: int = 100) -> tuple[float, int, float]:
    """LR test of municipality × intervention on grouped binomial counts.

    Reduced model: ``logit p = α_municipality + β·intervention``; the full model is saturated,
    so the LR statistic is the reduced model's deviance, chi²(k-1). Newton–Raphson with the
    arrow-shaped information matrix solved in O(k) (Schur complement on β). Municipalities with
    no events (or only events) in both groups fit perfectly for any β and add nothing (nor a
    degree of freedom).
    """
    k = len(sites)
    if k < 2:
        return np.nan, 0, np.nan
    x1, n1 = sites["x_i"].to_numpy(float), sites["n_i"].to_numpy(float)
    x0, n0 = sites["x_c"].to_numpy(float), sites["n_c"].to_numpy(float)
    keep = ((x1 + x0) > 0) & ((x1 + x0) < (n1 + n0))
    x1, n1, x0, n0 = x1[keep], n1[keep], x0[keep], n0[keep]
    df = int(keep.sum()) - 1
    if df < 1:
        return np.nan, max(df, 0), np.nan
    # Start: α from the pooled site rate, β = 0.
    pbar = (x1 + x0) / (n1 + n0)
    alpha, beta = np.log(pbar / (1 - pbar)), 0.0
    for _ in range(max_iter):
        p1 = 1 / (1 + np.exp(-(alpha + beta)))
        p0 = 1 / (1 + np.exp(-alpha))
        w1, w0 = n1 * p1 * (1 - p1), n0 * p0 * (1 - p0)
        g_a = (x1 - n1 * p1) + (x0 - n0 * p0)
        g_b = float(np.sum(x1 - n1 * p1))
        d = w1 + w0
        d_beta = (g_b - np.sum(w1 * g_a / d)) / (np.sum(w1) - np.sum(w1**2 / d))
        d_alpha = (g_a - w1 * d_beta) / d
        alpha, beta = alpha + d_alpha, beta + d_beta
        if max(abs(d_beta), float(np.max(np.abs(d_alpha)))) < tol:
            break
    else:  # no finite maximum (e.g. no events in any intervention group)
        return np.nan, df, np.nan
    mu1 = n1 / (1 + np.exp(-(alpha + beta)))
    mu0 = n0 / (1 + np.exp(-alpha))
    lr = max(0.0, _binomial_deviance(x1, n1, mu1) + _binomial_deviance(x0, n0, mu0))
    return lr, df, float(stats.chi2.sf(lr, df))


# --- the result object -------------------------------------------------------------------------


@dataclass
class Comparison(Result):
    """Per-municipality and pooled comparison; ``.tidy()`` gives the tidy table."""

    measure: str
    method: str
    hartung_knapp: bool
    outcome: str
    level: float
    sites: pd.DataFrame  # municipality, x_i, n_i, x_c, n_c, source (+ yi, vi, … when analysed)
    effects: meta.EffectSizes | None
    fixed_iv: meta.Pooled | None
    fixed_mh: meta.Pooled | None
    random: dict[str, meta.RandomEffects]
    interaction: tuple[float, int, float]
    benchmarks: pd.DataFrame
    benchmark_group: str
    cox: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    _rows: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def primary(self) -> meta.RandomEffects | None:
        """The random-effects fit of the chosen ``method``."""
        return self.random.get(self.method)

    @property
    def analysed(self) -> pd.DataFrame:
        """Sites with both groups, in the order used by the meta-analysis."""
        return self.sites.loc[self.sites["analysed"]].reset_index(drop=True)

    def _to_scale(self, value: float) -> float:
        return float(np.exp(value)) if self.measure in ("rr", "or") else float(value)

    def tidy(self) -> pd.DataFrame:
        """The tidy table (core/tidy.py) (extra columns: measure, k, df, primary, weight, …)."""
        return tidy_mod.frame(self._rows)

    # -- plots -----------------------------------------------------------------------------

    def forest_rows(self, lang: str = "en") -> list[ForestRow]:
        """The forest plot's rows on the plotting scale (ratios exponentiated): sites (weight
        = random-effects weight), fixed and random pooled estimates, prediction interval;
        the pooled rows named in ``lang``."""
        w = Words(lang)
        a = self.analysed
        to = self._to_scale
        weighted = self.primary is not None
        rows = [ForestRow(str(r.municipality), to(r.yi), to(r.ci_low), to(r.ci_high),
                          float(r.weight) if weighted else float("nan"))
                for r in a.itertuples(index=False)]
        re = self.primary
        if re is not None:
            hk = ", Hartung–Knapp" if self.hartung_knapp else ""
            for label, p in ((w("fixed"), self.fixed_iv),
                             (w("random", method=f"{self.method.upper()}{hk}"), re.pooled)):
                rows.append(ForestRow(label, to(p.estimate), to(p.ci_low), to(p.ci_high),
                                      kind="pooled"))
            rows.append(ForestRow(w("prediction"), to(re.pooled.estimate), to(re.pi_low),
                                  to(re.pi_high), kind="prediction"))
        return rows

    def plot_forest(self, ax=None, *, lang: str = "en"):
        """Forest plot: site effects (square area ∝ random-effects weight), fixed and random
        pooled diamonds, and the prediction interval (drawn by :mod:`plots.forest`); words in
        ``lang``."""
        w = Words(lang)
        k = len(self.analysed)
        re = self.primary
        if re is not None:
            h = re.heterogeneity
            title = f"k = {k}, I² = {100 * h.i2:.0f} %, τ² = {h.tau2:.3g}"
        else:
            title = w("nothing_to_pool", k=k)
        return forest_plot(
            self.forest_rows(lang), ax=ax, null=0.0 if self.measure == "rd" else 1.0,
            log_scale=self.measure != "rd", title=title if k else "",
            xlabel=w("forest_x", measure=w.measure(self.measure),
                     outcome=w.metric(f"{self.outcome}_rate")),
            empty_text=w("no_site"))

    def plot_funnel(self, ax=None, *, lang: str = "en"):
        """Funnel plot of the benchmark: (risk-adjusted) rate against group size, with 95 % and
        99.8 % control limits around the overall rate; words in ``lang``."""
        import matplotlib.pyplot as plt

        w = Words(lang)

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        b = self.benchmarks
        if b.empty:
            ax.text(0.5, 0.5, w("no_benchmark"), ha="center", transform=ax.transAxes)
            return ax
        p0 = float(b["overall_rate"].iloc[0])
        n_grid = np.linspace(max(5, b["n"].min() * 0.7), b["n"].max() * 1.1, 200)
        for lev, style in zip(CONTROL_LIMITS, ("--", ":"), strict=True):
            zq = stats.norm.ppf(0.5 + lev / 2)
            half = zq * np.sqrt(p0 * (1 - p0) / n_grid)
            ax.plot(n_grid, np.clip(p0 - half, 0, 1), "k" + style, lw=1)
            ax.plot(n_grid, np.clip(p0 + half, 0, 1), "k" + style, lw=1,
                    label=w("limits", level=f"{100 * lev:g}"))
        ax.axhline(p0, color="0.4", lw=1)
        ax.scatter(b["n"], b["adjusted_rate"], color="tab:blue", zorder=3)
        zq = stats.norm.ppf(0.5 + CONTROL_LIMITS[1] / 2)
        outside = np.abs(b["adjusted_rate"] - p0) > zq * np.sqrt(p0 * (1 - p0) / b["n"])
        for _, r in b.loc[outside].iterrows():
            ax.annotate(r["municipality"], (r["n"], r["adjusted_rate"]), fontsize=8,
                        xytext=(3, 3), textcoords="offset points")
        adjusted = b["method"].iloc[0] != "unadjusted-pooled-rate"
        outcome = w.metric(f"{self.outcome}_rate")
        ax.set_xlabel(w("persons_in", group=w.group(self.benchmark_group)))
        ax.set_ylabel(w("adjusted_rate" if adjusted else "rate", outcome=outcome))
        ax.legend(fontsize=8, loc="lower right")
        return ax

    def plot_caterpillar(self, ax=None, what: str = "benchmark", *, lang: str = "en"):
        """Municipalities ranked with intervals: ``what="benchmark"`` the risk-adjusted rate
        (line: overall rate), ``what="effect"`` the intervention effect (line: pooled); words
        in ``lang``."""
        import matplotlib.pyplot as plt

        w = Words(lang)
        outcome = w.metric(f"{self.outcome}_rate")

        if what == "benchmark":
            b = self.benchmarks
            if b.empty:
                raise ConfigError(message("cmp_no_benchmark"))
            d = pd.DataFrame({"label": b["municipality"], "est": b["adjusted_rate"],
                              "lo": b["adjusted_low"], "hi": b["adjusted_high"]})
            ref = float(b["overall_rate"].iloc[0])
            xlabel = (f"{w('adjusted_rate', outcome=outcome)} "
                      f"({w.group(self.benchmark_group)})")
        elif what == "effect":
            a = self.analysed
            d = pd.DataFrame({"label": a["municipality"],
                              "est": [self._to_scale(v) for v in a["yi"]],
                              "lo": [self._to_scale(v) for v in a["ci_low"]],
                              "hi": [self._to_scale(v) for v in a["ci_high"]]})
            ref = self._to_scale(self.primary.pooled.estimate) if self.primary else np.nan
            xlabel = w("effect_on", outcome=outcome, measure=w.measure(self.measure))
        else:
            raise ConfigError(message("cmp_plot_what"))
        d = d.sort_values("est", kind="stable").reset_index(drop=True)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.3 * len(d) + 1.2))
        y = np.arange(len(d))
        ax.hlines(y, d["lo"], d["hi"], color="0.3")
        ax.plot(d["est"], y, "o", color="tab:blue")
        if np.isfinite(ref):
            ax.axvline(ref, color="tab:red", ls="--", lw=1)
        ax.set_yticks(y)
        ax.set_yticklabels(d["label"])
        if what == "effect" and self.measure != "rd":
            log_axis(ax)
        ax.set_xlabel(xlabel)
        return ax

    # -- display ---------------------------------------------------------------------------

    def summary_frame(self) -> pd.DataFrame:
        """One row per municipality and pooled estimate: effect with interval, as text."""
        t = self.tidy()
        grp = EFFECT_GROUP[self.measure]
        eff = t.loc[(t["group"] == grp) & (t["metric"] == f"{self.outcome}_rate")]
        digits = 3 if self.measure == "rd" else 2
        return pd.DataFrame({
            "municipality": eff["municipality"], "method": eff["method"],
            "estimate": [PLAIN.number(v, digits) for v in eff["estimate"]],
            "interval": [PLAIN.interval(lo, hi, digits)
                         for lo, hi in zip(eff["ci_low"], eff["ci_high"], strict=True)],
        }).reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """The effects per municipality and pooled (:meth:`summary_frame`)."""
        return self.summary_frame()

    def _title(self) -> str:
        return (f"Cross-municipality comparison: {self.outcome} rate, "
                f"{self.measure.upper()}")

    def _lead(self) -> str:
        if self.primary is None:
            return ""
        p, h, f = self.primary.pooled, self.primary.heterogeneity, PLAIN
        to = self._to_scale
        return (f"{len(self.analysed)} municipalities. {p.method}: "
                f"{f.significant(to(p.estimate))} ({100 * self.level:g} % CI "
                f"{f.significant(to(p.ci_low))} to {f.significant(to(p.ci_high))}); "
                f"prediction interval {f.significant(to(self.primary.pi_low))} to "
                f"{f.significant(to(self.primary.pi_high))}. Q = {f.number(h.q, 2)} "
                f"(df {h.df}, p = {f.significant(h.q_p_value)}), I² = {f.percent(h.i2)}, "
                f"τ² = {f.significant(h.tau2, 4)}.")

    def _glance(self) -> dict[str, Any]:
        s = self.sites
        values: dict[str, Any] = {
            "n": int(s[["n_i", "n_c"]].to_numpy().sum()),
            "events": int(s[["x_i", "x_c"]].to_numpy().sum()),
            "municipalities": len(s), "level": self.level,
            "method": f"random-effects-{self.method}" + ("-hk" if self.hartung_knapp else ""),
            "measure": self.measure, "outcome": self.outcome, "k": len(self.analysed)}
        re = self.primary
        if re is not None:
            p, h = re.pooled, re.heterogeneity
            values.update(estimate=self._to_scale(p.estimate),
                          ci_low=self._to_scale(p.ci_low), ci_high=self._to_scale(p.ci_high),
                          p_value=p.p_value, tau2=h.tau2, i2=h.i2, q=h.q, q_p_value=h.q_p_value)
        return values

    def __repr__(self) -> str:
        k = len(self.analysed)
        return (f"Comparison({self.outcome}, measure={self.measure}, method={self.method}, "
                f"municipalities={k})")


# --- the analysis --------------------------------------------------------------------------------


def compare_municipalities(
    data: Source | Sequence[Source],
    *,
    measure: str = "rd",
    method: str = "reml",
    hartung_knapp: bool = False,
    outcome: str = "rtw",
    level: float = 0.95,
    covariates: Sequence[str] | None = None,
    benchmark_group: str = "control",
) -> Comparison:
    """Compare municipalities: per-site effects, pooled fixed/random effects, heterogeneity,
    person-level Cox extras and risk-adjusted benchmarks (see the module docstring).

    ``covariates``: benchmark-model covariates; default = those of age, sex, diagnosis,
    has_employer present in every cohort without missing values.
    """
    measure = str(measure).lower()
    method = str(method).lower()
    if measure not in meta.MEASURES:
        raise ConfigError(message("cmp_one_of", option="measure",
                                  choices=", ".join(meta.MEASURES), value=measure))
    if method not in meta.TAU2_METHODS:
        raise ConfigError(message("cmp_one_of", option="method",
                                  choices=", ".join(meta.TAU2_METHODS), value=method))
    if outcome not in OUTCOMES:
        raise ConfigError(message("cmp_one_of", option="outcome", choices=", ".join(OUTCOMES),
                                  value=outcome))
    if not 0 < level < 1:
        raise ConfigError(message("cmp_level"))
    if benchmark_group not in ("control", "intervention"):
        raise ConfigError(message("cmp_benchmark_group"))
    sources = as_sources(data)
    notes: list[str] = []
    sites, cohorts = site_counts(sources, outcome, notes)
    sites["analysed"] = (sites["n_i"] > 0) & (sites["n_c"] > 0)
    for m in sites.loc[~sites["analysed"], "municipality"]:
        notes.append(message("note_site_one_group", municipality=m))

    rows: list[dict[str, Any]] = []
    rate = f"{outcome}_rate"
    zq = stats.norm.ppf(0.5 + level / 2)
    grp = EFFECT_GROUP[measure]

    def rate_rows(name: str, x_i: int, n_i: int, x_c: int, n_c: int) -> None:
        for g, x, n in (("intervention", x_i, n_i), ("control", x_c, n_c)):
            rows.append(tidy_mod.row("n", g, n, municipality=name))
            if n > 0:
                # The one Wilson interval (stats.rates), with its exact 0 and 1 at the bounds.
                est, lo, hi = rates.wilson(int(x), int(n), level)
                rows.append(tidy_mod.row(rate, g, est, lo, hi, numerator=x, denominator=n,
                                         method="wilson", municipality=name))

    a = sites.loc[sites["analysed"]]
    effects = fixed = mh = None
    random: dict[str, meta.RandomEffects] = {}
    sites["weight"] = np.nan
    if len(a):
        effects = meta.effect_sizes(a["x_i"], a["n_i"], a["x_c"], a["n_c"], measure)
        sites.loc[sites["analysed"], "yi"] = effects.yi
        sites.loc[sites["analysed"], "vi"] = effects.vi
        sites.loc[sites["analysed"], "zero_corrected"] = effects.corrected
        se = np.sqrt(effects.vi)
        sites.loc[sites["analysed"], "ci_low"] = effects.yi - zq * se
        sites.loc[sites["analysed"], "ci_high"] = effects.yi + zq * se
        if len(a) >= 2:
            fixed = meta.fixed_iv(effects.yi, effects.vi, level)
            mh = meta.mantel_haenszel(a["x_i"], a["n_i"], a["x_c"], a["n_c"], measure, level)
            for m in meta.TAU2_METHODS:
                random[m] = meta.random_effects(effects.yi, effects.vi, m, hartung_knapp, level)
            sites.loc[sites["analysed"], "weight"] = random[method].weights
        else:
            notes.append(message("note_nothing_to_pool"))
        if effects.corrected.any():
            names = ", ".join(a.loc[effects.corrected, "municipality"])
            notes.append(message("note_zero_cell", names=names))

    to = (lambda v: float(np.exp(v))) if measure in ("rr", "or") else float

    for s in sites.itertuples(index=False):
        rate_rows(s.municipality, s.x_i, s.n_i, s.x_c, s.n_c)
        if s.analysed:
            se = np.sqrt(s.vi)
            rows.append(tidy_mod.row(
                rate, grp, to(s.yi), to(s.ci_low), to(s.ci_high),
                p_value=float(2 * stats.norm.sf(abs(s.yi / se))), method=EFFECT_METHOD[measure],
                municipality=s.municipality, measure=measure, weight=float(s.weight),
                zero_corrected=bool(s.zero_corrected)))

    tot = sites[["x_i", "n_i", "x_c", "n_c"]].sum()
    rate_rows("all", int(tot.x_i), int(tot.n_i), int(tot.x_c), int(tot.n_c))
    k = len(a)
    if random:
        for p in (fixed, mh):
            rows.append(tidy_mod.row(rate, grp, to(p.estimate), to(p.ci_low), to(p.ci_high),
                                     p_value=p.p_value, method=p.method, measure=measure, k=k))
        for m, re in random.items():
            p = re.pooled
            rows.append(tidy_mod.row(rate, grp, to(p.estimate), to(p.ci_low), to(p.ci_high),
                                     p_value=p.p_value, method=p.method, measure=measure, k=k,
                                     df=p.df, primary=m == method, tau2=re.tau2))
        re = random[method]
        rows.append(tidy_mod.row(rate, grp, to(re.pooled.estimate), to(re.pi_low),
                                 to(re.pi_high), method="prediction-interval", measure=measure,
                                 k=k, df=re.pooled.df, primary=True))
        h = re.heterogeneity
        rows.append(tidy_mod.row("heterogeneity_q", grp, h.q, p_value=h.q_p_value,
                                 method="cochran-q", measure=measure, k=k, df=h.df))
        rows.append(tidy_mod.row("heterogeneity_i2", grp, h.i2, h.i2_ci[0], h.i2_ci[1],
                                 method=h.method, measure=measure, k=k))
        rows.append(tidy_mod.row("heterogeneity_tau2", grp, h.tau2, h.tau2_ci[0], h.tau2_ci[1],
                                 method=h.method, measure=measure, k=k,
                                 scale="log" if measure in ("rr", "or") else "difference"))
    interaction = _interaction_logistic(a)
    if np.isfinite(interaction[0]):
        lr, df, p = interaction
        rows.append(tidy_mod.row(f"interaction_{outcome}", grp, lr, p_value=p,
                                 method="logistic-lr-municipality-x-intervention", df=df))

    cox = pd.DataFrame()
    if cohorts:
        person_sites = sites.loc[sites["analysed"] & (sites["source"] == "person"),
                                 "municipality"].tolist()
        cox_rows, cox = _cox(cohorts, person_sites, level, notes)
        rows += cox_rows

    chosen = choose_covariates(cohorts, sources, covariates, notes)
    bench = benchmarks(sites, cohorts, outcome, benchmark_group, chosen, level)
    for b in bench.itertuples(index=False):
        rows.append(tidy_mod.row(
            f"expected_{rate}", benchmark_group, b.expected_rate, b.limit_low, b.limit_high,
            numerator=int(b.observed), denominator=int(b.n), p_value=float(b.p_value),
            method=b.method, municipality=b.municipality, observed_rate=b.observed_rate,
            standardised_ratio=b.standardised_ratio, adjusted_rate=b.adjusted_rate,
            z_score=b.z_score, covariates=b.covariates))

    return Comparison(
        measure=measure, method=method, hartung_knapp=hartung_knapp, outcome=outcome,
        level=level, sites=sites, effects=effects, fixed_iv=fixed, fixed_mh=mh, random=random,
        interaction=interaction, benchmarks=bench, benchmark_group=benchmark_group, cox=cox,
        notes=notes, _rows=rows)
