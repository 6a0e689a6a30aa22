"""Models of repeated scores: ANCOVA at one visit and a linear mixed model of the trajectory.

Both work on arrays (no cohorts, no files) and are checked against R in
``tests/test_progression_stats.py``:

* :func:`ancova` — ``follow-up ~ baseline + group`` by ordinary least squares (statsmodels
  ``OLS``), as R ``lm``; the group coefficient is the baseline-adjusted difference, with a
  t interval.
* :func:`mixed_trajectory` — ``score ~ time * group`` with a random intercept and a random slope
  of time per person (unstructured 2×2 covariance), fitted by REML (statsmodels ``MixedLM``),
  as R ``lme4::lmer(score ~ time * group + (time | person), REML = TRUE)``; the ``time × group``
  coefficient is the difference in slope (score points per month). Intervals are Wald
  (normal) intervals, as statsmodels reports them; lmer reports no p-value for it.

The mixed model uses every measurement a person has, so persons who drop out still count with
the visits they attended; its estimates are unbiased when drop-out is *missing at random*
(depends only on what was observed, e.g. earlier scores and group), not when it depends on the
unobserved score itself.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from fastholdelse_eval.core.errors import EstimationError

NAN = float("nan")


@dataclass(frozen=True)
class Coefficient:
    """One model coefficient with its standard error, interval and p-value."""

    estimate: float
    se: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    p_value: float = NAN
    n: int = 0


def ancova(followup: np.ndarray, baseline: np.ndarray, treated: np.ndarray,
           level: float = 0.95) -> Coefficient:
    """The baseline-adjusted group difference at one visit (OLS, t interval), as R
    ``lm(followup ~ baseline + treated)``; ``n`` = persons with both scores."""
    import statsmodels.api as sm  # lazy: heavy

    y = np.asarray(followup, dtype="float64")
    b = np.asarray(baseline, dtype="float64")
    t = np.asarray(treated, dtype="float64")
    ok = np.isfinite(y) & np.isfinite(b) & np.isfinite(t)
    y, b, t = y[ok], b[ok], t[ok]
    n = int(ok.sum())
    if n < 4 or len(np.unique(t)) < 2:
        return Coefficient(NAN, n=n)
    x = np.column_stack([np.ones(n), b, t])
    fit = sm.OLS(y, x).fit()
    low, high = fit.conf_int(alpha=1 - level)[2]
    return Coefficient(float(fit.params[2]), float(fit.bse[2]), float(low), float(high),
                       float(fit.pvalues[2]), n)


@dataclass(frozen=True)
class MixedFit:
    """A fitted random-intercept-and-slope model (see :func:`mixed_trajectory`)."""

    interaction: Coefficient  # difference in slope, intervention − control, per time unit
    slope_control: Coefficient
    slope_intervention: Coefficient
    intercept: float
    group_at_zero: float
    re_cov: np.ndarray  # random-effects covariance (intercept, slope)
    residual_var: float
    n_persons: int
    n_obs: int
    converged: bool


def _fixed_cov(x: np.ndarray, z: np.ndarray, person: np.ndarray, cov_re: np.ndarray,
               scale: float) -> np.ndarray:
    """``(Σ_i X_i' V_i⁻¹ X_i)⁻¹`` with ``V_i = Z_i Ψ Z_i' + σ² I``: the covariance of the fixed
    effects given the variance parameters, as R ``vcov(lmer)``. (statsmodels' ``cov_params``
    inverts the joint information of fixed and variance parameters, which differs from lme4's
    by about 0.1 % here.) By Woodbury, ``X'V⁻¹X = (X'X − Σ_i X_i'Z_i (σ²Ψ⁻¹ + Z_i'Z_i)⁻¹
    Z_i'X_i) / σ²``, summed per person without a loop over persons."""
    codes = pd.factorize(person)[0]
    k = int(codes.max()) + 1
    p, q = x.shape[1], z.shape[1]
    xz = np.zeros((k, p, q))
    zz = np.zeros((k, q, q))
    np.add.at(xz, codes, x[:, :, None] * z[:, None, :])
    np.add.at(zz, codes, z[:, :, None] * z[:, None, :])
    inner = np.linalg.inv(scale * np.linalg.inv(cov_re)[None] + zz)
    correction = np.einsum("kpq,kqr,ksr->ps", xz, inner, xz)
    return np.linalg.inv((x.T @ x - correction) / scale)


def mixed_trajectory(score: np.ndarray, time: np.ndarray, treated: np.ndarray,
                     person: np.ndarray, level: float = 0.95) -> MixedFit:
    """``score ~ time * treated + (time | person)`` by REML (see the module docstring)."""
    import statsmodels.formula.api as smf  # lazy: heavy

    d = pd.DataFrame({"score": np.asarray(score, "float64"), "time": np.asarray(time, "float64"),
                      "treated": np.asarray(treated, "float64"), "person": np.asarray(person)})
    d = d[np.isfinite(d[["score", "time", "treated"]]).all(axis=1)]
    n_persons = int(d["person"].nunique())
    if n_persons < 4 or d["treated"].nunique() < 2:
        raise EstimationError("too few persons for the mixed model")
    model = smf.mixedlm("score ~ time * treated", d, groups=d["person"], re_formula="~time")
    fit = None
    for method in ("lbfgs", "bfgs", "powell"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = model.fit(reml=True, method=method)
            except (np.linalg.LinAlgError, ValueError):
                continue
        if fit.converged:
            break
    if fit is None:
        raise EstimationError("the mixed model could not be fitted")
    z = norm.ppf(0.5 + level / 2)
    names = list(fit.fe_params.index)
    beta = fit.fe_params.to_numpy()
    cov_re = np.asarray(fit.cov_re, dtype="float64")
    cov = _fixed_cov(np.asarray(model.exog), np.asarray(model.exog_re),
                     d["person"].to_numpy(), cov_re, float(fit.scale))

    def coef(weights: np.ndarray) -> Coefficient:
        est = float(weights @ beta)
        se = float(np.sqrt(weights @ cov @ weights))
        p = float(2 * norm.sf(abs(est) / se)) if se > 0 else NAN
        return Coefficient(est, se, est - z * se, est + z * se, p, n_persons)

    def unit(name: str) -> np.ndarray:
        w = np.zeros(len(names))
        w[names.index(name)] = 1.0
        return w

    return MixedFit(
        interaction=coef(unit("time:treated")),
        slope_control=coef(unit("time")),
        slope_intervention=coef(unit("time") + unit("time:treated")),
        intercept=float(fit.fe_params["Intercept"]),
        group_at_zero=float(fit.fe_params["treated"]),
        re_cov=cov_re,
        residual_var=float(fit.scale),
        n_persons=n_persons,
        n_obs=int(len(d)),
        converged=bool(fit.converged),
    )
