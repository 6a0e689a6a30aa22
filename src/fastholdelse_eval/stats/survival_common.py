"""Pieces shared by the survival estimators: argument checks, confidence intervals, the
:class:`Estimate` value, and the distinct-time bookkeeping (:class:`_Cells`).

See :mod:`fastholdelse_eval.stats.survival` for the conventions and references.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from fastholdelse_eval.core.errors import ConfigError

CONF_TYPES = ("log-log", "log", "plain")
QUANTILE_RULES = ("midpoint", "first")
_EPS = 1e-12
# R quantile.survfit's tolerance for "the curve sits exactly at the target".
_R_TOL = float(np.sqrt(np.finfo("float64").eps))


# --- small shared pieces -------------------------------------------------------------------


def z_value(level: float) -> float:
    """Two-sided standard-normal quantile for a confidence ``level`` in (0, 1)."""
    if not (isinstance(level, int | float) and 0.0 < float(level) < 1.0):
        raise ConfigError(f"confidence level must be between 0 and 1 (exclusive), got {level!r}")
    return float(norm.ppf(0.5 + float(level) / 2.0))


def _check_conf_type(conf_type: str) -> str:
    if conf_type not in CONF_TYPES:
        raise ConfigError(f"conf_type must be one of {', '.join(CONF_TYPES)}; got {conf_type!r}")
    return conf_type


def _as_time(time: object, name: str = "time") -> np.ndarray:
    t = np.asarray(time, dtype="float64").ravel()
    if t.size and not np.all(np.isfinite(t)):
        raise ConfigError(f"{name} contains missing or infinite values")
    if t.size and t.min() < 0:
        raise ConfigError(f"{name} contains negative values")
    return t


def _as_event(event: object, n: int, name: str = "event") -> np.ndarray:
    e = np.asarray(event).ravel()
    if e.shape[0] != n:
        raise ConfigError(f"{name} has {e.shape[0]} values but time has {n}")
    if e.dtype == bool:
        return e
    ef = e.astype("float64")
    if not np.all((ef == 0) | (ef == 1)):
        raise ConfigError(f"{name} must be 0/1 (or boolean)")
    return ef == 1


def probability_ci(
    p: np.ndarray, se: np.ndarray, z: float, conf_type: str = "log-log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval for a probability with standard error ``se`` (R ``survfit_confint``).

    ``log-log``: ``p ** exp(±z·se / (p·|log p|))`` (the interval for ``log(-log p)``, which
    stays inside (0, 1); Kalbfleisch & Prentice 2002 §1.3); undefined (``nan``) where ``p`` is
    0 or 1, as in R (the transform has no slope there). ``log``: ``p·exp(±z·se/p)``, upper end
    capped at 1 (R ``survfit``'s default); ``nan`` at ``p = 0``. ``plain``: ``p ± z·se`` clipped
    to [0, 1]. Values within 1e-12 of 0 or 1 (sums of many floating-point steps) count as 0
    or 1, so ``1 − 1e-16`` cannot give an interval of [0, 1] or ``inf``.
    """
    p = np.asarray(p, dtype="float64")
    p = np.where(np.abs(p) < _EPS, 0.0, np.where(np.abs(p - 1.0) < _EPS, 1.0, p))
    se = np.asarray(se, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log-log":
            inner = (p > 0.0) & (p < 1.0)
            logp = np.log(np.where(inner, p, 0.5))
            w = z * se / (p * np.abs(logp))
            low = np.where(inner, p ** np.exp(w), np.nan)
            high = np.where(inner, p ** np.exp(-w), np.nan)
        elif conf_type == "log":
            w = np.where(se == 0.0, 0.0, z * se / p)
            low = np.where(p > 0.0, p * np.exp(-w), np.nan)
            high = np.where(p > 0.0, np.minimum(p * np.exp(w), 1.0), np.nan)
        else:
            low = np.clip(p - z * se, 0.0, 1.0)
            high = np.clip(p + z * se, 0.0, 1.0)
    return low, high


def curve_quantile(
    time: np.ndarray, rising: np.ndarray, p: float, rule: str = "midpoint"
) -> float:
    """Time at which a non-decreasing step curve (``1 − S`` or a cumulative incidence) reaches
    ``p``, by R ``survival``'s rule (``findq`` in ``quantile.survfit``, survival 3.5).

    ``midpoint`` (default, R and SAS PROC LIFETEST): the first time the curve reaches ``p``;
    where it sits at ``p`` exactly (within √ε) over a flat stretch, the mid-point between that
    time and the next time the curve moves (or the last observed time if it never moves
    again). ``first``: the first time the curve reaches ``p`` (statsmodels, lifelines).
    ``nan`` where the curve never reaches ``p``; ``nan`` values of the curve (an undefined
    confidence limit) are skipped, as R's ``approx`` does. Applied to the pointwise band it
    gives the quantile's confidence limits (Brookmeyer & Crowley 1982 through the band).
    """
    if rule not in QUANTILE_RULES:
        raise ConfigError(f"quantile rule must be one of {', '.join(QUANTILE_RULES)}; "
                          f"got {rule!r}")
    x = np.concatenate([[0.0], np.asarray(time, dtype="float64")])
    y = np.concatenate([[0.0], np.asarray(rising, dtype="float64")])
    if not np.any(np.isfinite(y)) or np.nanmax(y) < p:
        return float("nan")
    if rule == "first":
        hit = np.flatnonzero(np.nan_to_num(y, nan=-1.0) >= p - _EPS)
        return float(x[hit[0]]) if hit.size else float("nan")
    xmax = x[-1]
    # Keep the first time of each distinct curve value (R: duplicated(y), nan equal to nan).
    import pandas as pd

    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    # approx() drops nan points and sorts by value (a band need not be monotone).
    ok = np.flatnonzero(~np.isnan(y))
    ok = ok[np.argsort(y[ok], kind="stable")]
    yy = y[ok]

    def index(shift: float) -> float:
        # approx(y ± tol, 1:n, p, "constant", f = 1): the first point with value ≥ p.
        v = yy + shift
        if p < v[0] or p > v[-1]:
            return float("nan")
        return float(ok[np.searchsorted(v, p, side="left")])

    i1, i2 = index(_R_TOL), index(-_R_TOL)
    if p == 0:
        return float(x[0])
    if not np.isnan(y[-1]) and abs(p - y[-1]) < _R_TOL and not np.isnan(i1):
        return float((x[int(i1)] + xmax) / 2.0)
    if np.isnan(i1) or np.isnan(i2):
        return float("nan")
    return float((x[int(i1)] + x[int(i2)]) / 2.0)


@dataclass(frozen=True)
class Estimate:
    """A scalar estimate with standard error, interval and (where a test applies) p-value."""

    estimate: float
    se: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    p_value: float = float("nan")


def normal_difference(a: Estimate, b: Estimate, level: float = 0.95) -> Estimate:
    """``a − b`` of two independent estimates: Wald interval and two-sided z-test p-value."""
    z = z_value(level)
    diff = a.estimate - b.estimate
    se = float(np.hypot(a.se, b.se))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = float(2.0 * norm.sf(abs(diff) / se)) if se > 0 else float("nan")
    return Estimate(diff, se, diff - z * se, diff + z * se, p)


def normal_ratio(a: Estimate, b: Estimate, level: float = 0.95) -> Estimate:
    """``a / b`` of two independent positive estimates, delta method on the log scale.

    ``se(log(a/b)) = sqrt((se_a/a)² + (se_b/b)²)``; interval ``exp(log(a/b) ± z·se)``; p tests
    ratio = 1. ``se`` of the result is on the log scale.
    """
    z = z_value(level)
    if not (a.estimate > 0 and b.estimate > 0):
        return Estimate(float("nan"))
    log_r = np.log(a.estimate / b.estimate)
    se = float(np.hypot(a.se / a.estimate, b.se / b.estimate))
    p = float(2.0 * norm.sf(abs(log_r) / se)) if se > 0 else float("nan")
    return Estimate(float(np.exp(log_r)), se, float(np.exp(log_r - z * se)),
                    float(np.exp(log_r + z * se)), p)


# --- distinct-time bookkeeping ---------------------------------------------------------------


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, sorted uniques)`` with ``uniques[codes] == values``."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values).ravel(), sort=True)
    return codes.astype("int64", copy=False), np.asarray(uniques)


@dataclass(frozen=True)
class _Cells:
    """Persons mapped to distinct (stratum, time) cells, sorted by stratum then time.

    ``at_risk(x)`` turns per-cell sums into risk-set sums (everyone with time ≥ the cell's time
    in the same stratum) by one reverse cumulative sum.
    """

    time: np.ndarray  # time of each cell
    stratum: np.ndarray  # stratum code of each cell
    index: np.ndarray  # cell of each person
    next_start: np.ndarray  # first cell of the next stratum, per cell

    @classmethod
    def of(cls, time: np.ndarray, strata: np.ndarray | None = None) -> _Cells:
        # Hash-based factorisation with sorted codes: O(n) instead of np.unique's sort.
        trank, utime = _factorize(time)
        if strata is None:
            n = utime.size
            return cls(utime, np.zeros(n, dtype="int64"), trank,
                       np.full(n, n, dtype="int64"))
        scode, _ = _factorize(np.asarray(strata))
        key = scode * utime.size + trank
        index, ukey = _factorize(key)
        stratum = ukey // utime.size
        cell_time = utime[ukey % utime.size]
        # next_start[c] = position of the first cell whose stratum is greater.
        next_start = np.searchsorted(stratum, stratum, side="right")
        return cls(cell_time, stratum, index.ravel(), next_start)

    @property
    def size(self) -> int:
        return int(self.time.size)

    def count(self, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.index, weights=weights, minlength=self.size)

    def at_risk(self, per_cell: np.ndarray) -> np.ndarray:
        """Reverse cumulative sums within strata (axis 0)."""
        rc = np.cumsum(per_cell[::-1], axis=0)[::-1]
        pad = np.zeros((1,) + rc.shape[1:], dtype=rc.dtype)
        rc = np.concatenate([rc, pad], axis=0)
        return rc[:-1] - rc[self.next_start]
