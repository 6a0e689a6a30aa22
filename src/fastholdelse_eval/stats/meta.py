"""Meta-analysis of two-group binary outcomes on plain arrays (one entry per site/study).

Pure functions, no pandas, no I/O. The conventions follow R's metafor (Viechtbauer 2010) so
results can be checked against it:

Effect sizes (:func:`effect_sizes`, metafor's ``escalc`` with its defaults)
    ``rd``  risk difference ``p1 - p2``, variance ``p1(1-p1)/n1 + p2(1-p2)/n2``;
    ``rr``  log risk ratio, variance ``1/a - 1/n1 + 1/c - 1/n2``;
    ``or``  log odds ratio, variance ``1/a + 1/b + 1/c + 1/d``.
    Zero cells: 0.5 is added to all four cells of a table **only** when one of its cells is zero
    (metafor ``add=1/2, to="only0"``, also for ``rd``, where a zero cell would otherwise give a
    variance that ignores that arm or is exactly 0). Tables without a zero are used as they are.
    Double-zero tables are kept (corrected), as ``escalc`` does by default.

Fixed (common) effect
    :func:`fixed_iv` inverse-variance weights ``1/v``; :func:`mantel_haenszel` needs no zero-cell
    correction: OR with the Robins–Breslow–Greenland (1986) variance, RR with the
    Greenland–Robins (1985) variance, RD with the Sato–Greenland–Robins (1989) variance, as
    metafor's ``rma.mh``.

Random effects (:func:`random_effects`)
    tau² by REML (Fisher scoring on the restricted likelihood, as ``rma(method="REML")``),
    DerSimonian–Laird (1986), or Paule–Mandel (1982; the generalised Q equals k-1). Pooled
    estimate with weights ``1/(v + tau²)``; normal-theory Wald interval, or with
    ``hartung_knapp=True`` the Hartung–Knapp(–Sidik–Jonkman) variance
    ``sum w (y - mu)² / ((k-1) sum w)`` with a t(k-1) interval (not truncated at 1, as metafor's
    ``test="knha"``).

Prediction interval
    As metafor's ``predict.rma``: ``mu ± crit · sqrt(SE² + tau²)`` with ``crit`` the normal
    quantile, or the t(k-1) quantile (and the Hartung–Knapp SE) when ``hartung_knapp=True``.
    (Higgins, Thompson & Spiegelhalter 2009 propose t(k-2); we follow metafor so numbers can be
    checked against it.)

Heterogeneity
    Cochran's Q with ``1/v`` weights and its chi²(k-1) p-value; I² and H² as metafor reports
    them for the random-effects model: ``I² = tau² / (tau² + s²)`` with the "typical"
    within-study variance ``s² = (k-1) Σw / ((Σw)² - Σw²)`` (for DerSimonian–Laird this equals
    Higgins & Thompson's ``(Q - (k-1)) / Q``), ``H² = (tau² + s²) / s²``. The tau² interval is the
    Q-profile interval (Viechtbauer 2007), I² and H² intervals follow from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from fastholdelse_eval.core.errors import ConfigError, EstimationError

MEASURES = ("rd", "rr", "or")
TAU2_METHODS = ("reml", "dl", "pm")
ZERO_CELL_ADD = 0.5

__all__ = [
    "EffectSizes",
    "Heterogeneity",
    "Pooled",
    "RandomEffects",
    "effect_sizes",
    "fixed_iv",
    "mantel_haenszel",
    "cochran_q",
    "tau2_dl",
    "tau2_pm",
    "tau2_reml",
    "tau2_qprofile_ci",
    "restricted_loglik",
    "random_effects",
]


# --- effect sizes --------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectSizes:
    """Per-study effect sizes ``yi`` (log scale for ``rr``/``or``) and variances ``vi``."""

    yi: np.ndarray
    vi: np.ndarray
    measure: str
    corrected: np.ndarray  # bool: 0.5 was added to this table's cells

    @property
    def k(self) -> int:
        return int(self.yi.size)


def _check_measure(measure: str) -> str:
    m = str(measure).lower()
    if m not in MEASURES:
        raise ConfigError(f"measure must be one of {MEASURES}, not {measure!r}")
    return m


def _tables(events1, n1, events2, n2) -> tuple[np.ndarray, ...]:
    a = np.asarray(events1, dtype="float64")
    n1 = np.asarray(n1, dtype="float64")
    c = np.asarray(events2, dtype="float64")
    n2 = np.asarray(n2, dtype="float64")
    if not (a.shape == n1.shape == c.shape == n2.shape) or a.ndim != 1:
        raise ConfigError("events and totals must be 1-d arrays of the same length")
    if np.any(~np.isfinite(np.concatenate([a, n1, c, n2]))):
        raise ConfigError("counts must be finite")
    if np.any(a < 0) or np.any(c < 0) or np.any(a > n1) or np.any(c > n2):
        raise ConfigError("events must lie between 0 and the group size")
    if np.any(n1 <= 0) or np.any(n2 <= 0):
        raise ConfigError("every group needs at least one person")
    return a, n1 - a, c, n2 - c


def effect_sizes(events1, n1, events2, n2, measure: str = "rd",
                 add: float = ZERO_CELL_ADD) -> EffectSizes:
    """Effect sizes of group 1 (intervention) vs group 2 (control) per table (metafor ``escalc``).

    ``add`` is added to all four cells of a table only where one of its cells is zero.
    """
    measure = _check_measure(measure)
    a, b, c, d = _tables(events1, n1, events2, n2)
    corrected = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    inc = np.where(corrected, add, 0.0)
    a, b, c, d = a + inc, b + inc, c + inc, d + inc
    m1, m2 = a + b, c + d
    p1, p2 = a / m1, c / m2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "rd":
            yi = p1 - p2
            vi = p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2
        elif measure == "rr":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / m1 + 1 / c - 1 / m2
        else:
            yi = np.log(a * d) - np.log(b * c)
            vi = 1 / a + 1 / b + 1 / c + 1 / d
    return EffectSizes(yi=yi, vi=vi, measure=measure, corrected=corrected)


# --- pooled estimates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pooled:
    """A pooled estimate on the analysis scale (log scale for ratio measures)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    method: str
    df: float | None = None  # None: normal reference distribution; else t(df)


def _wald(estimate: float, se: float, level: float, method: str,
          df: float | None = None) -> Pooled:
    if not (np.isfinite(estimate) and np.isfinite(se)) or se <= 0:
        return Pooled(float(estimate), float(se), np.nan, np.nan, np.nan, np.nan, method, df)
    dist = stats.norm if df is None else stats.t(df)
    crit = dist.ppf(0.5 + level / 2)
    z = estimate / se
    return Pooled(float(estimate), float(se), float(estimate - crit * se),
                  float(estimate + crit * se), float(z), float(2 * dist.sf(abs(z))), method, df)


def _check_level(level: float) -> float:
    if not 0 < level < 1:
        raise ConfigError("level must be between 0 and 1, e.g. 0.95")
    return float(level)


def _yv(yi, vi) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(yi, dtype="float64")
    v = np.asarray(vi, dtype="float64")
    if y.shape != v.shape or y.ndim != 1 or y.size == 0:
        raise ConfigError("yi and vi must be non-empty 1-d arrays of the same length")
    if np.any(~np.isfinite(y)) or np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise ConfigError("yi must be finite and vi finite and positive")
    return y, v


def fixed_iv(yi, vi, level: float = 0.95) -> Pooled:
    """Inverse-variance fixed (common) effect: ``sum(y/v) / sum(1/v)``, SE ``1/sqrt(sum 1/v)``."""
    y, v = _yv(yi, vi)
    w = 1 / v
    mu = float(np.sum(w * y) / np.sum(w))
    return _wald(mu, float(np.sqrt(1 / np.sum(w))), _check_level(level), "fixed-iv")


def mantel_haenszel(events1, n1, events2, n2, measure: str = "rd",
                    level: float = 0.95) -> Pooled:
    """Mantel–Haenszel pooled effect (no zero-cell correction), variances as metafor ``rma.mh``."""
    measure = _check_measure(measure)
    level = _check_level(level)
    a, b, c, d = _tables(events1, n1, events2, n2)
    m1, m2 = a + b, c + d
    n = m1 + m2
    if measure == "or":
        r_i, s_i = a * d / n, b * c / n
        p_i, q_i = (a + d) / n, (b + c) / n
        r, s = r_i.sum(), s_i.sum()
        if r == 0 or s == 0:
            return _wald(np.nan, np.nan, level, "fixed-mh")
        est = np.log(r / s)
        var = 0.5 * (np.sum(p_i * r_i) / r**2 + np.sum(p_i * s_i + q_i * r_i) / (r * s)
                     + np.sum(q_i * s_i) / s**2)
    elif measure == "rr":
        r, s = np.sum(a * m2 / n), np.sum(c * m1 / n)
        if a.sum() == 0 or c.sum() == 0:
            return _wald(np.nan, np.nan, level, "fixed-mh")
        est = np.log(r / s)
        var = np.sum(m1 * m2 * (a + c) / n**2 - a * c / n) / (r * s)
    else:
        wsum = np.sum(m1 * m2 / n)
        est = np.sum((a * m2 - c * m1) / n) / wsum
        var = (est * np.sum(c * (m1 / n) ** 2 - a * (m2 / n) ** 2
                            + (m1 / n) * (m2 / n) * (m2 - m1) / 2)
               + np.sum(a * (m2 - c) / n + c * (m1 - a) / n) / 2) / wsum**2
    return _wald(float(est), float(np.sqrt(var)) if var > 0 else np.nan, level, "fixed-mh")


# --- heterogeneity and tau² ---------------------------------------------------------------


def _generalised_q(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def cochran_q(yi, vi) -> tuple[float, int, float]:
    """Cochran's Q (weights ``1/v``), its degrees of freedom ``k-1`` and chi² p-value."""
    y, v = _yv(yi, vi)
    k = y.size
    q = _generalised_q(0.0, y, v)
    p = float(stats.chi2.sf(q, k - 1)) if k > 1 else np.nan
    return q, k - 1, p


def tau2_dl(yi, vi) -> float:
    """DerSimonian–Laird: ``max(0, (Q - (k-1)) / (Σw - Σw²/Σw))``."""
    y, v = _yv(yi, vi)
    if y.size < 2:
        return 0.0
    w = 1 / v
    q = _generalised_q(0.0, y, v)
    return float(max(0.0, (q - (y.size - 1)) / (w.sum() - np.sum(w**2) / w.sum())))


def _upper_bracket(f, start: float) -> float:
    hi = max(start, 1.0)
    for _ in range(200):
        if f(hi) < 0:
            return hi
        hi *= 2
    raise EstimationError("could not bracket the root for tau²")


def tau2_pm(yi, vi, tol: float = 1e-12) -> float:
    """Paule–Mandel: the tau² ≥ 0 at which the generalised Q equals ``k-1`` (0 if Q(0) < k-1)."""
    y, v = _yv(yi, vi)
    k = y.size
    if k < 2:
        return 0.0

    def f(t2: float) -> float:
        return _generalised_q(t2, y, v) - (k - 1)

    if f(0.0) <= 0:
        return 0.0
    hi = _upper_bracket(f, 10 * float(np.var(y, ddof=1)) + 10 * float(v.max()))
    return float(optimize.brentq(f, 0.0, hi, xtol=tol, rtol=1e-14, maxiter=500))


def _reml_score_info(t2: float, y: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    # Intercept-only model: P = W - w wᵀ / Σw. Score 0.5 (yᵀPPy - tr P), information 0.5 tr(PP).
    w = 1 / (v + t2)
    sw = w.sum()
    mu = np.sum(w * y) / sw
    py = w * (y - mu)  # P y
    tr_p = sw - np.sum(w**2) / sw
    tr_pp = np.sum(w**2) - 2 * np.sum(w**3) / sw + (np.sum(w**2) / sw) ** 2
    return float(np.sum(py**2) - tr_p), float(tr_pp)


def restricted_loglik(tau2: float, yi, vi) -> float:
    """REML log-likelihood of the intercept-only random-effects model (metafor's ``ll.REML``)."""
    y, v = _yv(yi, vi)
    k = y.size
    w = 1 / (v + tau2)
    sw = w.sum()
    mu = np.sum(w * y) / sw
    return float(-0.5 * (k - 1) * np.log(2 * np.pi) + 0.5 * np.log(k)
                 - 0.5 * np.sum(np.log(v + tau2)) - 0.5 * np.log(sw)
                 - 0.5 * np.sum(w * (y - mu) ** 2))


def _reml_loglik_grid(grid: np.ndarray, y: np.ndarray, v: np.ndarray) -> np.ndarray:
    # Restricted log-likelihood (without constants) at every tau² of ``grid``, vectorised.
    w = 1 / (v[None, :] + grid[:, None])
    sw = w.sum(axis=1)
    mu = (w * y[None, :]).sum(axis=1) / sw
    return (-0.5 * np.log(v[None, :] + grid[:, None]).sum(axis=1) - 0.5 * np.log(sw)
            - 0.5 * (w * (y[None, :] - mu[:, None]) ** 2).sum(axis=1))


def _fisher_scoring(t2: float, y: np.ndarray, v: np.ndarray, tol: float,
                    max_iter: int) -> float:
    for _ in range(max_iter):
        score, info = _reml_score_info(t2, y, v)
        step = score / info
        # Halve the step while it would leave the parameter space (tau² < 0).
        while t2 + step < 0 and abs(step) > tol:
            step /= 2
        new = max(0.0, t2 + step)
        if abs(new - t2) < tol:
            return new
        t2 = new
    raise EstimationError("REML estimation of tau² did not converge")  # pragma: no cover


def tau2_reml(yi, vi, tol: float = 1e-10, max_iter: int = 200) -> float:
    """REML tau² by Fisher scoring with step halving, truncated at 0 (as metafor's ``rma``).

    Start value: the DerSimonian–Laird estimate; converged when the change is below ``tol``.
    The restricted likelihood can have two local maxima (one at 0); a grid check then moves to
    the global maximum. metafor reports whichever maximum its scoring reaches, so the two can
    differ only in that rare case.
    """
    y, v = _yv(yi, vi)
    if y.size < 2:
        return 0.0
    t2 = _fisher_scoring(tau2_dl(y, v), y, v, tol, max_iter)
    if t2 < tol and _reml_score_info(0.0, y, v)[0] <= 0:
        t2 = 0.0  # the maximum is on the boundary
    scale = float(np.var(y)) + float(v.max())
    grid = np.concatenate([[0.0], np.geomspace(1e-8 * scale, 100 * scale, 300)])
    ll = _reml_loglik_grid(grid, y, v)
    if ll.max() > _reml_loglik_grid(np.array([t2]), y, v)[0] + 1e-10:
        best = float(grid[int(ll.argmax())])
        if best == 0.0 and _reml_score_info(0.0, y, v)[0] <= 0:
            return 0.0
        t2 = _fisher_scoring(best, y, v, tol, max_iter)
    return float(t2)


def tau2_qprofile_ci(yi, vi, level: float = 0.95) -> tuple[float, float]:
    """Q-profile confidence interval for tau² (Viechtbauer 2007; metafor ``confint``).

    Bounds solve ``Q(tau²) = chi²(k-1)`` quantiles ``(1+level)/2`` (lower) and ``(1-level)/2``
    (upper); a bound is 0 when ``Q(0)`` is already below its quantile.
    """
    y, v = _yv(yi, vi)
    level = _check_level(level)
    k = y.size
    if k < 2:
        return np.nan, np.nan
    out = []
    for prob in ((1 + level) / 2, (1 - level) / 2):
        target = stats.chi2.ppf(prob, k - 1)

        def f(t2: float, target: float = target) -> float:
            return _generalised_q(t2, y, v) - target

        if f(0.0) <= 0:
            out.append(0.0)
            continue
        hi = _upper_bracket(f, 10 * float(np.var(y, ddof=1)) + 10 * float(v.max()))
        out.append(float(optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-14, maxiter=500)))
    return out[0], out[1]


@dataclass(frozen=True)
class Heterogeneity:
    """Q test and the heterogeneity measures of a random-effects fit (I², H² as metafor)."""

    q: float
    df: int
    q_p_value: float
    tau2: float
    tau2_ci: tuple[float, float]
    i2: float  # proportion 0-1
    i2_ci: tuple[float, float]
    h2: float
    typical_variance: float  # s²
    method: str


def _typical_variance(v: np.ndarray) -> float:
    w = 1 / v
    k = v.size
    denom = w.sum() ** 2 - np.sum(w**2)
    return float((k - 1) * w.sum() / denom) if denom > 0 else np.nan


def _i2(tau2: float, s2: float) -> float:
    return float(tau2 / (tau2 + s2)) if np.isfinite(s2) and (tau2 + s2) > 0 else np.nan


@dataclass(frozen=True)
class RandomEffects:
    """A random-effects fit: the pooled estimate, heterogeneity and the prediction interval."""

    pooled: Pooled
    heterogeneity: Heterogeneity
    pi_low: float
    pi_high: float
    weights: np.ndarray  # relative weights, sum 1

    @property
    def tau2(self) -> float:
        return self.heterogeneity.tau2


def random_effects(yi, vi, method: str = "reml", hartung_knapp: bool = False,
                   level: float = 0.95) -> RandomEffects:
    """Random-effects pooled estimate with tau² by ``reml`` (default), ``dl`` or ``pm``."""
    y, v = _yv(yi, vi)
    level = _check_level(level)
    method = str(method).lower()
    estimators = {"reml": tau2_reml, "dl": tau2_dl, "pm": tau2_pm}
    if method not in estimators:
        raise ConfigError(f"method must be one of {TAU2_METHODS}, not {method!r}")
    k = y.size
    tau2 = estimators[method](y, v)
    w = 1 / (v + tau2)
    sw = w.sum()
    mu = float(np.sum(w * y) / sw)
    name = f"random-effects-{method}"
    if hartung_knapp and k >= 2:
        s2_hk = float(np.sum(w * (y - mu) ** 2) / (k - 1))
        se = float(np.sqrt(s2_hk / sw))
        pooled = _wald(mu, se, level, name + "-hk", df=k - 1)
        crit = stats.t.ppf(0.5 + level / 2, k - 1)
    else:
        se = float(np.sqrt(1 / sw))
        pooled = _wald(mu, se, level, name)
        crit = stats.norm.ppf(0.5 + level / 2)
    pi_se = np.sqrt(se**2 + tau2)
    q, df, q_p = cochran_q(y, v)
    s2 = _typical_variance(v) if k > 1 else np.nan
    t_lo, t_hi = tau2_qprofile_ci(y, v, level) if k > 1 else (np.nan, np.nan)
    het = Heterogeneity(
        q=q, df=df, q_p_value=q_p, tau2=tau2, tau2_ci=(t_lo, t_hi),
        i2=_i2(tau2, s2) if k > 1 else np.nan,
        i2_ci=(_i2(t_lo, s2), _i2(t_hi, s2)) if k > 1 else (np.nan, np.nan),
        h2=float((tau2 + s2) / s2) if k > 1 and np.isfinite(s2) else np.nan,
        typical_variance=s2, method=name,
    )
    return RandomEffects(pooled=pooled, heterogeneity=het, pi_low=float(mu - crit * pi_se),
                         pi_high=float(mu + crit * pi_se), weights=w / sw)
