"""Weighted estimators for a weighted (or matched) comparison: shares with sandwich variance,
Kaplan–Meier, restricted mean, cumulative incidence, and a seeded cluster bootstrap.

* :func:`weighted_shares`: per group ``p = Σwy / Σw`` with the linearisation (sandwich)
  variance of a ratio estimator, ``n/(n−1) Σ_c (Σ_{i∈c} wᵢ(yᵢ − p))² / (Σw)²`` summed over
  clusters ``c`` (persons, or matched sets), where ``n`` is the number of clusters in the whole
  sample (a group is a domain of it). This is R ``survey::svymean`` on
  ``subset(svydesign(ids = ~cluster, weights = ~w), group)``; the difference's variance is the
  sum of the two groups' (they share no cluster), as ``svyglm(y ~ group)``'s coefficient. The
  weights are taken as known (the propensity model's own uncertainty is not added, which makes
  the interval conservative for the ATE; Lunceford & Davidian 2004).
* :func:`weighted_km`: ``S(t) = Π (1 − dʷⱼ / nʷⱼ)`` with weighted events and numbers at risk,
  as R ``survfit(Surv(t, e) ~ 1, weights = w)``; :func:`rmst` is the area under it up to τ.
* :func:`weighted_cif`: the Aalen–Johansen cumulative incidence of a cause with weighted
  counts, ``F(t) = Σ_{tⱼ ≤ t} S(tⱼ₋) dʷ_{k,j} / nʷⱼ``, as R ``survfit`` on a multi-state
  ``Surv(t, factor(cause))`` with ``weights``.
* :func:`bootstrap`: percentile intervals from resampling whole clusters (persons, or matched
  sets so that pairs stay together), seeded, re-running the whole estimation (weights included)
  on every replicate through a callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fastholdelse_eval.stats.survival_common import (
    _EPS,
    _as_time,
    _Cells,
    curve_quantile,
    z_value,
)


@dataclass(frozen=True)
class Share:
    estimate: float
    se: float
    ci_low: float
    ci_high: float


def _share_ci(p: float, se: float, z: float) -> tuple[float, float]:
    """Interval on the logit scale (stays in (0, 1)); the point itself at 0 or 1."""
    if not (0 < p < 1) or not np.isfinite(se):
        return (p, p) if np.isfinite(p) else (float("nan"), float("nan"))
    lo = np.log(p / (1 - p))
    half = z * se / (p * (1 - p))
    return float(1 / (1 + np.exp(-(lo - half)))), float(1 / (1 + np.exp(-(lo + half))))


def weighted_shares(y: np.ndarray, treat: np.ndarray, w: np.ndarray,
                    cluster: np.ndarray | None = None, level: float = 0.95
                    ) -> tuple[Share, Share, Share]:
    """(intervention, control, difference) weighted shares with sandwich standard errors and
    Wald intervals (logit scale for the shares); see the module docstring."""
    y = np.asarray(y, dtype="float64")
    t = np.asarray(treat).astype(bool)
    w = np.asarray(w, dtype="float64")
    z = z_value(level)
    keep = w > 0
    if cluster is None:
        cl = np.arange(y.size)
    else:
        cl = np.asarray(cluster)
    codes = np.unique(cl[keep], return_inverse=True)[1]
    n_cl = int(codes.max()) + 1 if codes.size else 0
    out = []
    ses = []
    for g in (t, ~t):
        m = keep & g
        sw = w[m].sum()
        if sw <= 0 or n_cl < 2:
            out.append(Share(float("nan"), float("nan"), float("nan"), float("nan")))
            ses.append(float("nan"))
            continue
        p = float((w[m] * y[m]).sum() / sw)
        score = np.where(g[keep], w[keep] * (y[keep] - p), 0.0) / sw
        per_cluster = np.bincount(codes, weights=score, minlength=n_cl)
        se = float(np.sqrt(n_cl / (n_cl - 1) * (per_cluster ** 2).sum()))
        lo, hi = _share_ci(p, se, z)
        out.append(Share(p, se, lo, hi))
        ses.append(se)
    d = out[0].estimate - out[1].estimate
    se_d = float(np.hypot(ses[0], ses[1]))
    if cluster is not None and n_cl >= 2:
        # Matched sets hold both groups: the difference's variance needs their covariance.
        s1, s0 = (keep & t), (keep & ~t)
        score = (np.where(s1[keep], w[keep] * (y[keep] - out[0].estimate), 0.0)
                 / w[s1].sum()
                 - np.where(s0[keep], w[keep] * (y[keep] - out[1].estimate), 0.0)
                 / w[s0].sum())
        per_cluster = np.bincount(codes, weights=score, minlength=n_cl)
        se_d = float(np.sqrt(n_cl / (n_cl - 1) * (per_cluster ** 2).sum()))
    out.append(Share(d, se_d, d - z * se_d, d + z * se_d))
    return out[0], out[1], out[2]


@dataclass(frozen=True)
class WeightedCurve:
    """A weighted step function at the distinct times (right-continuous)."""

    time: np.ndarray
    value: np.ndarray  # S(t) for Kaplan–Meier, F(t) for cumulative incidence
    start: float  # value before the first time

    def at(self, t: float) -> float:
        i = int(np.searchsorted(self.time, t, side="right")) - 1
        return float(self.value[i]) if i >= 0 else self.start

    @property
    def last_time(self) -> float:
        return float(self.time[-1]) if self.time.size else 0.0


def _counts(time: np.ndarray, w: np.ndarray, event_w: np.ndarray):
    keep = w > 0
    cells = _Cells.of(time[keep])
    n = cells.at_risk(cells.count(w[keep]))
    d = cells.count(event_w[keep])
    return cells, n, d, keep


def weighted_km(time: object, event: object, w: object) -> WeightedCurve:
    """Weighted Kaplan–Meier survival (see the module docstring)."""
    t = _as_time(time)
    e = np.asarray(event).astype(bool)
    w = np.asarray(w, dtype="float64")
    cells, n, d, _ = _counts(t, w, np.where(e, w, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.cumprod(np.where(n > 0, 1.0 - d / n, 1.0))
    s = np.where(s < _EPS, 0.0, s)
    return WeightedCurve(cells.time, s, 1.0)


def rmst(curve: WeightedCurve, tau: float) -> float:
    """``∫₀^τ S(u) du`` of a survival curve; ``nan`` beyond its last time unless S hit 0."""
    if tau > curve.last_time and (curve.value[-1] if curve.value.size else 1.0) > 0:
        return float("nan")
    keep = curve.time < tau
    edges = np.concatenate([[0.0], curve.time[keep], [tau]])
    heights = np.concatenate([[curve.start], curve.value[keep]])
    return float((heights * np.diff(edges)).sum())


def median(curve: WeightedCurve) -> float:
    """Median of a survival curve by R's rule (:func:`curve_quantile`: the first time with
    ``S(t) ≤ 0.5``, the mid-point to the next drop where S is exactly 0.5); ``nan`` if not
    reached."""
    return curve_quantile(curve.time, 1.0 - curve.value, 0.5)


def weighted_cif(time: object, cause: object, w: object, of: int = 1) -> WeightedCurve:
    """Weighted Aalen–Johansen cumulative incidence of cause ``of`` (0 = censored)."""
    t = _as_time(time)
    c = np.asarray(cause).astype("int64")
    w = np.asarray(w, dtype="float64")
    cells, n, d_all, _ = _counts(t, w, np.where(c > 0, w, 0.0))
    keep = w > 0
    d_k = cells.count(np.where(c[keep] == of, w[keep], 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        h_all = np.where(n > 0, d_all / n, 0.0)
        h_k = np.where(n > 0, d_k / n, 0.0)
    s = np.cumprod(1.0 - h_all)
    s_before = np.concatenate([[1.0], s[:-1]])
    f = np.cumsum(s_before * h_k)
    return WeightedCurve(cells.time, np.where(np.abs(f - 1.0) < _EPS, 1.0, np.clip(f, 0, 1)), 0.0)


def bootstrap(statistic: Callable[[np.ndarray], np.ndarray], clusters: np.ndarray, *,
              replicates: int = 200, seed: int = 20240101, level: float = 0.95
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile intervals of ``statistic(rows)`` over ``replicates`` resamples of whole
    clusters (``rows``: indices into the persons, with repeats). Returns (low, high, se); a
    replicate whose statistic is not finite is left out of that statistic's interval."""
    cl = np.asarray(clusters)
    codes = np.unique(cl, return_inverse=True)[1]
    n_cl = int(codes.max()) + 1
    members = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[members], np.arange(n_cl))
    sizes = np.bincount(codes, minlength=n_cl)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(replicates):  # replicates, not persons: each one is a vectorised refit
        pick = rng.integers(0, n_cl, n_cl)
        reps = sizes[pick]
        offs = np.repeat(starts[pick], reps) + (np.arange(reps.sum())
                                                - np.repeat(np.cumsum(reps) - reps, reps))
        draws.append(np.asarray(statistic(members[offs]), dtype="float64"))
    arr = np.vstack(draws)
    alpha = 1 - level
    low = np.full(arr.shape[1], np.nan)
    high = np.full(arr.shape[1], np.nan)
    se = np.full(arr.shape[1], np.nan)
    for j in range(arr.shape[1]):
        v = arr[:, j][np.isfinite(arr[:, j])]
        if v.size >= max(10, replicates // 2):
            low[j], high[j] = np.quantile(v, [alpha / 2, 1 - alpha / 2])
            se[j] = v.std(ddof=1)
    return low, high, se
