"""Restricted mean time split into segments of time, with covariance and a person-level bootstrap.

The restricted mean up to τ, ``∫_0^τ S(u) du``, split at ``0 = b_0 < b_1 < … < b_K = τ`` into the
areas ``a_k = ∫_{b_k}^{b_{k+1}} S(u) du`` under a Kaplan–Meier curve (a business case needs the
benefit weeks in each segment of a refusion schedule). Any weighted area ``Σ_k w_k a_k`` is then
a linear form in ``a``.

Covariance (:func:`segment_areas`): the Greenwood-type delta method of the restricted mean
(Klein & Moeschberger 2003, eq. 4.5.2), one column per segment. With ``d_j`` events among
``n_j`` at risk at event time ``t_j < τ`` and ``A_jk = ∫_{max(t_j, b_k)}^{b_{k+1}} S(u) du``
(segment k's area after ``t_j``), ``Cov(a_k, a_l) = Σ_j A_jk A_jl d_j / (n_j (n_j − d_j))``;
with one segment this is the variance of :meth:`KaplanMeier.rmst`.

Bootstrap (:func:`bootstrap_segment_areas`): persons drawn with replacement (multinomial
counts), the Kaplan–Meier curve of each replicate from weighted counts per distinct time, all
replicates at once (no loop over persons). A replicate whose longest time falls before τ keeps
its last value of S to τ (the curve is carried forward).
"""

from __future__ import annotations

import numpy as np

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.stats.kaplan_meier import KaplanMeier
from fastholdelse_eval.stats.survival_common import _as_event, _as_time, _Cells

# Replicates per block: bounds memory at BLOCK × persons counts.
BLOCK = 250


def check_breaks(breaks: object) -> np.ndarray:
    """Segment edges ``0 = b_0 < … < b_K = τ`` as a float array."""
    b = np.asarray(breaks, dtype="float64").ravel()
    if b.size < 2 or not np.all(np.isfinite(b)) or b[0] != 0 or np.any(np.diff(b) <= 0):
        raise ConfigError("segment edges must increase from 0 to the horizon, e.g. [0, 4, 26]")
    return b


def _pieces(times: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left ends, widths and segment of the pieces on which S is constant within a segment."""
    tau = breaks[-1]
    knots = np.union1d(breaks[:-1], times[times < tau])
    width = np.diff(np.concatenate([knots, [tau]]))
    seg = np.searchsorted(breaks, knots, side="right") - 1
    return knots, width, seg


def segment_areas(km: KaplanMeier, breaks: object) -> tuple[np.ndarray, np.ndarray]:
    """Areas ``a_k`` under ``km`` in each segment of ``breaks`` and their covariance matrix.

    ``nan`` areas (and covariance) when τ lies beyond the curve's last time while S > 0.
    """
    b = check_breaks(breaks)
    k = b.size - 1
    tau = b[-1]
    if np.isnan(km.survival_at(tau)[0]):
        return np.full(k, np.nan), np.full((k, k), np.nan)
    knots, width, seg = _pieces(km.time, b)
    height = np.where(knots < (km.time[0] if km.time.size else np.inf), 1.0,
                      km.survival_at(knots))
    onehot = np.zeros((knots.size, k))
    onehot[np.arange(knots.size), seg] = 1.0
    piece = (height * width)[:, None] * onehot
    areas = piece.sum(axis=0)
    # A[p, k]: area of segment k from piece p on (reverse cumulative sum over pieces).
    after = np.cumsum(piece[::-1], axis=0)[::-1]
    keep = (km.time < tau) & (km.n_event > 0) & (km.n_risk > km.n_event)
    t, n, d = km.time[keep], km.n_risk[keep].astype("float64"), km.n_event[keep]
    a = after[np.searchsorted(knots, t)]
    g = d / (n * (n - d))
    cov = (a * g[:, None]).T @ a
    return areas, cov


def bootstrap_segment_areas(time: object, event: object, breaks: object, replicates: int,
                            rng: np.random.Generator) -> np.ndarray:
    """Areas under the Kaplan–Meier curve per segment in ``replicates`` bootstrap samples of
    the persons (an array replicates × segments); see the module docstring."""
    t = _as_time(time)
    e = _as_event(event, t.size)
    b = check_breaks(breaks)
    n = t.size
    if n == 0:
        return np.full((replicates, b.size - 1), np.nan)
    cells = _Cells.of(t)
    m = cells.size
    knots, width, seg = _pieces(cells.time, b)
    # Column of S (per cell) in force at each knot; −1 = before the first time (S = 1).
    col = np.searchsorted(cells.time, knots, side="right") - 1
    onehot = np.zeros((knots.size, b.size - 1))
    onehot[np.arange(knots.size), seg] = width
    out = []
    for start in range(0, replicates, BLOCK):
        size = min(BLOCK, replicates - start)
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype("float64")
        flat = (np.arange(size)[:, None] * m + cells.index[None, :]).ravel()
        total = np.bincount(flat, weights=w.ravel(), minlength=size * m).reshape(size, m)
        died = np.bincount(flat, weights=(w * e[None, :]).ravel(),
                           minlength=size * m).reshape(size, m)
        at_risk = np.cumsum(total[:, ::-1], axis=1)[:, ::-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(at_risk > 0, died / at_risk, 0.0)
        surv = np.cumprod(1.0 - hazard, axis=1)
        padded = np.concatenate([np.ones((size, 1)), surv], axis=1)
        out.append(padded[:, col + 1] @ onehot)
    return np.concatenate(out, axis=0)
