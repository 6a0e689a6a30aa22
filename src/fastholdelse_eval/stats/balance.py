"""Covariate balance before and after weighting: standardised mean differences and variance
ratios, per numeric covariate and per level of a categorical one.

For a numeric covariate, ``SMD = (m̄₁ʷ − m̄₀ʷ) / √((s₁² + s₀²)/2)`` with weighted means and the
*unweighted* sample variances (ddof = 1) in the denominator, so that before and after share
one scale (Austin & Stuart 2015, Stat Med 34:3661; cobalt's ``s.d.denom = "pooled"``). For each
level of a categorical covariate the indicator's shares ``p`` replace the means and
``p(1 − p)`` the variances (Austin 2009, eq. 2). A level absent in one group has share 0
there and its SMD is computed as usual; a level present in no weighted person of either group
has SMD 0. The variance ratio (numeric covariates only) is the weighted variance of the
intervention group over the control group's, each ``Σw(x − m̄ʷ)² · Σw / ((Σw)² − Σw²)``
(cobalt's ``col_w_var``, reliability weights; the unweighted case is the ordinary ddof = 1
variance).

Thresholds of the verdict: |SMD| < 0.1 and variance ratio within 0.5–2 (Austin 2009; Rubin 2001).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SMD_LIMIT = 0.1
VARIANCE_RATIO_RANGE = (0.5, 2.0)


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    s = w.sum()
    return float((w * x).sum() / s) if s > 0 else float("nan")


def _wvar(x: np.ndarray, w: np.ndarray) -> float:
    s, s2 = w.sum(), (w * w).sum()
    if s <= 0 or s * s - s2 <= 0:
        return float("nan")
    m = (w * x).sum() / s
    return float((w * (x - m) ** 2).sum() * s / (s * s - s2))


def _smd(m1: float, m0: float, pooled_var: float) -> float:
    if not np.isfinite(pooled_var):
        return float("nan")
    if pooled_var <= 0:
        return 0.0 if m1 == m0 else float("nan")
    return float((m1 - m0) / np.sqrt(pooled_var))


def balance_table(frame: pd.DataFrame, covariates: Sequence[str], treat: np.ndarray,
                  weights: np.ndarray) -> pd.DataFrame:
    """One row per numeric covariate and per level of a categorical one: ``covariate``,
    ``level`` ("" for numeric), ``mean_intervention``/``mean_control`` before and after
    (``*_weighted``), ``smd_before``, ``smd_after``, ``variance_ratio_before``,
    ``variance_ratio_after`` (NaN for levels). Persons missing the covariate are left out of
    its rows."""
    t = np.asarray(treat).astype(bool)
    w = np.asarray(weights, dtype="float64")
    rows = []
    for cov in covariates:
        col = frame[cov]
        known = col.notna().to_numpy()
        numeric = (pd.api.types.is_numeric_dtype(col.dtype)
                   and not pd.api.types.is_bool_dtype(col.dtype))
        if numeric:
            items = [("", col.to_numpy(dtype="float64", na_value=np.nan))]
        else:
            text = col.astype("string")
            levels = sorted(text.dropna().unique())
            items = [(str(lv), (text == lv).fillna(False).to_numpy(dtype="float64"))
                     for lv in levels]
        for level, x in items:
            a, b = t & known, ~t & known
            x1, x0, w1, w0 = x[a], x[b], w[a], w[b]
            ones1, ones0 = np.ones(x1.size), np.ones(x0.size)
            m1, m0 = _wmean(x1, ones1), _wmean(x0, ones0)
            m1w, m0w = _wmean(x1, w1), _wmean(x0, w0)
            if numeric:
                v1, v0 = _wvar(x1, ones1), _wvar(x0, ones0)
                pooled = (v1 + v0) / 2
                vr_before = v1 / v0 if v0 > 0 else float("nan")
                v1w, v0w = _wvar(x1, w1), _wvar(x0, w0)
                vr_after = v1w / v0w if v0w > 0 else float("nan")
            else:
                pooled = (m1 * (1 - m1) + m0 * (1 - m0)) / 2
                vr_before = vr_after = float("nan")
            after = _smd(m1w, m0w, pooled)
            if not numeric and m1w == 0 and m0w == 0:
                after = 0.0
            rows.append({"covariate": cov, "level": level,
                         "mean_intervention": m1, "mean_control": m0,
                         "mean_intervention_weighted": m1w, "mean_control_weighted": m0w,
                         "smd_before": _smd(m1, m0, pooled), "smd_after": after,
                         "variance_ratio_before": vr_before,
                         "variance_ratio_after": vr_after})
    return pd.DataFrame(rows, columns=[
        "covariate", "level", "mean_intervention", "mean_control",
        "mean_intervention_weighted", "mean_control_weighted", "smd_before", "smd_after",
        "variance_ratio_before", "variance_ratio_after"])


def is_balanced(table: pd.DataFrame, column: str = "after") -> pd.Series:
    """Per row: |SMD| < 0.1 and (numeric) variance ratio within 0.5–2."""
    smd = table[f"smd_{column}"].abs()
    vr = table[f"variance_ratio_{column}"]
    lo, hi = VARIANCE_RATIO_RANGE
    vr_ok = vr.isna() | ((vr >= lo) & (vr <= hi))
    return (smd < SMD_LIMIT) & vr_ok
