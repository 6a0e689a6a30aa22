"""Cox proportional hazards with Efron's handling of tied event times
(conventions: :mod:`fastholdelse_eval.stats.survival`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.stats.survival_common import (
    Estimate,
    _as_event,
    _as_time,
    _Cells,
    _factorize,
    z_value,
)

# --- Cox proportional hazards, Efron ties ----------------------------------------------------


@dataclass(frozen=True, repr=False)
class CoxResult:
    """Fitted Cox model: coefficients, model-based covariance (inverse observed information)."""

    names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    loglik: float
    loglik_null: float
    n: int
    events: int
    iterations: int
    converged: bool
    ties: str = "efron"

    @property
    def se(self) -> np.ndarray:
        d = np.diag(self.cov)
        # A non-converged fit can leave an indefinite matrix: no standard error then.
        return np.sqrt(np.where(d >= 0, d, np.nan))

    def hazard_ratio(self, name: str | int = 0, level: float = 0.95) -> Estimate:
        """``exp(β)`` with Wald interval ``exp(β ± z·se)`` and Wald p-value."""
        i = self.names.index(name) if isinstance(name, str) else int(name)
        z = z_value(level)
        b, s = float(self.params[i]), float(self.se[i])
        if not (self.converged and np.isfinite(b) and np.isfinite(s)):
            return Estimate(float("nan"))
        return Estimate(float(np.exp(b)), s, float(np.exp(b - z * s)), float(np.exp(b + z * s)),
                        float(2 * norm.sf(abs(b) / s)))

    def __repr__(self) -> str:
        body = ", ".join(f"{n}={b:.4g} (se {s:.3g})"
                         for n, b, s in zip(self.names, self.params, self.se, strict=True))
        return f"CoxResult({self.ties}; n={self.n}, events={self.events}; {body})"


class _EfronModel:
    """Log partial likelihood (Efron ties), gradient and information, one pass per iteration.

    With ``r_i = exp(x_iβ)``, risk-set sums ``S_k(t_j) = Σ_{t_i ≥ t_j} w_i r_i x_i^{⊗k}``
    (k = 0,1,2) and the same sums ``E_k`` over the ``m_j`` events at ``t_j``, Efron's slot
    ``l = 0..m_j−1`` has ``c_l = S_0 − (l/m_j) E_0``. Sums over slots reduce to five per-time
    scalars (Σ 1/c, Σ f/c, Σ 1/c², Σ f²/c², Σ f/c², with f = l/m_j), so each iteration is a
    handful of ``bincount`` passes over the rows plus arithmetic on the distinct times.

    Rows are persons compressed to distinct (stratum, time, event, covariates) patterns with
    frequency weights ``w`` (exact: identical rows contribute identically to every sum); with a
    continuous covariate there is little to compress and the rows stay persons.
    """

    def __init__(self, time, event, x, strata):
        cells = _Cells.of(time, strata)
        rows, weight = _compress(cells.index, event, x)
        if rows is not None:
            cells = _Cells(cells.time, cells.stratum, cells.index[rows], cells.next_start)
            event, x = event[rows], x[rows]
        else:
            weight = np.ones(event.size)
        self.cells, self.w = cells, weight
        self.x = x - np.average(x, axis=0, weights=weight)  # centring: same β, better scaled
        self.p = x.shape[1]
        self.ev = np.flatnonzero(event)
        self.w_ev = weight[self.ev]
        ev_cells = cells.index[self.ev]
        self.m = np.rint(np.bincount(ev_cells, weights=self.w_ev, minlength=cells.size)
                         ).astype("int64")  # events per cell
        cells_with = np.flatnonzero(self.m)
        m = self.m[cells_with]
        self.slot_cell = np.repeat(cells_with, m)
        starts = np.repeat(np.cumsum(m) - m, m)
        self.f = (np.arange(m.sum()) - starts) / np.repeat(m, m)
        self.sum_x_events = (self.w_ev[:, None] * self.x[self.ev]).sum(axis=0)
        self.pairs = [(a, b) for a in range(self.p) for b in range(a, self.p)]

    def _cell_sums(self, w: np.ndarray, index: np.ndarray, x: np.ndarray):
        size = self.cells.size
        s0 = np.bincount(index, weights=w, minlength=size)
        s1 = np.empty((size, self.p))
        s2 = np.empty((size, self.p, self.p))
        wx = [w * x[:, a] for a in range(self.p)]
        for a in range(self.p):
            s1[:, a] = np.bincount(index, weights=wx[a], minlength=size)
        for a, b in self.pairs:
            s2[:, a, b] = s2[:, b, a] = np.bincount(index, weights=wx[a] * x[:, b],
                                                    minlength=size)
        return s0, s1, s2

    def evaluate(self, beta: np.ndarray, derivatives: bool = True):
        eta = self.x @ beta
        shift = eta.max() if eta.size else 0.0
        r = np.exp(eta - shift) * self.w
        s0, s1, s2 = self._cell_sums(r, self.cells.index, self.x)
        s0 = self.cells.at_risk(s0)
        s1 = self.cells.at_risk(s1)
        s2 = self.cells.at_risk(s2)
        e0, e1, e2 = self._cell_sums(r[self.ev], self.cells.index[self.ev], self.x[self.ev])
        sc, f = self.slot_cell, self.f
        c = s0[sc] - f * e0[sc]
        loglik = float((self.w_ev * eta[self.ev]).sum() - shift * sc.size - np.log(c).sum())
        if not derivatives:
            return loglik, None, None
        size = self.cells.size
        inv = 1.0 / c
        inv2 = inv * inv
        h0 = np.bincount(sc, weights=inv, minlength=size)
        h1 = np.bincount(sc, weights=f * inv, minlength=size)
        q0 = np.bincount(sc, weights=inv2, minlength=size)
        q1 = np.bincount(sc, weights=f * inv2, minlength=size)
        q2 = np.bincount(sc, weights=f * f * inv2, minlength=size)
        grad = self.sum_x_events - (s1 * h0[:, None] - e1 * h1[:, None]).sum(axis=0)
        info = np.einsum("t,tab->ab", h0, s2) - np.einsum("t,tab->ab", h1, e2)
        info -= np.einsum("t,ta,tb->ab", q0, s1, s1)
        cross = np.einsum("t,ta,tb->ab", q1, s1, e1)
        info += cross + cross.T
        info -= np.einsum("t,ta,tb->ab", q2, e1, e1)
        return loglik, grad, info


def _compress(cell: np.ndarray, event: np.ndarray, x: np.ndarray
              ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Representative rows and counts of distinct (cell, event, x) patterns, or (None, None)
    when compressing would not pay (more than a third of the rows are distinct)."""
    n = cell.size
    key = cell.astype("int64") * 2 + event.astype("int64")
    span = (int(cell.max()) + 1) * 2 if n else 1
    for j in range(x.shape[1]):
        codes, uniques = _factorize(x[:, j])
        if span * uniques.size >= 2**62 or uniques.size > n // 3:
            return None, None
        key = key * uniques.size + codes
        span *= uniques.size
    codes, uniques = _factorize(key)
    if uniques.size > n // 3:
        return None, None
    first = np.empty(uniques.size, dtype="int64")
    # Any row of a pattern represents it (they are identical in cell, event and x).
    first[codes] = np.arange(n)
    return first, np.bincount(codes, minlength=uniques.size).astype("float64")


def cox_efron(
    time: object,
    event: object,
    x: object,
    *,
    names: Sequence[str] | None = None,
    strata: object = None,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> CoxResult:
    """Cox proportional-hazards model with Efron's tie correction, by Newton–Raphson.

    Maximises Efron's (1977) approximate partial likelihood
    ``Σ_j [Σ_{i∈D_j} x_iβ − Σ_{l<m_j} log(S_0(t_j) − (l/m_j) E_0(t_j))]`` with step-halving;
    stops when the largest Newton step is below ``tol``. Covariance = inverse observed
    information at the maximum (as R ``coxph`` and ``statsmodels PHReg(ties="efron")``).
    ``strata``: separate baseline hazards (risk sets within strata).
    ``converged`` is False (and hazard ratios ``nan``) when the likelihood has no finite
    maximum, e.g. all events in one group.
    """
    t = _as_time(time)
    e = _as_event(event, t.size)
    xm = np.asarray(x, dtype="float64")
    if xm.ndim == 1:
        xm = xm[:, None]
    if xm.shape[0] != t.size:
        raise ConfigError(f"x has {xm.shape[0]} rows but time has {t.size}")
    if not np.all(np.isfinite(xm)):
        raise ConfigError("covariates contain missing or infinite values")
    p = xm.shape[1]
    names = tuple(names) if names is not None else tuple(f"x{i}" for i in range(p))
    if len(names) != p:
        raise ConfigError(f"{len(names)} names for {p} covariates")
    st = None if strata is None else np.asarray(strata).ravel()
    nan_result = dict(names=names, params=np.full(p, np.nan), cov=np.full((p, p), np.nan),
                      n=int(t.size), events=int(e.sum()))
    if e.sum() == 0:
        return CoxResult(loglik=float("nan"), loglik_null=float("nan"), iterations=0,
                         converged=False, **nan_result)
    model = _EfronModel(t, e, xm, st)
    beta = np.zeros(p)
    loglik, grad, info = model.evaluate(beta)
    loglik_null = loglik
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        new_beta = beta + step
        new_ll, new_grad, new_info = model.evaluate(new_beta)
        halvings = 0
        while not (np.isfinite(new_ll) and new_ll >= loglik - 1e-12 * abs(loglik)) \
                and halvings < 30:
            step = step / 2
            new_beta = beta + step
            new_ll, new_grad, new_info = model.evaluate(new_beta)
            halvings += 1
        beta, loglik, grad, info = new_beta, new_ll, new_grad, new_info
        if np.max(np.abs(step)) < tol * max(1.0, float(np.max(np.abs(beta)))):
            converged = True
            break
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 30:
        converged = False  # monotone likelihood: no finite maximum (e.g. separation)
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full((p, p), np.nan)
        converged = False
    if not converged:
        return CoxResult(loglik=loglik, loglik_null=loglik_null, iterations=it, converged=False,
                         **{**nan_result, "params": beta, "cov": cov})
    return CoxResult(names=names, params=beta, cov=cov, loglik=loglik, loglik_null=loglik_null,
                     n=int(t.size), events=int(e.sum()), iterations=it, converged=True)
