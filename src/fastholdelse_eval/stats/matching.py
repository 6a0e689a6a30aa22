"""Nearest-neighbour matching on the logit of the propensity score, and entropy balancing.

:func:`nearest_neighbour` is greedy k:1 matching of each intervention person to the controls
nearest on the logit score, within a caliper of ``caliper`` standard deviations of the logit
(Austin 2011 recommends 0.2), with or without replacement. It follows R
``MatchIt::matchit(method = "nearest", distance = "glm", link = "linear.logit",
m.order = "largest", caliper = c, ratio = k, replace = r)``: intervention persons are matched
in descending order of their score, a caliper is in standard deviations of the logit over all
persons, and with ``ratio > 1`` without replacement every intervention person gets a first
control before any gets a second. Weights are MatchIt's for the ATT: 1 for a matched
intervention person; a control gets Σ 1/kᵢ over the intervention persons i it was matched to
(kᵢ = their number of controls), rescaled so that the matched controls' weights sum to their
number; unmatched persons weigh 0. ``subclass`` numbers the matched sets (−1 = unmatched;
with replacement a control can serve several sets and keeps the first).

:func:`entropy_balance` (Hainmueller 2012) finds control weights, as close as possible to
uniform in the Kullback–Leibler sense, whose weighted covariate means equal the intervention
group's exactly (ATT). Solved in the dual, ``min_λ log Σ exp(λ·(xᵢ − x̄₁))``, by Newton's method.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from fastholdelse_eval.core.errors import ConfigError


@dataclass(frozen=True)
class Matching:
    """Result of :func:`nearest_neighbour`: weights and matched set per person."""

    weights: np.ndarray
    subclass: np.ndarray  # matched set of each person, −1 = unmatched
    caliper_width: float  # on the logit scale (nan = no caliper)
    replace: bool
    ratio: int

    @property
    def matched(self) -> np.ndarray:
        return self.weights > 0


def nearest_neighbour(logit: np.ndarray, treat: np.ndarray, *, caliper: float | None = 0.2,
                      ratio: int = 1, replace: bool = False) -> Matching:
    """Greedy nearest-neighbour matching on ``logit`` (see the module docstring)."""
    d = np.asarray(logit, dtype="float64")
    t = np.asarray(treat).astype(bool)
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or ratio < 1:
        raise ConfigError(f"ratio: must be a whole number ≥ 1, got {ratio!r}")
    if caliper is not None and not caliper > 0:
        raise ConfigError(f"caliper: must be a positive number of standard deviations, "
                          f"got {caliper!r}")
    width = float(caliper * d.std(ddof=1)) if caliper is not None else float("inf")
    n = d.size
    # Every person in ascending score order (stable: data order among ties), as MatchIt.
    order = np.argsort(d, kind="stable")
    pos = np.empty(n, dtype="int64")
    pos[order] = np.arange(n)
    sd = d[order]
    treated = np.flatnonzero(t)
    # Intervention persons are matched in descending order of their score (R's
    # order(decreasing = TRUE), which keeps data order among ties).
    treated = treated[np.argsort(-d[treated], kind="stable")]
    control_pos = np.sort(pos[~t])
    reuse = treated.size if replace else 1
    times = np.zeros(n, dtype="int64")
    own: dict[int, list[int]] = {}
    pairs_t: list[int] = []
    pairs_c: list[int] = []
    avail = control_pos.tolist()  # sorted positions of controls that can still be used
    # Greedy matching is sequential by nature: each choice changes what the next person can
    # have, so this loop over intervention persons cannot be vectorised.
    for _ in range(ratio):
        for i in treated:
            if not avail:
                break
            ii = int(pos[i])
            taken = own.get(int(i), [])
            j = bisect.bisect_left(avail, ii)
            left = _walk(avail, j - 1, -1, taken)
            right = _walk(avail, j, 1, taken)
            cands = [k for k in (left, right) if k is not None]
            if not cands:
                continue
            k = cands[0] if len(cands) == 1 else (
                left if abs(sd[left] - sd[ii]) <= abs(sd[right] - sd[ii]) else right)
            if abs(sd[k] - sd[ii]) > width:
                continue  # the nearest is outside the caliper: none further can be closer
            c = int(order[k])
            own.setdefault(int(i), []).append(k)
            pairs_t.append(int(i))
            pairs_c.append(c)
            times[c] += 1
            if times[c] >= reuse:
                avail.pop(bisect.bisect_left(avail, k))
    pt = np.asarray(pairs_t, dtype="int64")
    pc = np.asarray(pairs_c, dtype="int64")
    weights = np.zeros(n)
    subclass = np.full(n, -1, dtype="int64")
    if pt.size:
        k_of = np.bincount(pt, minlength=n).astype("float64")
        weights[np.unique(pt)] = 1.0
        cw = np.bincount(pc, weights=1.0 / k_of[pt], minlength=n)
        used = cw > 0
        weights[used] = cw[used] * used.sum() / cw[used].sum()
        # Matched sets numbered by the intervention persons' matching order.
        uniq, first = np.unique(pt, return_index=True)
        rank = np.argsort(np.argsort(first))  # sets in the order they were first matched
        set_of = rank[np.searchsorted(uniq, pt)]
        subclass[pt] = set_of
        first = np.unique(pc, return_index=True)[1]
        subclass[pc[first]] = set_of[first]
    return Matching(weights=weights, subclass=subclass,
                    caliper_width=width if caliper is not None else float("nan"),
                    replace=replace, ratio=int(ratio))


def _walk(avail: list[int], j: int, step: int, taken: list[int]) -> int | None:
    """The first available control position from index ``j`` in direction ``step`` that is
    not already matched to this person (with replacement, a person takes a control once)."""
    while 0 <= j < len(avail):
        if avail[j] not in taken:
            return avail[j]
        j += step
    return None


def entropy_balance(x: np.ndarray, treat: np.ndarray, *, max_iter: int = 200,
                    tol: float = 1e-10) -> np.ndarray:
    """Entropy-balancing weights for the ATT: 1 for the intervention group; control weights
    (summing to the number of controls) whose weighted means of every column of ``x`` equal the
    intervention group's means."""
    x = np.asarray(x, dtype="float64")
    if x.ndim == 1:
        x = x[:, None]
    t = np.asarray(treat).astype(bool)
    if not t.any() or t.all():
        raise ConfigError("entropy balancing: both groups need persons")
    # Standardised columns: same solution, better-conditioned Newton steps.
    sd = x.std(axis=0)
    keep = sd > 0
    z = (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]
    target = z[t].mean(axis=0)
    zc = z[~t] - target
    lam = np.zeros(zc.shape[1])

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = zc @ lam
        shift = eta.max() if eta.size else 0.0
        q = np.exp(eta - shift)
        s = q.sum()
        p = q / s
        grad = p @ zc
        hess = (zc * p[:, None]).T @ zc - np.outer(grad, grad)
        return float(np.log(s) + shift), grad, hess

    value, grad, hess = dual(lam)
    converged = False
    for _ in range(max_iter):
        if np.max(np.abs(grad)) < tol:
            converged = True
            break
        try:
            step = np.linalg.solve(hess + 1e-12 * np.eye(lam.size), grad)
        except np.linalg.LinAlgError:
            break
        a = 1.0
        while a > 1e-10:
            v2, g2, h2 = dual(lam - a * step)
            if v2 <= value + 1e-14 * abs(value):
                break
            a /= 2
        lam, value, grad, hess = lam - a * step, v2, g2, h2
    if not converged and np.max(np.abs(grad)) > 1e-6:
        raise ConfigError("entropy balancing did not converge: the control group cannot reach "
                          "the intervention group's covariate means (too little overlap)")
    eta = zc @ lam
    q = np.exp(eta - eta.max())
    w = np.ones(t.size)
    w[~t] = q / q.sum() * (~t).sum()
    return w
