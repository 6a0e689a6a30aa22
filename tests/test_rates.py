"""Rates and comparisons against independent computations: closed-form formulas written out
here, Newcombe's (1998) published table, and scipy's hypergeometric distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from fastholdelse_eval.core import tidy
from fastholdelse_eval.stats import rates

Z = stats.norm.ppf(0.975)


def wilson_by_hand(x: int, n: int, z: float = Z) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("x,n", [(137, 188), (97, 180), (59, 188), (32, 180), (10, 137), (1, 7)])
def test_wilson_matches_closed_form(x, n):
    est, low, high = rates.wilson(x, n)
    lo, hi = wilson_by_hand(x, n)
    assert est == x / n
    assert low == pytest.approx(lo, abs=1e-12)
    assert high == pytest.approx(hi, abs=1e-12)


def test_wilson_greve_published_shares():
    # The published shares: 72.9 % and 53.9 % (a Greve slide rounded the latter to 53 %).
    assert round(100 * rates.wilson(137, 188)[0], 1) == 72.9
    assert round(100 * rates.wilson(97, 180)[0], 1) == 53.9


def test_wilson_bounds_exact_at_extremes():
    assert rates.wilson(0, 10)[1] == 0.0
    assert rates.wilson(10, 10)[2] == 1.0
    assert rates.wilson(0, 10)[2] == pytest.approx(wilson_by_hand(0, 10)[1], abs=1e-12)


# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (score, no CC).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize("counts,expected", NEWCOMBE_TABLE_II)
def test_newcombe_reproduces_published_table(counts, expected):
    _, low, high = rates.newcombe_difference(*counts)
    assert low == pytest.approx(expected[0], abs=5e-5)
    assert high == pytest.approx(expected[1], abs=5e-5)


@pytest.mark.parametrize("x1,n1,x0,n0", [(137, 188, 97, 180), (59, 188, 32, 180), (3, 188, 2, 180)])
def test_newcombe_matches_wilson_composition(x1, n1, x0, n0):
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson_by_hand(x1, n1)
    l0, u0 = wilson_by_hand(x0, n0)
    est, low, high = rates.newcombe_difference(x1, n1, x0, n0)
    assert est == pytest.approx(p1 - p0, abs=1e-15)
    assert low == pytest.approx(p1 - p0 - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), abs=1e-10)
    assert high == pytest.approx(p1 - p0 + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2), abs=1e-10)


def test_katz_ratio_matches_closed_form():
    x1, n1, x0, n0 = 137, 188, 97, 180
    est, low, high, note = rates.katz_ratio(x1, n1, x0, n0)
    rr = (x1 / n1) / (x0 / n0)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    assert est == pytest.approx(rr, rel=1e-14)
    assert low == pytest.approx(rr * math.exp(-Z * se), rel=1e-10)
    assert high == pytest.approx(rr * math.exp(Z * se), rel=1e-10)
    assert note == ""
    # Greve: 1.35 (1.15 to 1.59)
    assert (round(est, 2), round(low, 2), round(high, 2)) == (1.35, 1.15, 1.59)


def fisher_by_hand(x1: int, n1: int, x0: int, n0: int) -> float:
    """Two-sided: sum of hypergeometric probabilities not above the observed one."""
    total, events = n1 + n0, x1 + x0
    dist = stats.hypergeom(total, events, n1)
    support = np.arange(max(0, events - n0), min(events, n1) + 1)
    pmf = dist.pmf(support)
    observed = dist.pmf(x1)
    return float(pmf[pmf <= observed * (1 + 1e-7)].sum())


@pytest.mark.parametrize("x1,n1,x0,n0", [(137, 188, 97, 180), (59, 188, 32, 180),
                                          (10, 137, 12, 97), (3, 188, 2, 180), (0, 5, 4, 5)])
def test_fisher_matches_hypergeometric_sum(x1, n1, x0, n0):
    assert rates.fisher_p(x1, n1, x0, n0) == pytest.approx(fisher_by_hand(x1, n1, x0, n0),
                                                           rel=1e-9)


def test_greve_rtw_rows_exact():
    t = tidy.frame(rates.rate_rows("rtw_rate", 137, 188, 97, 180))
    diff = t[t.group == "difference"].iloc[0]
    assert diff.estimate == pytest.approx(137 / 188 - 97 / 180, abs=1e-15)
    assert diff.p_value == pytest.approx(fisher_by_hand(137, 188, 97, 180), rel=1e-9)
    assert (round(diff.ci_low, 4), round(diff.ci_high, 4)) == (0.0916, 0.2833)
    inter = t[t.group == "intervention"].iloc[0]
    assert (inter.numerator, inter.denominator) == (137, 188)
    assert list(t.group) == ["intervention", "control", "difference", "ratio"]
    assert set(t.method) == {"wilson", "newcombe", "katz-log"}


@pytest.mark.parametrize("x1,n1,x0,n0", [(0, 10, 0, 12), (0, 10, 3, 12), (3, 10, 0, 12),
                                          (10, 10, 12, 12), (0, 0, 3, 12), (0, 0, 0, 0)])
def test_zero_cells_never_crash_and_are_defined(x1, n1, x0, n0):
    t = tidy.frame(rates.rate_rows("x", x1, n1, x0, n0))
    ratio = t[t.group == "ratio"].iloc[0]
    if n1 and n0 and x0 and x1:
        assert np.isfinite(ratio.ci_low)
    else:
        assert np.isnan(ratio.ci_low) and np.isnan(ratio.ci_high)
        assert ratio["note"]
    if n1 and n0 and x0 == 0:
        assert np.isnan(ratio.estimate)
    if n1 and n0 and x1 == 0 and x0 > 0:
        assert ratio.estimate == 0.0
    diff = t[t.group == "difference"].iloc[0]
    if n1 and n0:
        assert -1 <= diff.ci_low <= diff.estimate <= diff.ci_high <= 1
        assert 0 <= diff.p_value <= 1
    else:
        assert np.isnan(diff.estimate)


def test_level_changes_interval_width():
    _, l95, h95 = rates.wilson(137, 188, 0.95)
    _, l90, h90 = rates.wilson(137, 188, 0.90)
    assert l90 > l95 and h90 < h95
    lo, hi = wilson_by_hand(137, 188, stats.norm.ppf(0.95))
    assert (l90, h90) == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))


def test_mean_rows_match_scipy_welch():
    rng = np.random.default_rng(3)
    a, b = rng.gamma(2, 5, 40), rng.gamma(2, 7, 30)
    t = tidy.frame(rates.mean_rows("m", a, b))
    res = stats.ttest_ind(a, b, equal_var=False)
    diff = t[t.group == "difference"].iloc[0]
    assert diff.p_value == pytest.approx(res.pvalue, rel=1e-10)
    ci = res.confidence_interval(0.95)
    assert (diff.ci_low, diff.ci_high) == (pytest.approx(ci.low, rel=1e-10),
                                           pytest.approx(ci.high, rel=1e-10))
    one = t[t.group == "intervention"].iloc[0]
    se = a.std(ddof=1) / math.sqrt(len(a))
    q = stats.t.ppf(0.975, len(a) - 1)
    assert one.ci_low == pytest.approx(a.mean() - q * se, rel=1e-12)
    assert one.denominator == 40


def test_mean_rows_degenerate_inputs():
    t = tidy.frame(rates.mean_rows("m", np.array([]), np.array([3.0])))
    assert np.isnan(t.loc[t.group == "intervention", "estimate"].iloc[0])
    assert t.loc[t.group == "control", "estimate"].iloc[0] == 3.0
    assert np.isnan(t.loc[t.group == "difference", "ci_low"].iloc[0])
