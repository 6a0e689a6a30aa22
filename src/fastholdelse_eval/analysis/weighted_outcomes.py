"""Outcomes under a :class:`~fastholdelse_eval.analysis.weighting.Weighting`: the weighted
counterparts of the evaluation's headline rows, each with a ``weighting`` column.

==================================  ======================  ====================================
metric                              groups                  interval
==================================  ======================  ====================================
``weighted_rtw_rate`` (also         intervention, control,  sandwich (linearisation) SE, as R
``weighted_partial_rtw_rate``,      difference, ratio       ``survey::svymean``/``svyglm``; logit
``weighted_other_benefit_rate``,                            interval per group, Wald difference,
``weighted_dropout_rate``)                                  log-scale delta ratio
``weighted_rmst_weeks_on_benefit``  intervention, control,  bootstrap percentile
                                    difference, ratio
``weighted_median_weeks_on_benefit``  intervention, control  bootstrap percentile
``weighted_cif_rtw``                intervention, control,  bootstrap percentile
                                    difference
``weighted_hazard_ratio_rtw``       ratio                   robust (sandwich) SE, as R
                                                            ``coxph(weights=, robust=TRUE)``
==================================  ======================  ====================================

Clusters for the sandwich variances: matched sets for matching without replacement and for
given sets (``sets``: register controls; pairs are not independent), municipalities when
``cluster_municipality`` is set, persons otherwise.

Bootstrap (``replicates``, ``seed``): persons are resampled — matched sets as wholes for
matching without replacement — and the *whole* design is re-estimated on each replicate
(propensity model and weights; the matching itself is kept, as Austin & Small 2014
recommend), so the interval carries the uncertainty of the weights too. The Kaplan–Meier
curve, restricted mean and cumulative incidence are the weighted estimators of
:mod:`fastholdelse_eval.stats.weighted` (as R ``survfit(weights=)``).

``denominator`` is the number of persons with a positive weight in the group; no weighted count
is shown (weighted counts are not persons).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.analysis.weighting import SET_METHODS, Weighting, weights_for
from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.outcomes import person_outcomes
from fastholdelse_eval.stats import weighted as W
from fastholdelse_eval.stats.survival_common import z_value
from fastholdelse_eval.stats.weighted_cox import weighted_cox

DEFAULT_HORIZON_WEEKS = 26.0
DEFAULT_REPLICATES = 200
DEFAULT_SEED = 20240515
RATES = (("weighted_rtw_rate", "is_rtw"), ("weighted_partial_rtw_rate", "is_partial_rtw"),
         ("weighted_other_benefit_rate", "is_other_benefit"),
         ("weighted_dropout_rate", "is_dropout"))


def _cause(out: pd.DataFrame) -> np.ndarray:
    return np.select([out["is_rtw"].to_numpy(), out["is_other_benefit"].to_numpy(),
                      out["is_dropout"].to_numpy()], [1, 2, 2], 0).astype("int64")


def _survival_stats(time, ended, cause, treat, w, tau) -> np.ndarray:
    """RMST (I, C, diff, ratio), median (I, C), CIF of RTW at τ (I, C, diff)."""
    vals = []
    curves = {}
    for g, mask in (("i", treat), ("c", ~treat)):
        m = mask & (w > 0)
        km = W.weighted_km(time[m], ended[m], w[m])
        cif = W.weighted_cif(time[m], cause[m], w[m], 1)
        curves[g] = (W.rmst(km, tau), W.median(km), cif.at(tau))
    ri, rc = curves["i"][0], curves["c"][0]
    vals = [ri, rc, ri - rc, ri / rc if rc > 0 else np.nan,
            curves["i"][1], curves["c"][1],
            curves["i"][2], curves["c"][2], curves["i"][2] - curves["c"][2]]
    return np.asarray(vals, dtype="float64")


def weighted_rows(cohort: Cohort, weighting: Weighting, *, level: float = 0.95,
                  horizon_weeks: float | None = None, cluster_municipality: bool = False,
                  replicates: int = DEFAULT_REPLICATES, seed: int = DEFAULT_SEED
                  ) -> tuple[pd.DataFrame, list[str]]:
    """The weighted outcome rows (see the module docstring) and notes."""
    if not isinstance(cohort, Cohort):
        raise ConfigError(message("wt_outcomes_person_level"))
    spec = weighting.spec
    out = person_outcomes(cohort)
    treat = weighting.treat
    w = weighting.weights
    muni = weighting.municipality
    extra: dict[str, Any] = {"weighting": spec.method, "estimand": spec.estimand}
    notes: list[str] = []
    z = z_value(level)
    matched_sets = spec.method in SET_METHODS and not spec.replace
    if cluster_municipality:
        cluster = out["municipality"].to_numpy(dtype=object).astype(str)
        how = "clustered by municipality"
    elif matched_sets:
        cluster = np.where(weighting.subclass >= 0,
                           np.char.add("set", weighting.subclass.astype(str)),
                           np.char.add("person", np.arange(len(w)).astype(str)))
        how = "clustered by matched set"
    else:
        cluster = None
        how = "robust"
    extra["variance"] = how
    n_pos = {g: int(((w > 0) & m).sum()) for g, m in (("intervention", treat),
                                                      ("control", ~treat))}
    rows: list[dict[str, Any]] = []
    for metric, column in RATES:
        y = out[column].to_numpy(dtype=bool).astype(float)
        a, b, d = W.weighted_shares(y, treat, w, cluster=cluster, level=level)
        method = "weighted-sandwich"
        for g, s in (("intervention", a), ("control", b)):
            rows.append(tidy.row(metric, g, s.estimate, s.ci_low, s.ci_high,
                                 denominator=n_pos[g], method=method, municipality=muni,
                                 **extra))
        p = 2 * _norm_sf(abs(d.estimate) / d.se) if d.se > 0 else float("nan")
        rows.append(tidy.row(metric, "difference", d.estimate, d.ci_low, d.ci_high, p_value=p,
                             method=method, municipality=muni, **extra))
        if a.estimate > 0 and b.estimate > 0:
            lr = np.log(a.estimate / b.estimate)
            se = float(np.hypot(a.se / a.estimate, b.se / b.estimate))
            rows.append(tidy.row(metric, "ratio", float(np.exp(lr)), float(np.exp(lr - z * se)),
                                 float(np.exp(lr + z * se)), method=method,
                                 municipality=muni, **extra))
    time = out["weeks_on_benefit"].to_numpy(dtype="float64")
    ended = out["benefit_ended"].to_numpy(dtype=bool)
    cause = _cause(out)
    last = min(float(time[treat & (w > 0)].max()), float(time[~treat & (w > 0)].max()))
    tau = DEFAULT_HORIZON_WEEKS if horizon_weeks is None else float(horizon_weeks)
    if tau > last:
        notes.append(message("note_weighted_horizon", tau=f"{tau:g}", last=f"{last:.4g}"))
        tau = last
    point = _survival_stats(time, ended, cause, treat, w, tau)
    data = cohort.data
    boot_clusters = cluster if matched_sets else np.arange(len(w))

    def replicate(rows_idx: np.ndarray) -> np.ndarray:
        t_b = treat[rows_idx]
        if spec.method in SET_METHODS:
            w_b = w[rows_idx]  # the matching is kept; matched sets were resampled whole
        else:
            try:
                w_b, _ = weights_for(spec, data.iloc[rows_idx].reset_index(drop=True), t_b)
            except (ConfigError, np.linalg.LinAlgError, ValueError):
                return np.full(point.size, np.nan)
        if not ((w_b > 0) & t_b).any() or not ((w_b > 0) & ~t_b).any():
            return np.full(point.size, np.nan)
        return _survival_stats(time[rows_idx], ended[rows_idx], cause[rows_idx], t_b, w_b, tau)

    pool = np.flatnonzero(w > 0) if spec.method in SET_METHODS else np.arange(len(w))
    low, high, _ = W.bootstrap(lambda idx: replicate(pool[idx]), boot_clusters[pool],
                               replicates=replicates, seed=seed, level=level)
    bmethod = "weighted-bootstrap"
    boot = {**extra, "variance": "bootstrap", "replicates": replicates, "seed": seed}
    hx = {"horizon_weeks": tau, **boot}
    groups = ("intervention", "control", "difference", "ratio")
    for j, g in enumerate(groups):
        rows.append(tidy.row("weighted_rmst_weeks_on_benefit", g, point[j], low[j], high[j],
                             denominator=n_pos.get(g), method=bmethod, municipality=muni, **hx))
    for j, g in enumerate(groups[:2]):
        rows.append(tidy.row("weighted_median_weeks_on_benefit", g, point[4 + j], low[4 + j],
                             high[4 + j], denominator=n_pos[g], method=bmethod,
                             municipality=muni, **boot))
    cmethod = bmethod
    for j, g in enumerate(groups[:3]):
        rows.append(tidy.row("weighted_cif_rtw", g, point[6 + j], low[6 + j], high[6 + j],
                             denominator=n_pos.get(g), method=cmethod, municipality=muni, **hx))
    cox_cluster = cluster if cluster is not None else None
    fit = weighted_cox(time, out["is_rtw"].to_numpy(dtype=bool), treat.astype(float), w,
                       cluster=cox_cluster)
    hr = fit.hazard_ratio(0, level)
    rows.append(tidy.row("weighted_hazard_ratio_rtw", "ratio", hr.estimate, hr.ci_low,
                         hr.ci_high, p_value=hr.p_value, numerator=fit.events,
                         denominator=fit.n, method="weighted-cox-robust",
                         municipality=muni, **extra))
    return tidy.frame(rows), notes


def _norm_sf(x: float) -> float:
    from scipy.stats import norm  # lazy: heavy

    return float(norm.sf(x))
