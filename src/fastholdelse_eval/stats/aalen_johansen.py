"""Aalen–Johansen cumulative incidence for competing outcomes, Dinse–Larson variance
(conventions: :mod:`fastholdelse_eval.stats.survival`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.stats.survival_common import (
    _EPS,
    Estimate,
    _as_time,
    _Cells,
    curve_quantile,
    probability_ci,
    z_value,
)

# --- Aalen–Johansen cumulative incidence -----------------------------------------------------


@dataclass(frozen=True, repr=False)
class CumulativeIncidence:
    """Aalen–Johansen cumulative incidence of each cause, exact with tied times.

    ``cif[k-1]`` is ``F_k(t) = Σ_{t_j ≤ t} S(t_j−) d_kj / n_j`` where ``S`` is the all-cause
    Kaplan–Meier; ``se[k-1]`` its delta-method (Dinse & Larson 1986; Marubini & Valsecchi
    1995 eq. 10.18; Stata ``stcompet``; ``statsmodels CumIncidenceRight``) standard error::

        Var F_k(t) = Σ_{j} [F_k(t) − F_k(t_j)]² d_j / (n_j (n_j − d_j))
                   + Σ_{j} S(t_j−)² d_kj (n_j − d_kj) / n_j³
                   − 2 Σ_{j} [F_k(t) − F_k(t_j)] S(t_j−) d_kj / n_j²       (sums over t_j ≤ t)

    ``surv``/``surv_se`` are the all-cause Kaplan–Meier and its Greenwood SE (the share still
    in the initial state, ``1 − Σ_k F_k``). Intervals use the log-log transform.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray  # (K, T)
    surv: np.ndarray
    surv_se: np.ndarray
    cif: np.ndarray  # (K, T)
    se: np.ndarray  # (K, T)
    causes: tuple[int, ...]
    level: float

    @property
    def last_time(self) -> float:
        return float(self.time[-1]) if self.time.size else 0.0

    def __repr__(self) -> str:
        last = ", ".join(f"F{c}={self.cif[k, -1]:.3g}" for k, c in enumerate(self.causes))
        return f"CumulativeIncidence(n={int(self.n_risk[0])}, causes={self.causes}, {last} at end)"

    def at(self, t: float | Sequence[float] | np.ndarray, cause: int = 1) -> dict[str, np.ndarray]:
        """``F_cause`` with SE and log-log interval at times ``t``; ``nan`` past follow-up."""
        if cause not in self.causes:
            raise ConfigError(f"cause {cause} not among {self.causes}")
        k = self.causes.index(cause)
        return self._pick(t, self.cif[k], self.se[k], 0.0)

    def quantile(self, p: float = 0.5, cause: int = 1, rule: str = "midpoint") -> Estimate:
        """Time by which a share ``p`` has had event ``cause`` (the competing causes kept in the
        denominator), with the interval from the pointwise log-log band.

        R's rule (:func:`curve_quantile`; ``rule="first"`` for the first time ``F ≥ p``): the
        point where ``F_cause`` reaches ``p``, the lower limit where the band's upper limit
        does, the upper limit where its lower limit does. ``nan`` = not reached (``F`` may
        never reach ``p`` when competing causes take the rest).
        """
        if cause not in self.causes:
            raise ConfigError(f"cause {cause} not among {self.causes}")
        k = self.causes.index(cause)
        f = self.cif[k]
        low, high = probability_ci(f, self.se[k], z_value(self.level), "log-log")
        return Estimate(curve_quantile(self.time, f, p, rule),
                        ci_low=curve_quantile(self.time, high, p, rule),
                        ci_high=curve_quantile(self.time, low, p, rule))

    def surv_at(self, t: float | Sequence[float] | np.ndarray) -> dict[str, np.ndarray]:
        """All-cause survival (still in the initial state) at ``t`` with Greenwood SE."""
        return self._pick(t, self.surv, self.surv_se, 1.0)

    def _pick(self, t, values, se, before) -> dict[str, np.ndarray]:
        t = np.atleast_1d(np.asarray(t, dtype="float64"))
        i = np.searchsorted(self.time, t, side="right") - 1
        ok = i >= 0
        j = np.maximum(i, 0)
        last_s = self.surv[-1] if self.surv.size else 1.0
        beyond = (t > self.last_time) & (last_s > 0)
        est = np.where(beyond, np.nan, np.where(ok, values[j], before))
        sev = np.where(beyond, np.nan, np.where(ok, se[j], 0.0))
        low, high = probability_ci(est, sev, z_value(self.level), "log-log")
        return {"time": t, "estimate": est, "se": sev, "ci_low": low, "ci_high": high}


def aalen_johansen(
    time: object, cause: object, *, causes: Sequence[int] | None = None, level: float = 0.95
) -> CumulativeIncidence:
    """Aalen–Johansen cumulative incidence for competing causes (see :class:`CumulativeIncidence`).

    ``cause``: 0 = censored, 1, 2, … = the cause of the event. ``causes`` fixes which causes
    are reported (default: those present, ascending); a cause with no events gets F = 0.
    """
    z_value(level)
    t = _as_time(time)
    c = np.asarray(cause).ravel()
    if c.shape[0] != t.size:
        raise ConfigError(f"cause has {c.shape[0]} values but time has {t.size}")
    c = c.astype("int64")
    if c.size and c.min() < 0:
        raise ConfigError("cause codes must be 0 (censored) or positive")
    if causes is None:
        causes = tuple(int(k) for k in np.unique(c[c > 0]))
    causes = tuple(int(k) for k in causes)
    cells = _Cells.of(t)
    n = cells.at_risk(cells.count())
    dk = np.vstack([cells.count((c == k).astype("float64")) for k in causes]) if causes else \
        np.zeros((0, cells.size))
    d = cells.count((c > 0).astype("float64"))
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n)
        # Once everyone left has the event (n = d) nobody is left: those terms are exactly 0.
        ra = np.where((d > 0) & (n > d), d / (n * (n - d)), 0.0)
    surv = np.where(surv < _EPS, 0.0, surv)
    s_before = np.concatenate([[1.0], surv[:-1]])
    gw = np.cumsum(ra)
    surv_se = surv * np.sqrt(gw)
    cif = np.cumsum(s_before * dk / n, axis=1)
    # A sum of many steps can land a hair above 1 (1.0000000000000002) or below it; the
    # probability is exactly 1 there (everyone has had this cause) and is reported as such.
    cif = np.where(np.abs(cif - 1.0) < _EPS, 1.0, np.clip(cif, 0.0, 1.0))
    # Expanded form of the sums over j ≤ t (each a cumulative sum, so all t at once).
    v = cif**2 * gw - 2 * cif * np.cumsum(cif * ra, axis=1) + np.cumsum(cif**2 * ra, axis=1)
    v += np.cumsum(s_before**2 * dk * (n - dk) / n**3, axis=1)
    v += -2 * cif * np.cumsum(s_before * dk / n**2, axis=1) \
        + 2 * np.cumsum(cif * s_before * dk / n**2, axis=1)
    # Where F is exactly 1 the estimate cannot vary; what the expanded sums leave there is
    # rounding (1e-8), which would give a spurious interval.
    se = np.where(cif == 1.0, 0.0, np.sqrt(np.clip(v, 0.0, None)))
    return CumulativeIncidence(
        time=cells.time, n_risk=n.astype("int64"), n_event=dk.astype("int64"), surv=surv,
        surv_se=surv_se, cif=cif, se=se, causes=causes, level=float(level),
    )
