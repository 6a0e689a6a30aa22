"""Propensity scores, balancing weights and overlap diagnostics, on arrays and covariate frames.

* :func:`design_matrix`: named covariates → a numeric matrix. Numeric columns enter as they are
  (or as a natural cubic regression spline, patsy ``cr(x, df=k)``, for those named in
  ``splines`` — the span of R's ``ns(x, knots = quantile(unique(x), …), Boundary.knots =
  range(x))`` with k − 2 interior knots, checked against R ``glm``), booleans as 0/1,
  anything else dummy-coded with the first sorted level as the reference.
* :func:`fit_propensity`: logistic regression of group (1 = intervention) on that matrix
  (statsmodels GLM, binomial, logit link: the same maximum-likelihood fit as R
  ``glm(family = binomial)``).
* :func:`balancing_weights`: weights for an estimand from the score ``e``:

  ========  ======================  ======================  =================================
  name      intervention            control                 estimand
  ========  ======================  ======================  =================================
  ``att``   1                       e / (1 − e)             effect on those who took part
  ``ate``   1 / e                   1 / (1 − e)             effect on everyone in the study
  ``overlap``  1 − e                e                       effect where the groups overlap
  ========  ======================  ======================  =================================

  (Rosenbaum 1987; Li, Morgan & Zaslavsky 2018 for overlap weights.) ``trim`` (e.g. 0.05)
  gives weight 0 to persons whose score lies outside ``[trim, 1 − trim]`` (Crump et al. 2009).
* :func:`effective_n`: Kish's effective sample size ``(Σw)² / Σw²``.
* :func:`common_support`: the share of each group whose score lies outside the range of the
  other group's scores (min–max rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import ConfigError

ESTIMANDS = ("att", "ate", "overlap")


@dataclass(frozen=True)
class Design:
    """A numeric design matrix with column names and the persons it could use."""

    x: np.ndarray  # complete rows only (see ``complete``)
    names: tuple[str, ...]
    complete: np.ndarray  # bool per input row: no covariate missing


def _is_numeric(values: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(values.dtype)
            and not pd.api.types.is_bool_dtype(values.dtype))


def design_matrix(frame: pd.DataFrame, covariates: Sequence[str],
                  splines: dict[str, int] | None = None) -> Design:
    """The covariates of ``frame`` as a numeric matrix (see the module docstring).

    Rows with a missing value in any covariate are left out (``complete`` marks the kept ones).
    A spline needs at least 3 degrees of freedom (patsy's natural cubic ``cr``, centred, so it
    adds ``df − 1`` columns).
    """
    splines = dict(splines or {})
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise ConfigError(f"covariates: not columns of the cohort: {', '.join(missing)}")
    bad = [c for c in splines if c not in covariates]
    if bad:
        raise ConfigError(f"splines: {', '.join(bad)} must also be named as covariates")
    complete = np.ones(len(frame), dtype=bool)
    for c in covariates:
        complete &= frame[c].notna().to_numpy()
    data = frame.loc[complete]
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for c in covariates:
        col = data[c]
        if c in splines:
            if not _is_numeric(col):
                raise ConfigError(f"splines: {c} is not a numeric column")
            df = int(splines[c])
            if df < 3:
                raise ConfigError(f"splines: {c} needs at least 3 degrees of freedom, got {df}")
            import patsy  # lazy: heavy

            basis = np.asarray(patsy.dmatrix(f"cr(x, df={df}) - 1",
                                             {"x": col.to_numpy(dtype="float64")}))
            # cr() spans the intercept; centring and dropping one column keeps the model
            # identifiable next to the logistic regression's own intercept.
            basis = basis[:, 1:] - basis[:, 1:].mean(axis=0)
            blocks.append(basis)
            names.extend(f"{c}[cr{j}]" for j in range(1, basis.shape[1] + 1))
        elif pd.api.types.is_bool_dtype(col.dtype):
            blocks.append(col.to_numpy(dtype="float64")[:, None])
            names.append(c)
        elif _is_numeric(col):
            blocks.append(col.to_numpy(dtype="float64")[:, None])
            names.append(c)
        else:
            text = col.astype(str)
            levels = sorted(text.unique())
            for level in levels[1:]:
                blocks.append((text == level).to_numpy(dtype="float64")[:, None])
                names.append(f"{c}={level}")
    x = np.hstack(blocks) if blocks else np.empty((int(complete.sum()), 0))
    return Design(x=x, names=tuple(names), complete=complete)


@dataclass(frozen=True)
class PropensityFit:
    """A fitted propensity model: score and logit per (complete) person, coefficients."""

    score: np.ndarray
    logit: np.ndarray
    names: tuple[str, ...]  # "(Intercept)" first
    params: np.ndarray
    se: np.ndarray
    converged: bool


def fit_propensity(x: np.ndarray, treat: np.ndarray, names: Sequence[str] | None = None
                   ) -> PropensityFit:
    """Logistic regression of ``treat`` (1 = intervention) on ``x`` with an intercept."""
    import statsmodels.api as sm  # lazy: heavy

    t = np.asarray(treat, dtype="float64")
    x = np.asarray(x, dtype="float64")
    if x.ndim == 1:
        x = x[:, None]
    if t.size == 0 or t.min() == t.max():
        raise ConfigError("propensity score: both groups need persons with complete covariates")
    exog = np.column_stack([np.ones(t.size), x])
    rank = np.linalg.matrix_rank(exog)
    if rank < exog.shape[1]:
        raise ConfigError("propensity score: the covariates are collinear (a column is constant "
                          "or a combination of others); leave one out")
    model = sm.GLM(t, exog, family=sm.families.Binomial())
    res = model.fit()
    lin = exog @ res.params
    score = 1.0 / (1.0 + np.exp(-lin))
    names = ("(Intercept)", *(names or [f"x{j}" for j in range(x.shape[1])]))
    converged = bool(res.converged) and bool(np.all(np.isfinite(res.params)))
    return PropensityFit(score=score, logit=lin, names=tuple(names),
                         params=np.asarray(res.params), se=np.asarray(res.bse),
                         converged=converged)


def balancing_weights(score: np.ndarray, treat: np.ndarray, estimand: str = "att",
                      trim: float | None = None) -> np.ndarray:
    """Weights for ``estimand`` (``att``, ``ate``, ``overlap``) from the score; see the module
    docstring. ``trim``: persons with a score outside ``[trim, 1 − trim]`` get weight 0."""
    if estimand not in ESTIMANDS:
        raise ConfigError(f"weighting: must be one of {', '.join(ESTIMANDS)}, got {estimand!r}")
    e = np.asarray(score, dtype="float64")
    t = np.asarray(treat).astype(bool)
    if estimand == "att":
        w = np.where(t, 1.0, e / (1.0 - e))
    elif estimand == "ate":
        w = np.where(t, 1.0 / e, 1.0 / (1.0 - e))
    else:
        w = np.where(t, 1.0 - e, e)
    if trim is not None:
        if not 0 < trim < 0.5:
            raise ConfigError(f"trim: must be between 0 and 0.5 (e.g. 0.05), got {trim!r}")
        w = np.where((e < trim) | (e > 1.0 - trim), 0.0, w)
    return w


def effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (0 without positive weights)."""
    w = np.asarray(weights, dtype="float64")
    s2 = float((w * w).sum())
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def common_support(score: np.ndarray, treat: np.ndarray) -> dict[str, tuple[int, int]]:
    """Per group (``intervention``, ``control``): (persons outside the other group's score
    range, persons in the group)."""
    e = np.asarray(score, dtype="float64")
    t = np.asarray(treat).astype(bool)
    out: dict[str, tuple[int, int]] = {}
    for name, own, other in (("intervention", t, ~t), ("control", ~t, t)):
        if not other.any():
            out[name] = (int(own.sum()), int(own.sum()))
            continue
        lo, hi = e[other].min(), e[other].max()
        outside = own & ((e < lo) | (e > hi))
        out[name] = (int(outside.sum()), int(own.sum()))
    return out
