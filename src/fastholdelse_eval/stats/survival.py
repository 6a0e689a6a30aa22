"""Survival estimators on numpy arrays: Kaplan–Meier, RMST, Aalen–Johansen, log-rank, Cox (Efron).

Everything here is pure and vectorised, and works on the *distinct* times (register durations
in days/7 are heavily tied: a million persons have a few hundred distinct times), so the cost
per estimator is one sort plus a handful of ``np.bincount`` passes — no loop over persons and
no loop over times.

Conventions
-----------
* ``time`` is a float array (weeks), ``event`` a 0/1 (bool) array; ``cause`` an int array with
  0 = censored and 1, 2, … = cause of the event.
* Step functions are right-continuous: ``S(t)`` includes the events at ``t``.
* A value that the data cannot give (a median not reached, a survival probability beyond the
  last follow-up time, a confidence bound not reached) is ``nan`` — never a made-up number.

References
----------
Kalbfleisch & Prentice (1980/2002) *The Statistical Analysis of Failure Time Data*;
Klein & Moeschberger (2003) *Survival Analysis*, 2nd ed., §4.2–4.5 and §4.7 (restricted mean);
Brookmeyer & Crowley (1982) Biometrics 38:29–41 (median CI);
Marubini & Valsecchi (1995) *Analysing Survival Data from Clinical Trials and Observational
Studies* §10 and Dinse & Larson (1986) Biometrika 73:379–386 (cumulative incidence variance);
Efron (1977) JASA 72:557–565 (tied event times in the Cox model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, norm

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

    def quantile(self, p: float = 0.5) -> Estimate:
        """Time by which a share ``p`` has had the event, with Brookmeyer–Crowley interval.

        Point estimate: the first event time with ``S(t) ≤ 1 − p`` (SAS, statsmodels and lifelines
        convention; R instead takes a mid-point when S is exactly 1 − p over an interval).
        Interval: the event times ``t`` where ``|g(S(t)) − g(1 − p)| ≤ z·g'(S(t))·se(t)`` with
        ``g`` the transform of ``conf_type`` (Brookmeyer & Crowley 1982, as SAS PROC LIFETEST
        and ``statsmodels SurvfuncRight.quantile_ci``); the lower limit is the first such time,
        the upper limit the event time after the last such time. ``nan`` = not reached.
        """
        target = 1.0 - p
        ev = self.n_event > 0
        t_ev, s_ev, se_ev = self.time[ev], self.surv[ev], self.se[ev]
        hit = np.flatnonzero(s_ev <= target + _EPS)
        est = float(t_ev[hit[0]]) if hit.size else float("nan")
        z = z_value(self.level)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.conf_type == "log-log":
                r = (np.log(-np.log(s_ev)) - np.log(-np.log(target))) * (s_ev * np.log(s_ev))
            elif self.conf_type == "log":
                r = (np.log(s_ev) - np.log(target)) * s_ev
            else:
                r = s_ev - target
            r = r / se_ev
        ok = np.flatnonzero(np.abs(r) <= z)
        if ok.size == 0:
            return Estimate(est)
        low = float(t_ev[ok[0]])
        high = float(t_ev[ok[-1] + 1]) if ok[-1] + 1 < t_ev.size else float("nan")
        return Estimate(est, ci_low=low, ci_high=high)

    def median(self) -> Estimate:
        """Median time (``quantile(0.5)``); ``nan`` when not reached."""
        return self.quantile(0.5)

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
    # Expanded form of the sums over j ≤ t (each a cumulative sum, so all t at once).
    v = cif**2 * gw - 2 * cif * np.cumsum(cif * ra, axis=1) + np.cumsum(cif**2 * ra, axis=1)
    v += np.cumsum(s_before**2 * dk * (n - dk) / n**3, axis=1)
    v += -2 * cif * np.cumsum(s_before * dk / n**2, axis=1) \
        + 2 * np.cumsum(cif * s_before * dk / n**2, axis=1)
    se = np.sqrt(np.clip(v, 0.0, None))
    return CumulativeIncidence(
        time=cells.time, n_risk=n.astype("int64"), n_event=dk.astype("int64"), surv=surv,
        surv_se=surv_se, cif=cif, se=se, causes=causes, level=float(level),
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
