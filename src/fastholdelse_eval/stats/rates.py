"""Rates and their comparison between intervention and control.

- single rate: Wilson score interval (Wilson 1927);
- difference (intervention − control): Newcombe's hybrid score interval, method 10 of
  Newcombe (1998), without continuity correction; two-sided Fisher exact p;
- ratio (intervention / control): Katz et al. (1978) log interval,
  ``exp(log RR ± z·sqrt(1/x1 − 1/n1 + 1/x0 − 1/n0))``.

Zero cells: Wilson and Newcombe intervals are defined for 0 and n events and are reported as
they are. The Katz interval needs both counts above zero: with a zero count the ratio's point
estimate is still given where it is finite (0 when only the intervention count is 0), its
interval is left empty and the row's ``note`` says why. A group with no persons (n = 0) gives
empty estimates. Nothing raises on zero cells.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from fastholdelse_eval.core import tidy

NAN = float("nan")


def _alpha(level: float) -> float:
    return 1.0 - level


def wilson(x: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Proportion x/n with its Wilson score interval; NaNs when n = 0."""
    if n <= 0:
        return NAN, NAN, NAN
    low, high = proportion_confint(x, n, alpha=_alpha(level), method="wilson")
    # The score interval's bounds are exactly 0 at x = 0 and 1 at x = n; floating point gives
    # 1e-17-sized noise there, which would print as a nonsense "0.0000" lower bound.
    low = 0.0 if x == 0 else min(max(float(low), 0.0), 1.0)
    high = 1.0 if x == n else min(max(float(high), 0.0), 1.0)
    return x / n, low, high


def newcombe_difference(x1: int, n1: int, x0: int, n0: int,
                        level: float = 0.95) -> tuple[float, float, float]:
    """p1 − p0 with Newcombe's hybrid score interval (method 10)."""
    if n1 <= 0 or n0 <= 0:
        return NAN, NAN, NAN
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff",
                                           alpha=_alpha(level))
    return x1 / n1 - x0 / n0, float(low), float(high)


def katz_ratio(x1: int, n1: int, x0: int, n0: int,
               level: float = 0.95) -> tuple[float, float, float, str]:
    """p1 / p0 with the Katz log interval; returns (estimate, low, high, note)."""
    if n1 <= 0 or n0 <= 0:
        return NAN, NAN, NAN, "no persons in a group"
    if x0 == 0:
        return NAN, NAN, NAN, "ratio undefined: no events in the control group"
    estimate = (x1 / n1) / (x0 / n0)
    if x1 == 0:
        return estimate, NAN, NAN, "interval undefined: no events in the intervention group"
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio",
                                           alpha=_alpha(level))
    return estimate, float(low), float(high), ""


def fisher_p(x1: int, n1: int, x0: int, n0: int) -> float:
    """Two-sided Fisher exact p for the 2×2 table (events, non-events) × (intervention, control)."""
    if n1 <= 0 or n0 <= 0:
        return NAN
    return float(stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]]).pvalue)


def rate_rows(
    metric: str,
    x1: int,
    n1: int,
    x0: int,
    n0: int,
    *,
    level: float = 0.95,
    municipality: str = "all",
) -> list[dict[str, Any]]:
    """Four tidy rows for one rate: intervention, control, difference, ratio."""
    rows = []
    for group, x, n in (("intervention", x1, n1), ("control", x0, n0)):
        est, low, high = wilson(x, n, level)
        rows.append(tidy.row(metric, group, est, low, high, numerator=x, denominator=n,
                             method="wilson", municipality=municipality))
    est, low, high = newcombe_difference(x1, n1, x0, n0, level)
    rows.append(tidy.row(metric, "difference", est, low, high, p_value=fisher_p(x1, n1, x0, n0),
                         method="newcombe", municipality=municipality))
    est, low, high, note = katz_ratio(x1, n1, x0, n0, level)
    extra = {"note": note} if note else {}
    rows.append(tidy.row(metric, "ratio", est, low, high, method="katz-log",
                         municipality=municipality, **extra))
    return rows


def count_rows(n1: int, n0: int, *, municipality: str = "all") -> list[dict[str, Any]]:
    """The ``n`` rows: persons per group."""
    return [
        tidy.row("n", "intervention", float(n1), numerator=n1, method="count",
                 municipality=municipality),
        tidy.row("n", "control", float(n0), numerator=n0, method="count",
                 municipality=municipality),
    ]


def mean_rows(
    metric: str,
    values1: np.ndarray,
    values0: np.ndarray,
    *,
    level: float = 0.95,
    municipality: str = "all",
) -> list[dict[str, Any]]:
    """Means per group (t interval) and their difference (Welch t interval and p)."""
    alpha = _alpha(level)
    rows = []
    for group, v in (("intervention", values1), ("control", values0)):
        v = np.asarray(v, dtype=float)
        if len(v) == 0:
            est = low = high = NAN
        elif len(v) == 1:
            est, low, high = float(v[0]), NAN, NAN
        else:
            d = DescrStatsW(v)
            low, high = d.tconfint_mean(alpha=alpha)
            est = float(d.mean)
        rows.append(tidy.row(metric, group, est, low, high, denominator=len(v), method="t",
                             municipality=municipality))
    v1, v0 = np.asarray(values1, float), np.asarray(values0, float)
    if len(v1) >= 2 and len(v0) >= 2 and (v1.var() > 0 or v0.var() > 0):
        cm = CompareMeans(DescrStatsW(v1), DescrStatsW(v0))
        low, high = cm.tconfint_diff(alpha=alpha, usevar="unequal")
        p = float(cm.ttest_ind(usevar="unequal")[1])
        est = float(v1.mean() - v0.mean())
    else:
        est = float(v1.mean() - v0.mean()) if len(v1) and len(v0) else NAN
        low = high = p = NAN
    rows.append(tidy.row(metric, "difference", est, low, high, p_value=p, method="welch-t",
                         municipality=municipality))
    return rows


def is_finite(value: float) -> bool:
    return value is not None and math.isfinite(value)
