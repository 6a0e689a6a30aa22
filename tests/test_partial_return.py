"""Time to first partial return (the spell ending first competes), checked against R.

Expected numbers come from R 4 with survival 3.x and cmprsk; the calls are beside them. The R
script (data frame ``d`` with columns group, weeks_to_partial_rtw_event, partial_rtw_event)::

    d$g <- as.integer(d$group == "intervention")
    d$ev <- factor(d$partial_rtw_event, 0:2, c("censor", "partial", "ended"))
    timepoints(cuminc(d$weeks_to_partial_rtw_event, d$partial_rtw_event, d$group,
                      cencode = 0), tau)$est
    f <- survfit(Surv(weeks_to_partial_rtw_event, ev) ~ 1, data = d[d$group == grp, ])
    f$time[which(f$pstate[, 2] >= 0.5)[1]]                       # median (first t, AJ ≥ 50 %)
    summary(coxph(Surv(weeks_to_partial_rtw_event, partial_rtw_event == 1) ~ g, data = d,
                  ties = "efron"))
    survdiff(Surv(weeks_to_partial_rtw_event, partial_rtw_event == 1) ~ g, data = d)$chisq

(R's ``quantile()`` refuses multi-state curves, hence the median read off ``pstate``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval.analysis.evaluation import evaluate
from fastholdelse_eval.analysis.partial_return import (
    cif_medians,
    groups_present,
    median_difference,
    partial_rows,
)
from fastholdelse_eval.data.loading import load_cohort
from fastholdelse_eval.data.outcomes import person_outcomes
from fastholdelse_eval.stats.survival import aalen_johansen

# Two small data sets with ties: 20 intervention then 20 (30) control persons.
A_TIME = [10, 11, 16, 20, 1, 3, 17, 19, 5, 7, 18, 9, 6, 17, 6, 9, 13, 11, 2, 1, 18, 16, 17, 11,
          17, 7, 10, 16, 3, 7, 3, 10, 20, 3, 8, 9, 19, 5, 11, 6]
A_EVENT = [2, 1, 1, 0, 0, 2, 1, 1, 1, 0, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 0, 2, 1, 0, 2, 2, 2, 1,
           0, 2, 2, 1, 0, 1, 1, 0, 0, 0, 2]
B_TIME = [17, 6, 3, 6, 9, 17, 10, 2, 7, 13, 17, 15, 20, 4, 18, 2, 12, 6, 5, 14, 7, 12, 6, 4, 15,
          9, 14, 14, 19, 9, 5, 13, 19, 20, 18, 14, 8, 8, 1, 4, 7, 7, 12, 11, 14, 18, 18, 16, 20,
          7, 19, 19, 5, 10, 12, 14, 15, 3, 10, 3]
B_EVENT = [1, 2, 2, 2, 2, 1, 1, 1, 2, 1, 2, 2, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 2, 2, 1, 0, 1, 2, 1,
           1, 1, 1, 2, 1, 1, 0, 1, 2, 2, 2, 2, 0, 2, 2, 2, 2, 0, 1, 2, 2, 1, 1, 0, 2, 1, 1, 1, 0,
           1, 1]

# R (see module docstring), tau = 10:
#   cif: intervention, control; median: intervention, control; coxph exp(coef), lower, upper,
#   Pr(>|z|); survdiff chisq.
R_EXPECTED = {
    "a": dict(cif=(0.212731481481, 0.171153846154), median=(18.0, np.nan),
              hr=(2.29761531783, 0.798021518086, 6.61515514194, 0.123122585242),
              chisq=2.53824300928),
    "b": dict(cif=(0.235555555556, 0.143347050754), median=(17.0, 20.0),
              hr=(1.64500153061, 0.784399251141, 3.44981211006, 0.187742133258),
              chisq=1.73894013669),
}


def _frame(time, event) -> pd.DataFrame:
    n = len(time)
    return pd.DataFrame({
        "group": ["intervention"] * (n // 2) + ["control"] * (n - n // 2),
        "municipality": "X",
        "weeks_to_partial_rtw_event": np.asarray(time, dtype="float64"),
        "partial_rtw_event": np.asarray(event, dtype="int64")})


def _rows(out: pd.DataFrame, tau: float = 10.0):
    masks = groups_present(out, ("intervention", "control"))
    rows, cif, lr = partial_rows(out, masks, "X", tau=tau, level=0.95, strata=None, suffix="")
    table = pd.DataFrame(rows).set_index(["metric", "group"])
    return table, cif, lr


@pytest.mark.parametrize("name,time,event", [("a", A_TIME, A_EVENT), ("b", B_TIME, B_EVENT)])
def test_matches_r(name, time, event):
    exp = R_EXPECTED[name]
    t, _, _ = _rows(_frame(time, event))
    for g, want in zip(("intervention", "control"), exp["cif"], strict=True):
        assert t.loc[("cif_partial_rtw", g), "estimate"] == pytest.approx(want, abs=1e-11)
    assert t.loc[("cif_partial_rtw", "difference"), "estimate"] == pytest.approx(
        exp["cif"][0] - exp["cif"][1], abs=1e-11)
    for g, want in zip(("intervention", "control"), exp["median"], strict=True):
        got = t.loc[("median_weeks_to_partial_rtw", g), "estimate"]
        assert (np.isnan(got) and np.isnan(want)) or got == want
    hr = t.loc[("hazard_ratio_partial_rtw", "ratio")]
    assert (hr["estimate"], hr["ci_low"], hr["ci_high"], hr["p_value"]) == pytest.approx(
        exp["hr"], rel=1e-7)
    assert t.loc[("logrank_partial_rtw", "difference"), "estimate"] == pytest.approx(
        exp["chisq"], rel=1e-9)


def test_greve_matches_r(greve_cohort):
    # R on the Greve sample's per-person times (person_outcomes), tau = 26:
    #   cuminc: control 0.178438545229, intervention 0.303396072013
    #   coxph: exp(coef) 2.38320491518 (1.54442723378, 3.6775223484), p 8.71580864461e-05
    #   survdiff chisq 16.3361730737 (the "log-rank χ² 16.3"); medians not reached.
    t = evaluate(greve_cohort, horizon_weeks=26).tidy()
    t = t[t["metric"].str.contains("partial_rtw") & (t["metric"] != "partial_rtw_rate")]
    t = t.set_index(["metric", "group"])
    assert t.loc[("cif_partial_rtw", "intervention"), "estimate"] == pytest.approx(
        0.303396072013, abs=1e-11)
    assert t.loc[("cif_partial_rtw", "control"), "estimate"] == pytest.approx(
        0.178438545229, abs=1e-11)
    hr = t.loc[("hazard_ratio_partial_rtw", "ratio")]
    assert (hr["estimate"], hr["ci_low"], hr["ci_high"], hr["p_value"]) == pytest.approx(
        (2.38320491518, 1.54442723378, 3.6775223484, 8.71580864461e-05), rel=1e-7)
    assert t.loc[("logrank_partial_rtw", "difference"), "estimate"] == pytest.approx(
        16.3361730737, rel=1e-9)
    assert np.isnan(t.loc[("median_weeks_to_partial_rtw", "intervention"), "estimate"])
    assert t.loc[("cif_partial_rtw", "intervention"), "horizon_weeks"] == 26


def test_person_outcomes_partial_event_codes(greve_cohort):
    out = person_outcomes(greve_cohort)
    ev = out["partial_rtw_event"].to_numpy()
    # Event 1 exactly for the persons with a partial return; 2 = ended first; 0 = censored.
    assert ((ev == 1) == out["is_partial_rtw"].to_numpy()).all()
    assert ((ev == 2) == (out["benefit_ended"] & ~out["is_partial_rtw"]).to_numpy()).all()
    partial = ev == 1
    np.testing.assert_array_equal(out["weeks_to_partial_rtw_event"].to_numpy()[partial],
                                  out["weeks_to_partial_rtw"].to_numpy()[partial])
    np.testing.assert_array_equal(out["weeks_to_partial_rtw_event"].to_numpy()[~partial],
                                  out["weeks_on_benefit"].to_numpy()[~partial])
    assert np.bincount(ev).tolist() == [68, 91, 209]


def test_quantile_interval_inverts_the_pointwise_band():
    # Lower end: first time the band's upper limit reaches 50 %; upper end: its lower limit.
    time = np.asarray(B_TIME[:30], dtype=float)
    event = np.asarray(B_EVENT[:30])
    aj = aalen_johansen(time, event, causes=(1, 2))
    q = aj.quantile(0.5, cause=1)
    band = aj.at(aj.time, cause=1)
    assert q.estimate == aj.time[np.flatnonzero(band["estimate"] >= 0.5)[0]] == 17.0
    assert q.ci_low == aj.time[np.flatnonzero(band["ci_high"] >= 0.5)[0]]
    hit = np.flatnonzero(band["ci_low"] >= 0.5)
    assert (np.isnan(q.ci_high) if hit.size == 0 else q.ci_high == aj.time[hit[0]])
    assert q.ci_low <= q.estimate


def test_bootstrap_by_cell_counts_equals_person_resampling():
    # Drawing (time, event) cell counts from a multinomial is resampling persons: the two give
    # the same distribution of the bootstrap median (its quantiles and the share of replicates
    # where 50 % is not reached — about a quarter here, so the upper quantiles are inf), B = 2000.
    time = np.asarray(B_TIME[:30], dtype=float)
    event = np.asarray(B_EVENT[:30])
    fast = cif_medians(time, event, 2000, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    slow = []
    for _ in range(2000):
        i = rng.integers(0, time.size, time.size)
        slow.append(aalen_johansen(time[i], event[i], causes=(1, 2)).quantile(0.5).estimate)
    slow = np.nan_to_num(np.asarray(slow), nan=np.inf)
    for p in (0.1, 0.25, 0.4):
        assert np.quantile(fast, p, method="inverted_cdf") == pytest.approx(
            np.quantile(slow, p, method="inverted_cdf"), abs=1.0)
    assert 0.15 < np.isinf(fast).mean() < 0.35
    assert abs(np.isinf(fast).mean() - np.isinf(slow).mean()) < 0.05


def test_median_difference_is_reproducible_and_brackets_the_estimate():
    # Everyone returns partially: medians 5 (weeks 1–10) and 7 (weeks 3–12), difference −2.
    a = (np.arange(1.0, 11.0), np.ones(10, dtype=int))
    b = (np.arange(3.0, 13.0), np.ones(10, dtype=int))
    d1 = median_difference(a, b, -2.0, 0.95)
    d2 = median_difference(a, b, -2.0, 0.95)
    assert (d1.ci_low, d1.ci_high) == (d2.ci_low, d2.ci_high)
    assert -9 < d1.ci_low < -2.0 < d1.ci_high < 5
    # Inverted CDF: the ends are differences that some replicate produced (whole weeks).
    assert d1.ci_low == int(d1.ci_low) and d1.ci_high == int(d1.ci_high)
    # Everyone has a partial return at week 5: every replicate's median is 5.
    same = (np.full(10, 5.0), np.ones(10, dtype=int))
    d0 = median_difference(same, same, 0.0, 0.95)
    assert (d0.estimate, d0.ci_low, d0.ci_high) == (0.0, 0.0, 0.0)
    assert np.isnan(median_difference(a, b, float("nan"), 0.95).estimate)


def test_one_group_has_no_between_rows():
    out = _frame(B_TIME, B_EVENT)
    out = out[out["group"] == "intervention"]
    t, cif, lr = _rows(out)
    assert lr is None and set(cif) == {"intervention"}
    assert set(t.index.get_level_values("group")) == {"intervention"}
    assert t.loc[("median_weeks_to_partial_rtw", "intervention"), "estimate"] == 17.0


def test_targets_on_partial_return(greve_cohort):
    t = evaluate(greve_cohort, horizon_weeks=26,
                 targets=["median_weeks_to_partial_rtw earlier 4 weeks",
                          "cif_partial_rtw higher 5pp"]).tidy()
    t = t[t["metric"].str.startswith("target:")].set_index("metric")
    cif = t.loc["target:cif_partial_rtw"]
    # difference 0.124958 (0.038547, 0.211368): reaches +5 pp on the point, not on the interval
    assert cif["group"] == "difference"
    assert cif["estimate"] == pytest.approx(0.303396072013 - 0.178438545229, abs=1e-11)
    assert bool(cif["met_point"]) is True and bool(cif["met_ci"]) is False
    med = t.loc["target:median_weeks_to_partial_rtw"]
    # Fewer than half return partially in Greve: no median, so the target cannot be judged.
    assert np.isnan(med["estimate"]) and med["note"] == "estimate not available"


def test_not_recorded_partial_return_is_left_out(greve_path, tmp_path):
    # No partial-return column: no partial-return rows or curve, and a note — never zeros.
    d = pd.read_csv(greve_path, sep=";", dtype=str, encoding="utf-8-sig")
    path = tmp_path / "no_partial.csv"
    d.drop(columns=["delvis_raskmeldt_dato"]).to_csv(path, sep=";", index=False)
    ev = evaluate(load_cohort(path))
    assert not ev.tidy()["metric"].str.contains("partial").any()
    assert ev.durations.fit().partial is None
    assert any("left out partial_rtw_rate, cif_partial_rtw" in n for n in ev.notes)
