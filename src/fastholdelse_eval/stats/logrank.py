"""The (stratified) log-rank test (conventions: :mod:`fastholdelse_eval.stats.survival`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.stats.survival_common import (
    _as_event,
    _as_time,
    _Cells,
)

# --- log-rank test ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRank:
    """Log-rank test: ``chisq = (O − E)ᵀ V⁻¹ (O − E)`` over groups 2..K, hypergeometric ``V``."""

    statistic: float
    df: int
    p_value: float
    groups: tuple
    observed: np.ndarray
    expected: np.ndarray


def logrank(time: object, event: object, group: object, strata: object = None) -> LogRank:
    """Log-rank (Mantel–Haenszel) test for K groups, exact for tied times, optionally stratified.

    At each distinct time ``t_j`` with ``d_j`` events among ``n_j`` at risk (``n_gj`` in group
    ``g``): ``E_gj = d_j n_gj / n_j`` and
    ``V_ghj = d_j (n_j − d_j) / (n_j − 1) · (n_gj / n_j)(δ_gh − n_hj / n_j)`` (times with
    ``n_j > 1``). A stratified test sums ``O − E`` and ``V`` over strata (risk sets within strata).
    """
    t = _as_time(time)
    e = _as_event(event, t.size).astype("float64")
    g = np.asarray(group).ravel()
    if g.shape[0] != t.size:
        raise ConfigError(f"group has {g.shape[0]} values but time has {t.size}")
    labels, gcode = np.unique(g, return_inverse=True)
    k = labels.size
    if k < 2:
        raise ConfigError("the log-rank test needs at least two groups")
    st = None if strata is None else np.asarray(strata).ravel()
    cells = _Cells.of(t, st)
    gcode = gcode.ravel()
    onehot = np.zeros((t.size, k))
    onehot[np.arange(t.size), gcode] = 1.0
    per_cell_n = np.column_stack([cells.count(onehot[:, i]) for i in range(k)])
    per_cell_d = np.column_stack([cells.count(onehot[:, i] * e) for i in range(k)])
    n_g = cells.at_risk(per_cell_n)  # (T, K)
    n = n_g.sum(axis=1)
    d_g = per_cell_d
    d = d_g.sum(axis=1)
    use = (d > 0) & (n > 1)
    n_g, n, d_g, d = n_g[use], n[use], d_g[use], d[use]
    frac = n_g / n[:, None]
    observed = d_g.sum(axis=0)
    expected = (d[:, None] * frac).sum(axis=0)
    w = d * (n - d) / (n - 1)
    cov = np.einsum("t,ti,tj->ij", w, frac, frac)
    var = np.diag((w[:, None] * frac).sum(axis=0)) - cov
    oe = (observed - expected)[1:]
    v = var[1:, 1:]
    stat = float(oe @ np.linalg.solve(v, oe)) if np.all(np.diag(v) > 0) else float("nan")
    p = float(chi2.sf(stat, k - 1)) if np.isfinite(stat) else float("nan")
    return LogRank(stat, k - 1, p, tuple(labels.tolist()), observed, expected)
