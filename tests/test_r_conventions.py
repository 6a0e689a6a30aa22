"""Edge cases checked against R (survival 3.5.3, cmprsk 2.2): the numbers R prints are pinned
here with the R call beside them (CI does not run R). Where we deliberately differ from R the
test says so and docs/conventions.md explains why."""

from __future__ import annotations

import numpy as np
import pytest

from fastholdelse_eval.analysis.durations import duration_rows
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.simulate import simulate_cohort
from fastholdelse_eval.stats.survival import aalen_johansen, kaplan_meier, probability_ci
from fastholdelse_eval.stats.weighted import median as weighted_median
from fastholdelse_eval.stats.weighted import weighted_km

NA = float("nan")
# 50 persons, many ending in the same week (register durations are whole weeks).
TIES_T = [3] * 10 + [5] * 25 + [9] * 10 + [12] * 5
TIES_E = [1] * 45 + [0] * 5


def _triple(e):
    return (e.estimate, e.ci_low, e.ci_high)


def _same(got, want):
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float),
                               rtol=1e-6, equal_nan=True)  # R prints 7 digits


@pytest.mark.parametrize(("time", "event", "conf_type", "p", "want"), [
    # quantile(survfit(Surv(c(1,2,3,4,5,6,7,8), c(1,1,1,1,0,1,1,1)) ~ 1,
    #          conf.type="log-log"), 0.5)  -> 5 [1, NA]  (S = 0.5 from week 4 to week 6)
    ([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 1, 0, 1, 1, 1], "log-log", 0.5, (5, 1, NA)),
    # quantile(survfit(Surv(c(2,4,6,8,10,12), rep(1,6)) ~ 1, conf.type="log-log"),
    #          c(.25,.5,.75))  -> 4 [2, 8]; 7 [2, NA]; 10 [4, NA]
    ([2, 4, 6, 8, 10, 12], [1] * 6, "log-log", 0.25, (4, 2, 8)),
    ([2, 4, 6, 8, 10, 12], [1] * 6, "log-log", 0.5, (7, 2, NA)),
    ([2, 4, 6, 8, 10, 12], [1] * 6, "log-log", 0.75, (10, 4, NA)),
    # same data, conf.type="log" (R's default) -> 7 [4, NA]
    ([2, 4, 6, 8, 10, 12], [1] * 6, "log", 0.5, (7, 4, NA)),
    # S flat at 0.5 to the last (censored) time 4: R takes the mid-point to it -> 3 [1, NA]
    ([1, 2, 3, 4], [1, 1, 0, 0], "log-log", 0.5, (3, 1, NA)),
    # S never reaches 0.5 -> NA [1, NA]
    ([1, 2, 3, 4, 5], [1, 1, 0, 0, 0], "log-log", 0.5, (NA, 1, NA)),
])
def test_km_quantile_matches_r(time, event, conf_type, p, want):
    _same(_triple(kaplan_meier(time, event, conf_type=conf_type).quantile(p)), want)


@pytest.mark.parametrize("conf_type", ["log-log", "log", "plain"])
def test_km_median_limits_with_heavy_ties_match_r(conf_type):
    # S falls from 0.8 to 0.3 in week 5: no event time has S near 0.5, so a test-inversion
    # interval over event times is empty (we printed NaN). R reads the limits off the band:
    # quantile(survfit(Surv(t, e) ~ 1, conf.type=ct), 0.5) with t = c(rep(3,10), rep(5,25),
    # rep(9,10), rep(12,5)), e = c(rep(1,45), rep(0,5)) -> 5 [5, 5] for all three types.
    _same(_triple(kaplan_meier(TIES_T, TIES_E, conf_type=conf_type).median()), (5, 5, 5))


def test_km_log_log_interval_undefined_at_one_and_zero():
    # summary(survfit(Surv(1:6, c(0,0,1,0,1,1)) ~ 1, conf.type="log-log")) prints NA limits at
    # weeks 1-2 (S = 1) and 6 (S = 0); weeks 3-5: [0.1279469, 0.9605486], [0.01097112, 0.8080011]
    km = kaplan_meier([1, 2, 3, 4, 5, 6], [0, 0, 1, 0, 1, 1])
    _same(km.ci_low, [NA, NA, 0.12794692, 0.12794692, 0.01097112, NA])
    _same(km.ci_high, [NA, NA, 0.9605486, 0.9605486, 0.8080011, NA])
    # conf.type="log" at S = 1 gives [1, 1] in R (survfit_confint); plain [1, 1] too.
    for conf_type in ("log", "plain"):
        low, high = probability_ci(np.array([1.0]), np.array([0.0]), 1.96, conf_type)
        assert (low[0], high[0]) == (1.0, 1.0)
    low, high = probability_ci(np.array([0.0]), np.array([0.0]), 1.96, "log")
    assert np.isnan(low[0]) and np.isnan(high[0])  # R: log at p = 0 is NA


def test_cumulative_incidence_at_one_is_exactly_one_without_a_spurious_interval():
    # Ten persons, all return, one a week: F(10) = 1. Summing 0.1 ten times gives
    # 0.9999999999999999 and an expanded-variance residue of 1e-8, which gave the interval
    # [0, 1] (and for n = 5 with a competing cause F = 1.0000000000000002 and a limit of inf).
    # R: survfit(Surv(1:4, factor(rep(1,4), 0:2)) ~ 1, conf.type="log-log") has pstate 1 at
    # week 4 with lower/upper NA (exact 1); with 1:10 its pstate is 1 - 1e-16 and it prints
    # [1, 1]. We follow the exact answer: F = 1, se = 0, log-log limits undefined (nan).
    cif = aalen_johansen(np.arange(1, 11), np.ones(10), causes=(1, 2))
    at = cif.at(10, cause=1)
    assert at["estimate"][0] == 1.0 and at["se"][0] == 0.0
    assert np.isnan(at["ci_low"][0]) and np.isnan(at["ci_high"][0])
    # Below 1 the log-log limits match R's survfit(Surv(1:10, factor(rep(1,10), 0:2)) ~ 1,
    # conf.type="log-log") at week 5: 0.5 [0.183605591, 0.7531741].
    mid = cif.at(5, cause=1)
    _same([mid["estimate"][0], mid["ci_low"][0], mid["ci_high"][0]],
          [0.5, 0.183605591, 0.7531741])
    for n in range(2, 40):  # no cumulative incidence ever leaves [0, 1]
        cause = np.ones(n, dtype=int)
        cause[0] = 2
        c = aalen_johansen(np.arange(1, n + 1), cause, causes=(1, 2))
        assert c.cif.max() <= 1.0 and c.cif.min() >= 0.0
        assert np.all(np.isfinite(c.at(n, cause=1)["ci_low"]) | (c.cif[0, -1] == 1.0))


def test_cumulative_incidence_quantile_limits_are_times_never_inf():
    # F of ten persons returning one a week reaches 0.5 exactly at week 5 and moves at 6:
    # mid-point 5.5 (R's findq rule, as for 1 - S; survfitms refuses quantiles).
    est = aalen_johansen(np.arange(1, 11), np.ones(10)).quantile(0.5)
    assert est.estimate == 5.5
    assert all(np.isnan(v) or 1 <= v <= 10 for v in (est.ci_low, est.ci_high))


def test_weighted_median_follows_the_same_rule():
    # survfit(Surv(c(1,2,3,4), rep(1,4)) ~ 1, weights = rep(2,4)): median 2.5 as unweighted.
    assert weighted_median(weighted_km([1, 2, 3, 4], [1, 1, 1, 1], [2, 2, 2, 2])) == 2.5


def test_adjusted_cox_with_a_category_without_returns_gives_rs_treatment_hr():
    # Eight persons who did not return get diagnosis "sjælden": that dummy's coefficient has
    # no finite maximum. R survival 3.5.3, on the same persons (written out with
    # person_outcomes: weeks_on_benefit, is_rtw, treat, age, diagnosis):
    #   coxph(Surv(weeks_on_benefit, is_rtw) ~ treat + age + diagnosis, ties="efron")
    #   warns "Loglik converged before variable 5; coefficient may be infinite"
    #   (diagnosissjælden -16.04) and gives treat: HR 1.653093354 [1.34650454, 2.029490103],
    #   p 1.566757254e-06.
    frame = simulate_cohort(300, seed=11)
    frame.loc[frame.index[frame["end_reason"] != "rtw"][:8], "diagnosis"] = "sjælden"
    res = duration_rows(Cohort.from_frame(frame), covariates=["age", "diagnosis"])
    hr = res.table[(res.table["metric"] == "hazard_ratio_rtw")
                   & (res.table["method"] == "cox-efron adjusted: age, diagnosis")].iloc[0]
    _same([hr["estimate"], hr["ci_low"], hr["ci_high"], hr["p_value"]],
          [1.653093354, 1.34650454, 2.029490103, 1.566757254e-06])
    assert hr["denominator"] == 600  # everyone with known covariates stays in the model
    assert "a category of diagnosis has no return to work" in hr["note"]
    assert "sjælden" not in hr["note"]  # the category (possibly small) is not named


def test_no_unformatted_float_in_what_people_read():
    # "1.0000000000000002" once reached a printed table. Every human-readable output of every
    # command on every sample (the goldens: terminal text, Markdown reports) goes through
    # core/formatting; only the machine tables (CSV/JSON) carry full precision.
    import re
    from pathlib import Path

    golden = Path(__file__).parent / "golden" / "files"
    readable = [p for p in golden.rglob("*") if p.suffix in {".txt", ".md"}]
    assert len(readable) >= 8
    for path in readable:
        long = re.findall(r"\d\.\d{7,}", path.read_text(encoding="utf-8"))
        assert not long, f"{path.name}: {long[:3]}"
