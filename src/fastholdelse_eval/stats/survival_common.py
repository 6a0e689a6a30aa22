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
_EPS = 1e-12


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
    """Pointwise interval for a probability with standard error ``se``.

    ``log-log``: ``p ** exp(±z·se / (p·|log p|))`` (the interval for ``log(-log p)``, which
    stays inside (0, 1); Kalbfleisch & Prentice 2002 §1.3). ``log``: ``p·exp(±z·se/p)``,
    upper end capped at 1 (R ``survfit``'s default). ``plain``: ``p ± z·se`` clipped to [0, 1].
    Where ``p`` is 0 or 1 with zero variance the interval collapses to the point.
    """
    p = np.asarray(p, dtype="float64")
    se = np.asarray(se, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log-log":
            logp = np.log(p)
            w = z * se / (p * np.abs(logp))
            low = p ** np.exp(w)
            high = p ** np.exp(-w)
        elif conf_type == "log":
            w = z * se / p
            low = p * np.exp(-w)
            high = np.minimum(p * np.exp(w), 1.0)
        else:
            low = np.clip(p - z * se, 0.0, 1.0)
            high = np.clip(p + z * se, 0.0, 1.0)
    degenerate = ((p <= 0.0) | (p >= 1.0)) & (se <= 0.0)
    low = np.where(degenerate, p, low)
    high = np.where(degenerate, p, high)
    return low, high


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
