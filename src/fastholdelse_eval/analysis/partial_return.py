"""Time to first partial return to work (delvis raskmelding), with the spell ending first as the
competing event.

A partial return (reduced hours while still on benefit) is observed only while the spell runs:
a spell that ends first (return to work, another benefit, dropout) ends the chance of a first
partial return, so the end is a *competing* event, not censoring; a spell still running at
follow-up, or ended by moving/death, is censored. Per-person times and event codes come from
:func:`fastholdelse_eval.data.outcomes.person_outcomes` (``weeks_to_partial_rtw_event``,
``partial_rtw_event``).

Rows (groups present; between-group rows only when both groups are there):

================================  ============================  ==================================
metric                            groups                        estimator
================================  ============================  ==================================
``cif_partial_rtw``               intervention, control,        Aalen–Johansen at the horizon τ,
                                  difference                    delta-method SE, log-log interval
``median_weeks_to_partial_rtw``   intervention, control,        first time the cumulative
                                  difference                    incidence reaches 50 %; interval
                                                                from the pointwise band;
                                                                difference: percentile bootstrap
``hazard_ratio_partial_rtw``      ratio                         cause-specific Cox, Efron ties
``logrank_partial_rtw``           difference                    log-rank χ² (1 df)
================================  ============================  ==================================

**Bootstrap of the median difference.** The two medians have no joint variance formula, so the
interval of their difference is a percentile bootstrap of persons within each group. Resampling
persons is the same as drawing the counts of each (time, event type) cell from a multinomial
with the observed cell shares, so each replicate costs the number of distinct times, not the
number of persons (register data: a million persons, a few hundred distinct times).
:data:`BOOTSTRAP_REPLICATES` replicates with the fixed seed :data:`BOOTSTRAP_SEED` make the
interval reproducible. A replicate whose median is not reached counts as "later than follow-up";
an interval end that falls on such replicates is ``nan`` (not available).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fastholdelse_eval.core import tidy
from fastholdelse_eval.stats.survival import (
    CumulativeIncidence,
    Estimate,
    LogRank,
    aalen_johansen,
    cox_efron,
    logrank,
    normal_difference,
    z_value,
)

BOOTSTRAP_REPLICATES = 2000
BOOTSTRAP_SEED = 20090101
PARTIAL, ENDED = 1, 2
METRIC_CIF = "cif_partial_rtw"
METRIC_MEDIAN = "median_weeks_to_partial_rtw"
METRIC_HR = "hazard_ratio_partial_rtw"
METRIC_LOGRANK = "logrank_partial_rtw"


def cif_medians(time: np.ndarray, event: np.ndarray, replicates: int,
                rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """Bootstrap replicates of the time the cumulative incidence of event 1 reaches ``p``
    (``inf`` where it is not reached), by multinomial draws of the (time, event) cell counts."""
    uniq, codes = np.unique(time, return_inverse=True)
    n_times = uniq.size
    cells = np.bincount(codes * 3 + event, minlength=3 * n_times)
    n = int(cells.sum())
    draws = rng.multinomial(n, cells / n, size=replicates).reshape(replicates, n_times, 3)
    total = draws.sum(axis=2)
    at_risk = np.cumsum(total[:, ::-1], axis=1)[:, ::-1].astype("float64")
    d_any = (draws[:, :, 1] + draws[:, :, 2]).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        h_any = np.where(at_risk > 0, d_any / at_risk, 0.0)
        h_one = np.where(at_risk > 0, draws[:, :, 1] / at_risk, 0.0)
    surv = np.cumprod(1.0 - h_any, axis=1)
    s_before = np.concatenate([np.ones((replicates, 1)), surv[:, :-1]], axis=1)
    cif = np.cumsum(s_before * h_one, axis=1)
    reached = cif >= p - 1e-12
    first = np.argmax(reached, axis=1)
    return np.where(reached.any(axis=1), uniq[first], np.inf)


def median_difference(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray],
                      estimate: float, level: float,
                      replicates: int = BOOTSTRAP_REPLICATES,
                      seed: int = BOOTSTRAP_SEED) -> Estimate:
    """Median of ``a`` minus median of ``b`` (each ``(time, event)``) with a percentile
    bootstrap interval (see the module docstring)."""
    if not np.isfinite(estimate):
        return Estimate(float("nan"))
    rng = np.random.default_rng(seed)
    ma = cif_medians(*a, replicates, rng)
    mb = cif_medians(*b, replicates, rng)
    with np.errstate(invalid="ignore"):
        diff = ma - mb
    diff = np.sort(diff[~np.isnan(diff)])  # inf − inf: both not reached, no difference known
    if diff.size == 0:
        return Estimate(estimate)
    alpha = 1.0 - level
    low, high = np.quantile(diff, [alpha / 2, 1 - alpha / 2], method="inverted_cdf")
    return Estimate(estimate, ci_low=float(low) if np.isfinite(low) else float("nan"),
                    ci_high=float(high) if np.isfinite(high) else float("nan"))


def partial_rows(
    out: pd.DataFrame,
    masks: dict[str, np.ndarray],
    muni: str,
    *,
    tau: float,
    level: float,
    strata: np.ndarray | None,
    suffix: str,
) -> tuple[list[dict], dict[str, CumulativeIncidence], LogRank | None]:
    """Rows of time to first partial return for one municipality; ``masks``: the groups present
    (one or two). Returns ``(rows, cumulative incidence per group, log-rank or None)``."""
    weeks = out["weeks_to_partial_rtw_event"].to_numpy(dtype="float64")
    event = out["partial_rtw_event"].to_numpy(dtype="int64")
    cif = {g: aalen_johansen(weeks[m], event[m], causes=(PARTIAL, ENDED), level=level)
           for g, m in masks.items()}
    hx = {"horizon_weeks": tau}
    rows: list[dict] = []
    at_tau: dict[str, Estimate] = {}
    medians: dict[str, Estimate] = {}
    for g, m in masks.items():
        n = int(m.sum())
        at = cif[g].at(tau, cause=PARTIAL)
        at_tau[g] = Estimate(float(at["estimate"][0]), float(at["se"][0]),
                             float(at["ci_low"][0]), float(at["ci_high"][0]))
        rows.append(tidy.row(METRIC_CIF, g, at_tau[g].estimate, at_tau[g].ci_low,
                             at_tau[g].ci_high, denominator=n,
                             method="aalen-johansen, spell end competing; delta-method log-log",
                             municipality=muni, **hx))
        medians[g] = cif[g].quantile(0.5, cause=PARTIAL)
        rows.append(tidy.row(METRIC_MEDIAN, g, medians[g].estimate, medians[g].ci_low,
                             medians[g].ci_high, denominator=n,
                             method="aalen-johansen 50 % time; pointwise log-log band",
                             municipality=muni))
    if len(masks) < 2:
        return rows, cif, None
    z_value(level)
    d = normal_difference(at_tau["intervention"], at_tau["control"], level)
    rows.append(tidy.row(METRIC_CIF, "difference", d.estimate, d.ci_low, d.ci_high,
                         p_value=d.p_value, method="aalen-johansen difference; wald z",
                         municipality=muni, **hx))
    mi, mc = masks["intervention"], masks["control"]
    md = median_difference((weeks[mi], event[mi]), (weeks[mc], event[mc]),
                           medians["intervention"].estimate - medians["control"].estimate,
                           level)
    rows.append(tidy.row(METRIC_MEDIAN, "difference", md.estimate, md.ci_low, md.ci_high,
                         method=f"difference of medians; percentile bootstrap "
                                f"({BOOTSTRAP_REPLICATES} replicates, seed {BOOTSTRAP_SEED})",
                         municipality=muni))
    is_partial = event == PARTIAL
    lr = logrank(weeks, is_partial, mi.astype("int64"), strata=strata)
    rows.append(tidy.row(METRIC_LOGRANK, "difference", lr.statistic, p_value=lr.p_value,
                         numerator=int(is_partial.sum()), denominator=len(out),
                         method=f"log-rank (chi-square, 1 df), spell end censored{suffix}",
                         municipality=muni))
    cox = cox_efron(weeks, is_partial, mi.astype("float64"), names=["intervention"],
                    strata=strata)
    hr = cox.hazard_ratio("intervention", level)
    extra = {}
    if not cox.converged and cox.events:
        extra = {"note": "not estimable: no finite maximum (e.g. no partial return in one "
                         "group)"}
    rows.append(tidy.row(METRIC_HR, "ratio", hr.estimate, hr.ci_low, hr.ci_high,
                         p_value=hr.p_value, numerator=cox.events, denominator=cox.n,
                         method=f"cause-specific cox-efron, spell end censored{suffix}",
                         municipality=muni, **extra))
    return rows, cif, lr


def groups_present(out: pd.DataFrame, groups: Sequence[str]) -> dict[str, np.ndarray]:
    """Masks of the groups with at least one person, in ``groups`` order."""
    masks = {g: (out["group"] == g).to_numpy(dtype=bool) for g in groups}
    return {g: m for g, m in masks.items() if m.any()}
