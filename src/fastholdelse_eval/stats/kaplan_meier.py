"""Kaplan–Meier survival curves, quantiles (Brookmeyer–Crowley CI) and restricted mean
survival time (conventions: :mod:`fastholdelse_eval.stats.survival`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.stats.survival_common import (
    _EPS,
    Estimate,
    _as_event,
    _as_time,
    _Cells,
    _check_conf_type,
    curve_quantile,
    normal_difference,
    probability_ci,
    z_value,
)

# --- Kaplan–Meier ----------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class KaplanMeier:
    """Kaplan–Meier estimate at every distinct observed time.

    ``se`` is Greenwood's standard error of ``surv``:
    ``se(t) = S(t)·sqrt(Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j)))`` (``nan`` once the estimate has
    dropped to 0). ``ci_low``/``ci_high`` are pointwise intervals of type ``conf_type``.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    level: float
    conf_type: str

    @property
    def n(self) -> int:
        return int(self.n_risk[0]) if self.n_risk.size else 0

    @property
    def events(self) -> int:
        return int(self.n_event.sum())

    @property
    def last_time(self) -> float:
        return float(self.time[-1]) if self.time.size else 0.0

    def __repr__(self) -> str:
        med = self.median()
        return (f"KaplanMeier(n={self.n}, events={self.events}, median={med.estimate:g}, "
                f"{self.level:.0%} CI [{med.ci_low:g}, {med.ci_high:g}], {self.conf_type})")

    def _index(self, t: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.time, t, side="right") - 1

    def _beyond(self, t: np.ndarray) -> np.ndarray:
        # Past the last observed time the curve is unknown unless it has already reached 0.
        last_s = self.surv[-1] if self.surv.size else 1.0
        return (t > self.last_time) & (last_s > 0)

    def survival_at(self, t: float | Sequence[float] | np.ndarray) -> np.ndarray:
        """S(t) (right-continuous); ``nan`` beyond the last observed time unless S has hit 0."""
        t = np.atleast_1d(np.asarray(t, dtype="float64"))
        i = self._index(t)
        s = np.where(i >= 0, self.surv[np.maximum(i, 0)] if self.surv.size else 1.0, 1.0)
        return np.where(self._beyond(t), np.nan, s)

    def at(self, t: float | Sequence[float] | np.ndarray) -> dict[str, np.ndarray]:
        """Survival, Greenwood SE and pointwise interval at times ``t`` (arrays)."""
        t = np.atleast_1d(np.asarray(t, dtype="float64"))
        i = self._index(t)
        ok = i >= 0
        j = np.maximum(i, 0)
        beyond = self._beyond(t)

        def pick(arr: np.ndarray, before: float) -> np.ndarray:
            vals = np.where(ok, arr[j], before) if arr.size else np.full(t.shape, before)
            return np.where(beyond, np.nan, vals)

        return {"time": t, "surv": pick(self.surv, 1.0), "se": pick(self.se, 0.0),
                "ci_low": pick(self.ci_low, 1.0), "ci_high": pick(self.ci_high, 1.0),
                "n_risk": self.risk_at(t)}

    def risk_at(self, t: float | Sequence[float] | np.ndarray) -> np.ndarray:
        """Numbers at risk at ``t`` (persons with time ≥ t)."""
        t = np.atleast_1d(np.asarray(t, dtype="float64"))
        i = np.searchsorted(self.time, t, side="left")
        padded = np.concatenate([self.n_risk, [0]])
        return padded[i].astype("int64")

    def quantile(self, p: float = 0.5, rule: str = "midpoint") -> Estimate:
        """Time by which a share ``p`` has had the event, with its confidence limits.

        R ``quantile.survfit`` (survival 3.5), see :func:`curve_quantile`: the point estimate
        is the first time with ``S(t) ≤ 1 − p``, or — ``rule="midpoint"``, the default, as R
        and SAS PROC LIFETEST — the mid-point to the next drop where ``S`` sits exactly at
        ``1 − p`` over a flat stretch (``rule="first"``: the first time, as statsmodels and
        lifelines). The limits are the same quantile of the pointwise ``conf_type`` band: the
        lower limit where the upper band reaches ``1 − p``, the upper limit where the lower
        band does (Brookmeyer & Crowley 1982, in R's form). ``nan`` = not reached.
        """
        est = curve_quantile(self.time, 1.0 - self.surv, p, rule)
        low = curve_quantile(self.time, 1.0 - self.ci_low, p, rule)
        high = curve_quantile(self.time, 1.0 - self.ci_high, p, rule)
        return Estimate(est, ci_low=low, ci_high=high)

    def median(self, rule: str = "midpoint") -> Estimate:
        """Median time (``quantile(0.5, rule)``); ``nan`` when not reached."""
        return self.quantile(0.5, rule)

    def rmst(self, tau: float) -> Estimate:
        """Restricted mean up to ``tau``: ``∫_0^τ S(u) du``, with its Greenwood-type variance.

        ``Var = Σ_{t_j ≤ τ} A_j² d_j / (n_j (n_j − d_j))`` with ``A_j = ∫_{t_j}^τ S(u) du``
        (Klein & Moeschberger 2003, eq. 4.5.2; R ``print.survfit(rmean=τ)``). Wald interval.
        ``nan`` if ``τ`` lies beyond the last observed time and the curve has not reached 0.
        """
        tau = float(tau)
        if not np.isfinite(tau) or tau < 0:
            raise ConfigError(f"horizon must be a non-negative number of weeks, got {tau!r}")
        if self._beyond(np.array([tau]))[0]:
            return Estimate(float("nan"))
        keep = self.time < tau
        t = self.time[keep]
        s = self.surv[keep]
        # Pieces [0, t_1), [t_1, t_2), …, [t_k, τ) with S = 1, S_1, …, S_k.
        edges = np.concatenate([[0.0], t, [tau]])
        heights = np.concatenate([[1.0], s])
        areas = heights * np.diff(edges)
        est = float(areas.sum())
        # A_j = area from t_j to τ = sum of the pieces that start at or after t_j.
        tail = np.cumsum(areas[::-1])[::-1][1:]
        n, d = self.n_risk[keep], self.n_event[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where((d > 0) & (n > d), tail**2 * d / (n * (n - d)), 0.0)
        se = float(np.sqrt(terms.sum()))
        z = z_value(self.level)
        return Estimate(est, se, est - z * se, est + z * se)

    def to_frame(self):  # pragma: no cover - thin convenience
        import pandas as pd

        return pd.DataFrame({"time": self.time, "n_risk": self.n_risk, "n_event": self.n_event,
                             "n_censor": self.n_censor, "surv": self.surv, "se": self.se,
                             "ci_low": self.ci_low, "ci_high": self.ci_high})


def kaplan_meier(
    time: object, event: object, *, level: float = 0.95, conf_type: str = "log-log"
) -> KaplanMeier:
    """Kaplan–Meier estimator with Greenwood variance.

    ``S(t) = Π_{t_j ≤ t} (1 − d_j / n_j)`` over distinct times ``t_j`` with ``d_j`` events and
    ``n_j`` at risk. ``conf_type`` chooses the pointwise interval and the median interval:
    ``log-log`` (default; Kalbfleisch & Prentice; SAS and statsmodels default), ``log`` (R
    ``survfit`` default) or ``plain``.
    """
    _check_conf_type(conf_type)
    z = z_value(level)
    t = _as_time(time)
    e = _as_event(event, t.size)
    cells = _Cells.of(t)
    n_all = cells.count()
    d = cells.count(e.astype("float64"))
    n = cells.at_risk(n_all)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n)
        gw = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
    surv = np.where(surv < _EPS, 0.0, surv)
    with np.errstate(invalid="ignore"):
        se = np.where(np.isfinite(gw), surv * np.sqrt(gw), np.nan)
    low, high = probability_ci(surv, se, z, conf_type)
    return KaplanMeier(
        time=cells.time, n_risk=n.astype("int64"), n_event=d.astype("int64"),
        n_censor=(n_all - d).astype("int64"), surv=surv, se=se, ci_low=low, ci_high=high,
        level=float(level), conf_type=conf_type,
    )


def rmst_difference(a: KaplanMeier, b: KaplanMeier, tau: float, level: float = 0.95) -> Estimate:
    """RMST(a) − RMST(b) up to ``tau``: Wald interval, two-sided z-test (independent groups)."""
    return normal_difference(a.rmst(tau), b.rmst(tau), level)
