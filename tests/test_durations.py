"""durations.py: the tidy rows against statsmodels, hand-worked cases and the contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight, survdiff

from fastholdelse_eval import Cohort, simulate_cohort
from fastholdelse_eval.analysis.durations import covariate_design, duration_rows
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.data.outcomes import person_outcomes

START = pd.Timestamp("2009-01-05")


def _day(weeks: float) -> str:
    return (START + pd.Timedelta(days=round(7 * weeks))).date().isoformat()


def _person(pid, group, *, end=None, reason="", relapse=None, followup=40.0, **extra):
    """A person starting on START; times in weeks after START."""
    return {"person_id": pid, "group": group, "start_date": START.date().isoformat(),
            "end_date": "" if end is None else _day(end), "end_reason": reason,
            "relapse_date": "" if relapse is None else _day(relapse),
            "followup_date": _day(followup), **extra}


def _hand_cohort() -> Cohort:
    # Intervention, 10 persons, 4 return to work at week 5:
    #   relapse 2 weeks after RTW; follow-up ends 1 week after RTW (no relapse: censored);
    #   6 weeks after RTW without relapse (censored); relapse 10 weeks after RTW.
    # Then 2 to other benefit (weeks 3, 8), 1 dropout (week 8), 3 still on benefit at week 40.
    rows = [
        _person("i1", "intervention", end=5, reason="rtw", relapse=7),
        _person("i2", "intervention", end=5, reason="rtw", followup=6),
        _person("i3", "intervention", end=5, reason="rtw", followup=11),
        _person("i4", "intervention", end=5, reason="rtw", relapse=15),
        _person("i5", "intervention", end=3, reason="fleksjob"),
        _person("i6", "intervention", end=8, reason="other_benefit"),
        _person("i7", "intervention", end=8, reason="dropout"),
        *[_person(f"i{k}", "intervention") for k in (8, 9, 10)],
    ]
    # Control, 6 persons: RTW at weeks 2, 5, 5 (one relapses 3 weeks later), one other benefit
    # at week 5, two still on benefit.
    rows += [
        _person("c1", "control", end=2, reason="rtw"),
        _person("c2", "control", end=5, reason="rtw", relapse=8),
        _person("c3", "control", end=5, reason="rtw"),
        _person("c4", "control", end=5, reason="other_benefit"),
        _person("c5", "control"),
        _person("c6", "control", followup=30),
    ]
    return Cohort.from_frame(pd.DataFrame(rows))


def _row(table, metric, group, municipality=None):
    t = table[(table["metric"] == metric) & (table["group"] == group)]
    if municipality is not None:
        t = t[t["municipality"] == municipality]
    assert len(t) == 1, (metric, group, municipality, len(t))
    return t.iloc[0]


@pytest.fixture(scope="module")
def hand():
    return duration_rows(_hand_cohort(), horizon_weeks=10)


@pytest.fixture(scope="module")
def synthetic():
    frame = simulate_cohort(300, seed=11)
    return Cohort.from_frame(frame)


# --- hand-worked ------------------------------------------------------------------------------


def test_sustained_rtw_hand_worked(hand):
    # Relapse clock of the 4 returners: 2 (relapse), 1 (censored), 6 (censored), 10 (relapse).
    # S_rel(4) = 1 − 1/3 = 2/3 (the one censored at week 1 is out of the risk set at week 2,
    # not counted as a failure nor as a success); p_rtw = 4/10.
    r = _row(hand.table, "sustained_rtw_rate", "intervention")
    assert r["estimate"] == pytest.approx(0.4 * 2 / 3)
    var = (2 / 3) ** 2 * 0.4 * 0.6 / 10 + 0.4**2 * (2 / 3) ** 2 * (1 / (3 * 2))
    est, se = 0.4 * 2 / 3, np.sqrt(var)
    w = norm.ppf(0.975) * se / (est * abs(np.log(est)))
    assert r["ci_low"] == pytest.approx(est ** np.exp(w))
    assert r["ci_high"] == pytest.approx(est ** np.exp(-w))
    assert r["sustained_weeks"] == 4
    # Control: 3 returners, relapse clocks 38 (censored), 3 (relapse), 35 (censored):
    # S_rel(4) = 2/3, p = 3/6.
    c = _row(hand.table, "sustained_rtw_rate", "control")
    assert c["estimate"] == pytest.approx(0.5 * 2 / 3)
    d = _row(hand.table, "sustained_rtw_rate", "difference")
    assert d["estimate"] == pytest.approx(0.4 * 2 / 3 - 0.5 * 2 / 3)


def test_relapse_by_weeks_hand_worked(hand):
    r4 = _row(hand.table, "relapse_by_4_weeks", "intervention")
    assert r4["estimate"] == pytest.approx(1 / 3)
    assert r4["denominator"] == 4
    r13 = _row(hand.table, "relapse_by_13_weeks", "intervention")
    # At 10 weeks one person at risk relapses: S = 2/3 · 0 = 0.
    assert r13["estimate"] == pytest.approx(1.0)
    # Control returners are followed 35 weeks at most: 26 weeks is known.
    c26 = _row(hand.table, "relapse_by_26_weeks", "control")
    assert c26["estimate"] == pytest.approx(1 / 3)


def test_cif_and_rmst_hand_worked(hand):
    # Intervention time on benefit: events at 3 (other), 5 (4 rtw), 8 (other + dropout),
    # censored at 40 (3). RTW incidence at τ=10: S(5−) = 9/10, n = 9 → 0.9·4/9 = 0.4.
    cif = _row(hand.table, "cif_rtw", "intervention")
    assert cif["estimate"] == pytest.approx(0.4)
    assert cif["horizon_weeks"] == 10
    # Control: RTW at 2 (1/6), at 5 (S(5−) = 5/6, n = 5, 2 rtw → 5/6·2/5): total 1/6 + 1/3.
    assert _row(hand.table, "cif_rtw", "control")["estimate"] == pytest.approx(0.5)
    # RMST(10), intervention: S = 1 on [0,3), 0.9 on [3,5), 0.5 on [5,8), 0.3 on [8,10).
    rmst = _row(hand.table, "rmst_weeks_on_benefit", "intervention")
    assert rmst["estimate"] == pytest.approx(3 + 0.9 * 2 + 0.5 * 3 + 0.3 * 2)
    med = _row(hand.table, "median_weeks_on_benefit", "intervention")
    # S(5) = 0.5 until the next drop at 8: R's rule takes the mid-point (R survfit: 6.5).
    assert med["estimate"] == 6.5
    # Control: S(2) = 5/6, S(5) = 5/6 · 2/5 = 1/3: median 5.
    assert _row(hand.table, "median_weeks_on_benefit", "control")["estimate"] == 5.0


def test_horizon_capped_at_common_follow_up_with_note():
    # Both groups have someone observed to week 40: 39 is kept, 60 is capped at 40.
    res = duration_rows(_hand_cohort(), horizon_weeks=39)
    assert _row(res.table, "rmst_weeks_on_benefit", "control")["horizon_weeks"] == 39.0
    assert not [n for n in res.notes if "not recorded" not in n]  # no partial-return column
    res = duration_rows(_hand_cohort(), horizon_weeks=60)
    tau = _row(res.table, "rmst_weeks_on_benefit", "control")["horizon_weeks"]
    assert tau == 40.0
    assert any("beyond the last week" in n for n in res.notes)
    default = duration_rows(_hand_cohort())
    assert _row(default.table, "cif_rtw", "control")["horizon_weeks"] == 26.0


# --- against statsmodels on a synthetic cohort -----------------------------------------------


def test_rows_match_statsmodels(synthetic):
    res = duration_rows(synthetic, horizon_weeks=20, covariates=["age", "diagnosis"])
    out = person_outcomes(synthetic)
    t = out["weeks_on_benefit"].to_numpy()
    treat = (out["group"] == "intervention").to_numpy()
    rtw = out["is_rtw"].to_numpy()
    for grp, mask in (("intervention", treat), ("control", ~treat)):
        sf = SurvfuncRight(t[mask], out["benefit_ended"].to_numpy()[mask].astype(float))
        row = _row(res.table, "median_weeks_on_benefit", grp)
        # statsmodels takes the first time with S ≤ 0.5; where S sits at exactly 0.5 R (and
        # we) take the mid-point to the next drop.
        q = sf.quantile(0.5)
        k = int(np.searchsorted(sf.surv_times, q))
        if sf.surv_prob[k] == pytest.approx(0.5, abs=1e-9):
            q = (q + sf.surv_times[k + 1]) / 2
        assert row["estimate"] == pytest.approx(q)
        lo, hi = sf.quantile_ci(0.5)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
        cause = np.select([out["is_rtw"], out["is_other_benefit"], out["is_dropout"]],
                          [1, 2, 3], 0)[mask]
        ci = CumIncidenceRight(t[mask], cause)
        k = np.searchsorted(ci.times, 20.0, side="right") - 1
        row = _row(res.table, "cif_rtw", grp)
        assert row["estimate"] == pytest.approx(ci.cinc[0][k], rel=1e-12)
        z = norm.ppf(0.975)
        f, se = ci.cinc[0][k], ci.cinc_se[0][k]
        assert row["ci_low"] == pytest.approx(f ** np.exp(z * se / (f * abs(np.log(f)))))
    chisq, p = survdiff(t, rtw.astype(float), treat.astype(int))
    lr = _row(res.table, "logrank_rtw", "difference")
    assert lr["estimate"] == pytest.approx(chisq) and lr["p_value"] == pytest.approx(p)
    hr = res.table[res.table["metric"] == "hazard_ratio_rtw"]
    assert hr["method"].tolist() == ["cox-efron", "cox-efron adjusted: age, diagnosis"]
    ref = PHReg(t, treat.astype(float)[:, None], rtw.astype(float), ties="efron").fit()
    assert hr.iloc[0]["estimate"] == pytest.approx(np.exp(ref.params[0]), rel=1e-8)
    assert hr.iloc[0]["ci_low"] == pytest.approx(np.exp(ref.params[0] - z * ref.bse[0]))
    # Adjusted: dummy coding built independently by pandas (reference = first sorted level).
    data = synthetic.data
    dummies = pd.get_dummies(data["diagnosis"].astype(str), drop_first=True, dtype=float)
    x = np.column_stack([treat.astype(float), data["age"].to_numpy(float), dummies.to_numpy()])
    ref = PHReg(t, x, rtw.astype(float), ties="efron").fit()
    assert hr.iloc[1]["estimate"] == pytest.approx(np.exp(ref.params[0]), rel=1e-7)
    assert hr.iloc[1]["p_value"] == pytest.approx(ref.pvalues[0], rel=1e-6)
    assert res.fits[synthetic.municipalities[0]].cox_adjusted.names[1:] == (
        "age", *[f"diagnosis={c}" for c in dummies.columns])


def test_rmst_difference_and_ratio_rows(synthetic):
    res = duration_rows(synthetic, horizon_weeks=15)
    a = _row(res.table, "rmst_weeks_on_benefit", "intervention")
    b = _row(res.table, "rmst_weeks_on_benefit", "control")
    d = _row(res.table, "rmst_weeks_on_benefit", "difference")
    r = _row(res.table, "rmst_weeks_on_benefit", "ratio")
    z = norm.ppf(0.975)
    se_a, se_b = (a["ci_high"] - a["estimate"]) / z, (b["ci_high"] - b["estimate"]) / z
    assert d["estimate"] == pytest.approx(a["estimate"] - b["estimate"])
    assert d["ci_high"] - d["estimate"] == pytest.approx(z * np.hypot(se_a, se_b))
    assert r["estimate"] == pytest.approx(a["estimate"] / b["estimate"])
    log_se = np.hypot(se_a / a["estimate"], se_b / b["estimate"])
    assert np.log(r["ci_high"] / r["estimate"]) == pytest.approx(z * log_se)


# --- municipalities, covariates, contract -------------------------------------------------------


def test_municipalities_and_stratified_all():
    a = simulate_cohort(150, seed=2, municipality="Greve")
    b = simulate_cohort(150, seed=3, municipality="Solrød")
    b["person_id"] = "B" + b["person_id"].astype(str)
    cohort = Cohort.from_frame(pd.concat([a, b], ignore_index=True))
    res = duration_rows(cohort)
    assert set(res.table["municipality"]) == {"Greve", "Solrød", "all"}
    hr_all = _row(res.table, "hazard_ratio_rtw", "ratio", "all")
    assert hr_all["method"] == "cox-efron, stratified by municipality"
    out = person_outcomes(cohort)
    ref = PHReg(out["weeks_on_benefit"].to_numpy(),
                (out["group"] == "intervention").to_numpy(float)[:, None],
                out["is_rtw"].to_numpy(float), ties="efron",
                strata=out["municipality"].to_numpy()).fit()
    assert hr_all["estimate"] == pytest.approx(np.exp(ref.params[0]), rel=1e-8)
    chisq, _ = survdiff(out["weeks_on_benefit"].to_numpy(), out["is_rtw"].to_numpy(float),
                        out["group"].to_numpy(), strata=out["municipality"].to_numpy())
    assert _row(res.table, "logrank_rtw", "difference", "all")["estimate"] == \
        pytest.approx(chisq)
    only_all = duration_rows(cohort, by_municipality=False)
    assert set(only_all.table["municipality"]) == {"all"}
    single = duration_rows(Cohort.from_frame(a))
    assert set(single.table["municipality"]) == {"Greve"}


def test_missing_covariate_is_noted_not_silent(synthetic):
    data = synthetic.data.copy()
    data.loc[[0, 1, 2], "age"] = np.nan
    cohort = Cohort(data)
    res = duration_rows(cohort, covariates=["age"])
    adj = res.table[res.table["method"] == "cox-efron adjusted: age"].iloc[0]
    assert adj["denominator"] == len(data) - 3
    assert "3 persons with a missing covariate" in adj["note"]
    assert any("3 persons with a missing covariate" in n for n in res.notes)
    with pytest.raises(ConfigError):
        duration_rows(cohort, covariates=["shoe_size"])


def test_covariate_design_coding():
    data = pd.DataFrame({"age": [30.0, 40.0, np.nan], "flag": pd.array([True, False, True]),
                         "diag": pd.Series(["b", "a", "c"], dtype="string"),
                         "cat": pd.Categorical(["z", "y", "z"], categories=["z", "y"])})
    x, names, complete = covariate_design(data, ["age", "flag", "diag", "cat"])
    assert names == ["age", "flag", "diag=b", "diag=c", "cat=y"]
    np.testing.assert_array_equal(x[:2], [[30, 1, 1, 0, 0], [40, 0, 0, 0, 1]])
    assert complete.tolist() == [True, True, False]


def test_group_missing_in_a_municipality_is_noted():
    a = simulate_cohort(60, seed=4, municipality="A")
    b = simulate_cohort(60, seed=5, municipality="B")
    b = b[b["group"] == "control"].copy()
    b["person_id"] = "B" + b["person_id"].astype(str)
    res = duration_rows(Cohort.from_frame(pd.concat([a, b], ignore_index=True)))
    # B has controls only: they are described (one-group rows), nothing is compared there.
    rows_b = res.table[res.table["municipality"] == "B"]
    assert set(rows_b["group"]) == {"control"}
    assert "median_weeks_on_benefit" in set(rows_b["metric"])
    assert "logrank_rtw" not in set(rows_b["metric"])
    assert any(n.startswith("B: only the control group") for n in res.notes)


def test_weekly_status_sums_to_one_and_matches_aalen_johansen(synthetic):
    res = duration_rows(synthetic)
    ws = res.weekly_status()
    assert list(ws.columns) == ["municipality", "week", "state", "group", "estimate", "se",
                                "ci_low", "ci_high", "p_value", "n_risk"]
    groups = ws[ws["group"] != "difference"]
    totals = groups.groupby(["week", "group"])["estimate"].sum()
    np.testing.assert_allclose(totals.to_numpy(), 1.0)
    out = person_outcomes(synthetic)
    mask = (out["group"] == "control").to_numpy()
    cause = np.select([out["is_rtw"], out["is_other_benefit"], out["is_dropout"]],
                      [1, 2, 3], 0)[mask]
    ci = CumIncidenceRight(out["weeks_on_benefit"].to_numpy()[mask], cause)
    k = np.searchsorted(ci.times, 10.0, side="right") - 1
    got = ws[(ws["week"] == 10) & (ws["state"] == "returned") & (ws["group"] == "control")]
    assert got["estimate"].iloc[0] == pytest.approx(ci.cinc[0][k])
    w10 = ws[(ws["week"] == 10) & (ws["state"] == "on_benefit")].set_index("group")
    assert w10.loc["difference", "estimate"] == pytest.approx(
        w10.loc["intervention", "estimate"] - w10.loc["control", "estimate"])
    assert w10.loc["control", "n_risk"] == int(
        (out["weeks_on_benefit"].to_numpy()[mask] >= 10).sum())


def test_tidy_contract_and_bad_options(hand):
    t = hand.tidy()
    assert list(t.columns[:10]) == ["municipality", "metric", "group", "estimate", "ci_low",
                                    "ci_high", "numerator", "denominator", "p_value", "method"]
    assert set(t["group"]) <= {"intervention", "control", "difference", "ratio"}
    expected = {"median_weeks_on_benefit", "rmst_weeks_on_benefit", "cif_rtw",
                "hazard_ratio_rtw", "logrank_rtw", "sustained_rtw_rate",
                "relapse_by_4_weeks", "relapse_by_13_weeks", "relapse_by_26_weeks"}
    # (no partial-return column in this cohort: those metrics are left out, not zero)
    assert set(t["metric"]) == expected
    assert "<table" in hand._repr_html_()
    with pytest.raises(ConfigError):
        duration_rows(_hand_cohort(), horizon_weeks=-1)
    with pytest.raises(ConfigError):
        duration_rows(_hand_cohort(), sustained_weeks=0)
    with pytest.raises(ConfigError):
        duration_rows(_hand_cohort(), level=1.5)
