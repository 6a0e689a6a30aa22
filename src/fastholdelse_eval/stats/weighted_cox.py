"""Cox proportional hazards with case weights (Efron ties) and a robust (sandwich) variance,
optionally clustered — R ``survival::coxph(Surv(t, e) ~ x, weights = w, robust = TRUE,
cluster = c)``.

Weighted Efron partial likelihood (as R's ``coxfit6``): at a time with ``d`` tied events whose
weights average ``w̄``, slot ``k = 0..d−1`` has denominator ``S₀ − (k/d)E₀`` (risk-set and
event-set sums of ``wᵢ exp(xᵢβ)``) and contributes ``−w̄ log(S₀ − (k/d)E₀)``; Newton–Raphson
with step halving.

Robust variance ``V = Dᵀ D`` with ``D`` the weighted dfbeta residuals ``wᵢ Uᵢ I⁻¹`` summed
within clusters (Lin & Wei 1989; Binder 1992), where ``Uᵢ`` is person i's score residual under
Efron's approximation: ``δᵢ (xᵢ − mean_k x̄ₖ(tᵢ)) − rᵢ Σ_{tⱼ ≤ tᵢ} Σₖ cᵢₖ hⱼₖ (xᵢ − x̄ⱼₖ)``,
with ``hⱼₖ = w̄ⱼ / (S₀ − (k/d)E₀)`` the slot's hazard increment, ``x̄ⱼₖ`` the slot's weighted mean
and ``cᵢₖ = 1 − k/d`` for a person with an event at ``tⱼ`` (1 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.stats.survival_common import Estimate, _as_time, _Cells, z_value


@dataclass(frozen=True)
class WeightedCox:
    params: np.ndarray
    naive_cov: np.ndarray  # inverse information (weights as frequencies)
    robust_cov: np.ndarray
    converged: bool
    n: int
    events: int

    def hazard_ratio(self, i: int = 0, level: float = 0.95) -> Estimate:
        """``exp(β)`` with the robust Wald interval and p-value."""
        b = float(self.params[i])
        s = float(np.sqrt(self.robust_cov[i, i]))
        if not (self.converged and np.isfinite(b) and np.isfinite(s) and s > 0):
            return Estimate(float("nan"))
        z = z_value(level)
        return Estimate(float(np.exp(b)), s, float(np.exp(b - z * s)),
                        float(np.exp(b + z * s)), float(2 * norm.sf(abs(b) / s)))


class _Model:
    def __init__(self, time, event, x, w):
        keep = w > 0
        self.keep = keep
        self.t, self.e, self.x, self.w = time[keep], event[keep], x[keep], w[keep]
        self.x = self.x - np.average(self.x, axis=0, weights=self.w)
        self.cells = _Cells.of(self.t)
        self.ci = self.cells.index
        size = self.cells.size
        ev = np.flatnonzero(self.e)
        self.ev = ev
        self.d = np.bincount(self.ci[ev], minlength=size)  # event rows per time (unweighted)
        self.wbar = np.where(self.d > 0, np.bincount(self.ci[ev], weights=self.w[ev],
                                                     minlength=size) / np.maximum(self.d, 1),
                             0.0)
        times = np.flatnonzero(self.d)
        dd = self.d[times]
        self.slot_cell = np.repeat(times, dd)
        starts = np.repeat(np.cumsum(dd) - dd, dd)
        self.f = (np.arange(dd.sum()) - starts) / np.repeat(dd, dd)
        self.p = self.x.shape[1]

    def sums(self, beta):
        size, p = self.cells.size, self.p
        r = np.exp(self.x @ beta)
        wr = self.w * r
        s0 = self.cells.at_risk(np.bincount(self.ci, weights=wr, minlength=size))
        s1 = np.column_stack([self.cells.at_risk(np.bincount(self.ci, weights=wr * self.x[:, a],
                                                             minlength=size))
                              for a in range(p)])
        s2 = np.empty((size, p, p))
        for a in range(p):
            for b in range(a, p):
                s2[:, a, b] = s2[:, b, a] = self.cells.at_risk(
                    np.bincount(self.ci, weights=wr * self.x[:, a] * self.x[:, b],
                                minlength=size))
        ev, ci = self.ev, self.ci[self.ev]
        e0 = np.bincount(ci, weights=wr[ev], minlength=size)
        e1 = np.column_stack([np.bincount(ci, weights=wr[ev] * self.x[ev, a], minlength=size)
                              for a in range(p)])
        e2 = np.empty((size, p, p))
        for a in range(p):
            for b in range(a, p):
                e2[:, a, b] = e2[:, b, a] = np.bincount(
                    ci, weights=wr[ev] * self.x[ev, a] * self.x[ev, b], minlength=size)
        return r, s0, s1, s2, e0, e1, e2

    def evaluate(self, beta):
        r, s0, s1, s2, e0, e1, e2 = self.sums(beta)
        sc, f = self.slot_cell, self.f
        den = s0[sc] - f * e0[sc]
        wb = self.wbar[sc]
        ev = self.ev
        loglik = float((self.w[ev] * (self.x[ev] @ beta)).sum() - (wb * np.log(den)).sum())
        xb = (s1[sc] - f[:, None] * e1[sc]) / den[:, None]
        grad = (self.w[ev, None] * self.x[ev]).sum(axis=0) - (wb[:, None] * xb).sum(axis=0)
        m2 = (s2[sc] - f[:, None, None] * e2[sc]) / den[:, None, None]
        info = np.einsum("k,kab->ab", wb, m2 - np.einsum("ka,kb->kab", xb, xb))
        return loglik, grad, info, (r, den, xb)

    def score_residuals(self, beta, parts) -> np.ndarray:
        r, den, xb = parts
        sc, f = self.slot_cell, self.f
        size = self.cells.size
        h = self.wbar[sc] / den
        # Per time: Σ_k h, Σ_k h x̄ (everyone at risk) and the down-weighted Σ_k (1−k/d)·…
        # (the persons with an event at that time).
        H = np.bincount(sc, weights=h, minlength=size)
        HX = np.column_stack([np.bincount(sc, weights=h * xb[:, a], minlength=size)
                              for a in range(self.p)])
        Hd = np.bincount(sc, weights=(1 - f) * h, minlength=size)
        HXd = np.column_stack([np.bincount(sc, weights=(1 - f) * h * xb[:, a], minlength=size)
                               for a in range(self.p)])
        mean_xb = np.column_stack([np.bincount(sc, weights=xb[:, a], minlength=size)
                                   for a in range(self.p)]) / np.maximum(self.d, 1)[:, None]
        cumH = np.cumsum(H)
        cumHX = np.cumsum(HX, axis=0)
        ci = self.ci
        prevH = cumH[ci] - H[ci]
        prevHX = cumHX[ci] - HX[ci]
        e = self.e.astype(bool)
        a_i = prevH + np.where(e, Hd[ci], H[ci])
        b_i = prevHX + np.where(e[:, None], HXd[ci], HX[ci])
        resid = -r[:, None] * (self.x * a_i[:, None] - b_i)
        resid += np.where(e[:, None], self.x - mean_xb[ci], 0.0)
        return resid


def weighted_cox(time: object, event: object, x: object, weights: object, *,
                 cluster: object = None, max_iter: int = 50, tol: float = 1e-9
                 ) -> WeightedCox:
    """Weighted Cox model with robust variance (see the module docstring)."""
    t = _as_time(time)
    e = np.asarray(event).astype(bool)
    xm = np.asarray(x, dtype="float64")
    if xm.ndim == 1:
        xm = xm[:, None]
    w = np.asarray(weights, dtype="float64")
    if not (xm.shape[0] == t.size == w.size == e.size):
        raise ConfigError("time, event, x and weights need the same number of rows")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ConfigError("weights must be finite and non-negative")
    p = xm.shape[1]
    nan = WeightedCox(np.full(p, np.nan), np.full((p, p), np.nan), np.full((p, p), np.nan),
                      False, int((w > 0).sum()), int((e & (w > 0)).sum()))
    if not (e & (w > 0)).any():
        return nan
    model = _Model(t, e, xm, w)
    beta = np.zeros(p)
    ll, grad, info, parts = model.evaluate(beta)
    converged = False
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        halvings = 0
        while True:
            nb = beta + step
            nll, ng, ni, nparts = model.evaluate(nb)
            if (np.isfinite(nll) and nll >= ll - 1e-12 * abs(ll)) or halvings > 30:
                break
            step /= 2
            halvings += 1
        beta, ll, grad, info, parts = nb, nll, ng, ni, nparts
        if np.max(np.abs(step)) < tol * max(1.0, float(np.max(np.abs(beta)))):
            converged = True
            break
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 30:
        return nan
    try:
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return nan
    dfbeta = (model.w[:, None] * model.score_residuals(beta, parts)) @ inv
    if cluster is not None:
        cl = np.asarray(cluster)[model.keep]
        codes = np.unique(cl, return_inverse=True)[1]
        dfbeta = np.column_stack([np.bincount(codes, weights=dfbeta[:, a])
                                  for a in range(p)])
    robust = dfbeta.T @ dfbeta
    return WeightedCox(beta, inv, robust, converged, int(model.w.size), int(model.e.sum()))
