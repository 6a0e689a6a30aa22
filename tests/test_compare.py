"""compare_municipalities: end-to-end against metafor (BCG), statsmodels and hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.stats.contingency_tables import StratifiedTable

from fastholdelse_eval import AggregateCohort, Cohort, ConfigError, compare_municipalities
from fastholdelse_eval.data.outcomes import person_outcomes
from fastholdelse_eval.data.sample_sites import simulate_sites
from fastholdelse_eval.stats import meta

BCG = np.array([
    [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
    [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619],
    [505, 87886, 499, 87892], [29, 7470, 45, 7232], [17, 1699, 65, 1600],
    [186, 50448, 141, 27197], [5, 2493, 3, 2338], [27, 16886, 29, 17825],
])


def aggregate(rows: list[tuple[str, int, int, int, int]]) -> AggregateCohort:
    """(municipality, events_i, n_i, events_c, n_c) → AggregateCohort."""
    recs = []
    for m, xi, ni, xc, nc in rows:
        recs.append({"municipality": m, "group": "intervention", "n": ni, "rtw": xi})
        recs.append({"municipality": m, "group": "control", "n": nc, "rtw": xc})
    d = pd.DataFrame(recs)
    d["municipality"] = d["municipality"].astype(str)
    d["group"] = d["group"].astype(str)
    for c in ("n", "rtw"):
        d[c] = d[c].astype("Int64")
    return AggregateCohort(d, name="test")


@pytest.fixture(scope="module")
def bcg_aggregate() -> AggregateCohort:
    return aggregate([(f"Trial {i + 1:02d}", a, a + b, c, c + d)
                      for i, (a, b, c, d) in enumerate(BCG)])


@pytest.fixture(scope="module")
def sites_frame() -> pd.DataFrame:
    return simulate_sites()


@pytest.fixture(scope="module")
def small_cohort(sites_frame) -> Cohort:
    keep = ["Kommune A", "Kommune E", "Kommune J", "Kommune P"]
    return Cohort.from_frame(sites_frame.loc[sites_frame["municipality"].isin(keep)],
                             name="small")


@pytest.fixture(scope="module")
def small_comparison(small_cohort):
    return compare_municipalities(small_cohort, measure="rr")


def pick(t: pd.DataFrame, **kw) -> pd.DataFrame:
    mask = np.ones(len(t), bool)
    for k, v in kw.items():
        mask &= (t[k] == v).to_numpy()
    return t.loc[mask]


def one(t: pd.DataFrame, **kw) -> pd.Series:
    sel = pick(t, **kw)
    assert len(sel) == 1, (kw, len(sel))
    return sel.iloc[0]


# --- metafor's BCG example through the whole pipeline ----------------------------------------


def test_bcg_as_aggregate_file_reproduces_metafor(bcg_aggregate):
    cmp = compare_municipalities(bcg_aggregate, measure="rr")
    t = cmp.tidy()
    reml = one(t, metric="rtw_rate", municipality="all", method="random-effects-reml")
    assert np.log(reml["estimate"]) == pytest.approx(-0.7145, abs=1e-4)
    assert reml["group"] == "ratio" and bool(reml["primary"])
    assert cmp.primary.pooled.se == pytest.approx(0.1798, abs=1e-4)
    assert one(t, metric="heterogeneity_tau2")["estimate"] == pytest.approx(0.3132, abs=1e-4)
    assert one(t, metric="heterogeneity_i2")["estimate"] == pytest.approx(0.9222, abs=1e-4)
    dl = one(t, metric="rtw_rate", municipality="all", method="random-effects-dl")
    assert np.log(dl["estimate"]) == pytest.approx(-0.7141, abs=1e-4)
    assert dl["tau2"] == pytest.approx(0.3088, abs=1e-4)
    fe = one(t, metric="rtw_rate", method="fixed-iv")["estimate"]
    assert np.log(fe) == pytest.approx(-0.4303, abs=1e-4)
    mh = one(t, metric="rtw_rate", method="fixed-mh")["estimate"]
    assert np.log(mh) == pytest.approx(-0.4537, abs=1e-4)
    q = one(t, metric="heterogeneity_q")
    assert q["estimate"] == pytest.approx(152.2330, abs=1e-3) and q["df"] == 12
    pi = one(t, metric="rtw_rate", method="prediction-interval")
    assert (pi["ci_low"], pi["ci_high"]) == pytest.approx((0.1546, 1.5490), abs=1e-4)


def test_method_and_hartung_knapp_names(bcg_aggregate):
    cmp = compare_municipalities(bcg_aggregate, measure="rr", method="pm", hartung_knapp=True)
    t = cmp.tidy()
    methods = set(pick(t, municipality="all", group="ratio")["method"])
    assert {"fixed-iv", "fixed-mh", "random-effects-reml-hk", "random-effects-dl-hk",
            "random-effects-pm-hk", "prediction-interval", "cochran-q"} <= methods
    pm = one(t, metric="rtw_rate", method="random-effects-pm-hk")
    assert bool(pm["primary"]) and pm["df"] == 12
    assert one(t, metric="heterogeneity_tau2")["method"] == "random-effects-pm"
    assert one(t, metric="heterogeneity_tau2")["estimate"] == pytest.approx(0.3181, abs=1e-4)


# --- hand computations on a small aggregate study ---------------------------------------------


SMALL = [("Aby", 30, 50, 20, 50), ("Bby", 12, 40, 10, 45), ("Cby", 45, 60, 30, 55)]


def test_per_site_rows_hand_computed():
    t = compare_municipalities(aggregate(SMALL), measure="rd").tidy()
    z = stats.norm.ppf(0.975)
    for m, xi, ni, xc, nc in SMALL:
        p1, p2 = xi / ni, xc / nc
        row = one(t, municipality=m, group="difference")
        se = np.sqrt(p1 * (1 - p1) / ni + p2 * (1 - p2) / nc)
        assert row["estimate"] == pytest.approx(p1 - p2)
        assert row["ci_low"] == pytest.approx(p1 - p2 - z * se)
        assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(p1 - p2) / se))
        assert row["method"] == "wald-rd" and not row["zero_corrected"]
        rate = one(t, municipality=m, group="intervention", metric="rtw_rate")
        assert (rate["numerator"], rate["denominator"]) == (xi, ni)
        assert rate["estimate"] == pytest.approx(p1)
        assert one(t, municipality=m, group="control", metric="n")["estimate"] == nc
    total = one(t, municipality="all", group="intervention", metric="rtw_rate")
    assert total["numerator"] == 87 and total["denominator"] == 150
    # Wilson interval of the pooled intervention rate, by its formula.
    p, n = 87 / 150, 150
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert (total["ci_low"], total["ci_high"]) == pytest.approx((centre - half, centre + half))


def test_pooled_rows_match_meta_and_statsmodels():
    xi, ni, xc, nc = (np.array([s[i] for s in SMALL]) for i in range(1, 5))
    t = compare_municipalities(aggregate(SMALL), measure="or").tidy()
    es = meta.effect_sizes(xi, ni, xc, nc, "or")
    fe = meta.fixed_iv(es.yi, es.vi)
    row = one(t, metric="rtw_rate", method="fixed-iv")
    assert row["estimate"] == pytest.approx(np.exp(fe.estimate))
    st = StratifiedTable([np.array([[a, n1 - a], [c, n2 - c]])
                          for a, n1, c, n2 in zip(xi, ni, xc, nc, strict=True)])
    mh = one(t, metric="rtw_rate", method="fixed-mh")
    assert mh["estimate"] == pytest.approx(st.oddsratio_pooled, rel=1e-12)
    lo, hi = st.oddsratio_pooled_confint()
    assert (mh["ci_low"], mh["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)
    re = meta.random_effects(es.yi, es.vi, "reml")
    assert one(t, metric="rtw_rate", method="random-effects-reml")["estimate"] == pytest.approx(
        np.exp(re.pooled.estimate))
    i2 = one(t, metric="heterogeneity_i2")
    assert 0 <= i2["estimate"] <= 1 and i2["ci_low"] <= i2["estimate"] <= i2["ci_high"]
    weights = pick(t, group="ratio", method="wald-log-or")["weight"]
    assert weights.sum() == pytest.approx(1.0)


def test_zero_cell_flagged_and_corrected():
    rows = SMALL + [("Dby", 0, 20, 3, 25)]
    cmp = compare_municipalities(aggregate(rows), measure="rr")
    t = cmp.tidy()
    d = one(t, municipality="Dby", group="ratio")
    assert bool(d["zero_corrected"])
    assert d["estimate"] == pytest.approx((0.5 / 21) / (3.5 / 26))
    assert not one(t, municipality="Aby", group="ratio")["zero_corrected"]
    assert any("Dby" in n and "0.5" in n for n in cmp.notes)


def test_interaction_lr_matches_person_level_logistic():
    t = compare_municipalities(aggregate(SMALL)).tidy()
    row = one(t, metric="interaction_rtw")
    # Independent: expand to one row per person and compare two logistic models.
    recs = []
    for m, xi, ni, xc, nc in SMALL:
        for treat, x, n in ((1, xi, ni), (0, xc, nc)):
            recs += [{"m": m, "t": treat, "y": int(j < x)} for j in range(n)]
    d = pd.DataFrame(recs)
    full = smf.logit("y ~ C(m) * t", d).fit(disp=False)
    reduced = smf.logit("y ~ C(m) + t", d).fit(disp=False)
    lr = 2 * (full.llf - reduced.llf)
    assert row["estimate"] == pytest.approx(lr, rel=1e-6)
    assert row["df"] == 2
    assert row["p_value"] == pytest.approx(stats.chi2.sf(lr, 2), rel=1e-6)


def test_interaction_lr_matches_grouped_glm_on_bcg(bcg_aggregate):
    t = compare_municipalities(bcg_aggregate, measure="rr").tidy()
    row = one(t, metric="interaction_rtw")
    a, b, c, d = BCG.T
    k = len(BCG)
    endog = np.column_stack([np.r_[a, c], np.r_[b, d]])
    exog = np.column_stack([np.vstack([np.eye(k), np.eye(k)]), np.r_[np.ones(k), np.zeros(k)]])
    fit = sm.GLM(endog, exog, family=sm.families.Binomial()).fit()
    assert row["estimate"] == pytest.approx(fit.deviance, rel=1e-8)
    assert row["df"] == 12


def test_interaction_ignores_double_zero_sites():
    base = compare_municipalities(aggregate(SMALL)).tidy()
    extra = compare_municipalities(aggregate(SMALL + [("Zby", 0, 10, 0, 12)])).tidy()
    a, b = one(base, metric="interaction_rtw"), one(extra, metric="interaction_rtw")
    assert b["estimate"] == pytest.approx(a["estimate"], rel=1e-8)
    assert b["df"] == a["df"] == 2


def test_aggregate_benchmark_is_pooled_rate():
    cmp = compare_municipalities(aggregate(SMALL))
    b = cmp.benchmarks
    pooled = (20 + 10 + 30) / (50 + 45 + 55)
    assert b["expected_rate"].to_numpy() == pytest.approx(np.full(3, pooled))
    assert b["method"].iloc[0] == "unadjusted-pooled-rate"
    # Variance: binomial n p(1-p) plus the intercept's uncertainty n² p(1-p)/N.
    n = b["n"].to_numpy()
    var = n * pooled * (1 - pooled) + n**2 * pooled * (1 - pooled) / 150
    z = stats.norm.ppf(0.975)
    assert b["limit_high"].to_numpy() == pytest.approx((n * pooled + z * np.sqrt(var)) / n)
    assert any("unadjusted" in note for note in cmp.notes)


def test_site_with_one_group_is_shown_not_pooled():
    agg = aggregate(SMALL)
    extra = pd.DataFrame({"municipality": ["Eby"], "group": ["control"],
                          "n": pd.array([30], dtype="Int64"), "rtw": pd.array([10], "Int64")})
    agg = AggregateCohort(pd.concat([agg.data, extra], ignore_index=True))
    cmp = compare_municipalities(agg)
    t = cmp.tidy()
    assert one(t, municipality="Eby", metric="rtw_rate", group="control")["estimate"] == \
        pytest.approx(1 / 3)
    assert pick(t, municipality="Eby", group="difference").empty
    assert one(t, metric="rtw_rate", method="fixed-iv")["k"] == 3
    assert any("Eby" in n for n in cmp.notes)


# --- person-level extras ----------------------------------------------------------------------


def test_cox_rows_match_statsmodels(small_cohort, small_comparison):
    t = small_comparison.tidy()
    out = person_outcomes(small_cohort)
    time = out["weeks_on_benefit"].to_numpy()
    event = (out["rtw_event"] == 1).to_numpy().astype(float)
    treat = (out["group"] == "intervention").to_numpy().astype(float)[:, None]
    muni = out["municipality"].to_numpy()
    for m in ("Kommune A", "Kommune J"):
        mask = muni == m
        res = PHReg(time[mask], treat[mask], status=event[mask], ties="efron").fit(disp=False)
        row = one(t, municipality=m, metric="hazard_ratio_rtw")
        assert row["estimate"] == pytest.approx(np.exp(res.params[0]), rel=1e-6)
        assert row["ci_low"] == pytest.approx(np.exp(res.params[0] - 1.959964 * res.bse[0]),
                                              rel=1e-5)
    strat = PHReg(time, treat, status=event, ties="efron", strata=muni).fit(disp=False)
    pooled = one(t, municipality="all", metric="hazard_ratio_rtw")
    assert pooled["method"] == "cox-efron-stratified"
    assert pooled["estimate"] == pytest.approx(np.exp(strat.params[0]), rel=1e-6)
    # Interaction LR: full stratified model with a treatment coefficient per municipality.
    sites = sorted(set(muni))
    dummies = (muni[:, None] == np.array(sites[1:])[None, :]).astype(float)
    full = PHReg(time, np.column_stack([treat, treat * dummies]), status=event, ties="efron",
                 strata=muni).fit(disp=False)
    lr = 2 * (full.llf - strat.llf)
    row = one(t, metric="interaction_hazard_rtw")
    assert row["estimate"] == pytest.approx(lr, rel=1e-5)
    assert row["df"] == 3


def test_benchmark_matches_independent_logistic(small_cohort, small_comparison):
    d = small_cohort.data
    out = person_outcomes(small_cohort)
    ctl = d.loc[out["group"] == "control"].assign(
        y=out.loc[out["group"] == "control", "is_rtw"].astype(int))
    ctl = ctl.reset_index(drop=True)
    fit = smf.glm("y ~ age + C(sex) + C(diagnosis) + C(has_employer)", ctl,
                  family=sm.families.Binomial()).fit()
    p = fit.predict(ctl)
    X = fit.model.exog
    b = small_comparison.benchmarks.set_index("municipality")
    z = stats.norm.ppf(0.975)
    for m, part in ctl.groupby("municipality"):
        idx = part.index.to_numpy()
        n = len(idx)
        expected = p.iloc[idx].sum()
        g = (X[idx] * (p.iloc[idx] * (1 - p.iloc[idx])).to_numpy()[:, None]).sum(axis=0)
        var = (p.iloc[idx] * (1 - p.iloc[idx])).sum() + g @ fit.cov_params().to_numpy() @ g
        assert b.loc[m, "expected_rate"] == pytest.approx(expected / n, rel=1e-6)
        assert b.loc[m, "observed_rate"] == pytest.approx(part["y"].mean())
        assert b.loc[m, "limit_low"] == pytest.approx((expected - z * np.sqrt(var)) / n,
                                                      rel=1e-6)
        zs = (part["y"].sum() - expected) / np.sqrt(var)
        assert b.loc[m, "p_value"] == pytest.approx(2 * stats.norm.sf(abs(zs)), rel=1e-5)
    rows = pick(small_comparison.tidy(), metric="expected_rtw_rate")
    assert len(rows) == 4 and set(rows["group"]) == {"control"}
    assert set(rows["covariates"]) == {"age,sex,diagnosis,has_employer"}


def test_mixed_person_and_aggregate(small_cohort):
    other = aggregate([("Kommune X", 40, 60, 30, 60), ("Kommune Y", 20, 50, 25, 55)])
    cmp = compare_municipalities([small_cohort, other])
    t = cmp.tidy()
    assert one(t, metric="rtw_rate", method="fixed-iv")["k"] == 6
    # Cox only for person-level municipalities.
    assert set(pick(t, metric="hazard_ratio_rtw", method="cox-efron")["municipality"]) == {
        "Kommune A", "Kommune E", "Kommune J", "Kommune P"}
    assert cmp.benchmarks["method"].iloc[0] == "unadjusted-pooled-rate"
    with pytest.raises(ConfigError):
        compare_municipalities([small_cohort, other], covariates=["age"])


def test_duplicate_municipality_across_inputs(small_cohort):
    dup = aggregate([("Kommune A", 40, 60, 30, 60)])
    with pytest.raises(ConfigError, match="Kommune A"):
        compare_municipalities([small_cohort, dup])


@pytest.mark.parametrize("kw", [{"measure": "hr"}, {"method": "ml"}, {"outcome": "relapse"},
                                {"level": 95}, {"benchmark_group": "all"}])
def test_bad_options(kw):
    with pytest.raises(ConfigError):
        compare_municipalities(aggregate(SMALL), **kw)


def test_bad_data_argument():
    with pytest.raises(ConfigError):
        compare_municipalities(pd.DataFrame({"a": [1]}))


def test_other_outcome(small_cohort):
    cmp = compare_municipalities(small_cohort, outcome="partial_rtw")
    t = cmp.tidy()
    out = person_outcomes(small_cohort)
    sel = (out["municipality"] == "Kommune E") & (out["group"] == "intervention")
    row = one(t, municipality="Kommune E", metric="partial_rtw_rate", group="intervention")
    assert row["numerator"] == int(out.loc[sel, "is_partial_rtw"].sum())
    assert not pick(t, metric="expected_partial_rtw_rate").empty


# --- display ----------------------------------------------------------------------------------


def test_plots_return_axes(small_comparison, bcg_aggregate):
    from matplotlib.axes import Axes

    cmp_agg = compare_municipalities(bcg_aggregate, measure="rr")
    for cmp in (small_comparison, cmp_agg):
        assert isinstance(cmp.plot_forest(), Axes)
        assert isinstance(cmp.plot_funnel(), Axes)
        assert isinstance(cmp.plot_caterpillar(), Axes)
        assert isinstance(cmp.plot_caterpillar(what="effect"), Axes)
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert small_comparison.plot_forest(ax=ax) is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Kommune A" in labels and "Prediction interval" in labels
    plt.close("all")


def test_repr_html_escapes(small_comparison):
    agg = aggregate([("<b>Aby</b>", 30, 50, 20, 50), ("Bby", 12, 40, 10, 45)])
    text = compare_municipalities(agg)._repr_html_()
    assert "<b>Aby</b>" not in text and "&lt;b&gt;Aby&lt;/b&gt;" in text
    assert "I² =" in small_comparison._repr_html_()


def test_single_municipality():
    cmp = compare_municipalities(aggregate([("Aby", 30, 50, 20, 50)]))
    t = cmp.tidy()
    row = one(t, municipality="Aby", metric="rtw_rate", group="difference")
    assert row["estimate"] == pytest.approx(0.6 - 0.4)
    assert pick(t, municipality="all", group="difference").empty
    assert pick(t, metric="heterogeneity_i2").empty and pick(t, metric="interaction_rtw").empty
    assert any("nothing to pool" in n for n in cmp.notes)
    from matplotlib.axes import Axes

    assert isinstance(cmp.plot_forest(), Axes)
    assert "Aby" in cmp._repr_html_()


def test_no_rtw_in_one_group_gives_no_hazard_ratio(sites_frame):
    f = sites_frame.loc[sites_frame["municipality"].isin(["Kommune A", "Kommune E"])].copy()
    gone = (f["municipality"] == "Kommune E") & (f["group"] == "intervention") & (
        f["end_reason"] == "rtw")
    f.loc[gone, ["end_date", "relapse_date"]] = pd.NaT
    f.loc[gone, "end_reason"] = "censored"
    f.loc[gone, "end_detail"] = ""
    cmp = compare_municipalities(Cohort.from_frame(f))
    t = cmp.tidy()
    assert set(pick(t, metric="hazard_ratio_rtw", method="cox-efron")["municipality"]) == {
        "Kommune A"}
    assert pick(t, metric="interaction_hazard_rtw").empty
    assert any("Kommune E" in n and "Cox" in n for n in cmp.notes)
    # The rate comparison still works (0 events: 0.5 correction for ratio measures).
    assert one(t, municipality="Kommune E", metric="rtw_rate", group="intervention")[
        "estimate"] == 0.0


def test_unreported_counts_are_left_out_with_a_note():
    agg = aggregate(SMALL)
    d = agg.data.assign(partial_rtw=pd.array([5, 4, 3, 2, None, None], dtype="Int64"))
    cmp = compare_municipalities(AggregateCohort(d), outcome="partial_rtw")
    t = cmp.tidy()
    assert pick(t, municipality="Cby").empty
    assert one(t, metric="partial_rtw_rate", method="fixed-iv")["k"] == 2
    assert any("Cby" in n for n in cmp.notes)
    with pytest.raises(ConfigError):
        compare_municipalities(agg, outcome="dropout")


def test_covariate_choice(small_cohort):
    plain = compare_municipalities(small_cohort, covariates=[])
    assert plain.benchmarks["method"].iloc[0] == "unadjusted-pooled-rate"
    only_age = compare_municipalities(small_cohort, covariates=["age"])
    assert set(only_age.benchmarks["covariates"]) == {"age"}
    with pytest.raises(ConfigError, match="weight"):
        compare_municipalities(small_cohort, covariates=["weight"])
    d = small_cohort.data.copy()
    d["bmi"] = np.where(np.arange(len(d)) % 7 == 0, np.nan, 25.0)
    with_missing = Cohort(d, name="m")
    with pytest.raises(ConfigError, match="missing"):
        compare_municipalities(with_missing, covariates=["bmi"])


def test_default_covariates_skip_those_with_missing_values(small_cohort):
    d = small_cohort.data.copy()
    d["age"] = d["age"].where(np.arange(len(d)) % 5 != 0)
    cmp = compare_municipalities(Cohort(d, name="m"))
    assert set(cmp.benchmarks["covariates"]) == {"sex,diagnosis,has_employer"}
    assert any("'age'" in n and "missing" in n for n in cmp.notes)


def test_wilson_rows_are_the_rates_wilson_with_exact_bounds():
    # 0/10 and 10/10: the score interval is [0, z²/(n+z²)] and [n/(n+z²), 1] exactly
    # (hand values), the same as stats.rates.wilson (one implementation, with its clamp).
    from fastholdelse_eval.stats import rates

    z2 = stats.norm.ppf(0.975) ** 2
    cmp = compare_municipalities(aggregate([("Aby", 0, 10, 10, 10), ("Bby", 5, 10, 4, 10)]))
    t = cmp.tidy()
    zero = one(t, municipality="Aby", metric="rtw_rate", group="intervention")
    full = one(t, municipality="Aby", metric="rtw_rate", group="control")
    assert zero["estimate"] == 0.0 and zero["ci_low"] == 0.0
    assert zero["ci_high"] == pytest.approx(z2 / (10 + z2), abs=1e-12)
    assert full["estimate"] == 1.0 and full["ci_high"] == 1.0
    assert full["ci_low"] == pytest.approx(10 / (10 + z2), abs=1e-12)
    for r in pick(t, metric="rtw_rate", method="wilson").itertuples():
        assert (r.estimate, r.ci_low, r.ci_high) == rates.wilson(
            int(r.numerator), int(r.denominator))


def test_comparison_is_a_result_with_glance(small_comparison):
    from fastholdelse_eval.core.results import GLANCE_COLUMNS, Result

    assert isinstance(small_comparison, Result)
    g = small_comparison.glance()
    assert len(g) == 1 and list(g.columns[: len(GLANCE_COLUMNS)]) == list(GLANCE_COLUMNS)
    s = small_comparison.sites
    assert g["n"].iloc[0] == s[["n_i", "n_c"]].to_numpy().sum()
    assert g["events"].iloc[0] == s[["x_i", "x_c"]].to_numpy().sum()
    assert g["k"].iloc[0] == len(small_comparison.analysed)
    pooled = one(small_comparison.tidy(), metric="rtw_rate", group="ratio",
                 method="random-effects-reml")
    assert g["estimate"].iloc[0] == pytest.approx(pooled["estimate"])
    assert g["notes"].iloc[0] == len(small_comparison.notes)


def test_forest_rows_feed_the_one_forest_plot(small_comparison):
    rows = small_comparison.forest_rows()
    kinds = [r.kind for r in rows]
    assert kinds == ["site"] * len(small_comparison.analysed) + ["pooled", "pooled",
                                                                 "prediction"]
    re = small_comparison.primary
    assert rows[-2].estimate == pytest.approx(np.exp(re.pooled.estimate))
    assert rows[-1].ci_low == pytest.approx(np.exp(re.pi_low))


def test_forest_plot_draws_given_rows():
    import matplotlib.pyplot as plt

    from fastholdelse_eval.plots.forest import forest_plot

    rows = [
        {"label": "A", "estimate": 0.1, "ci_low": 0.0, "ci_high": 0.2, "weight": 2.0},
        {"label": "B", "estimate": -0.1, "ci_low": -0.3, "ci_high": 0.1, "weight": 1.0},
        {"label": "Pooled", "estimate": 0.05, "ci_low": -0.05, "ci_high": 0.15,
         "kind": "pooled"},
        {"label": "PI", "estimate": 0.05, "ci_low": -0.4, "ci_high": 0.5, "kind": "prediction"},
    ]
    _, ax = plt.subplots()
    assert forest_plot(rows, ax=ax, null=0.0, xlabel="RD", title="t") is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "Pooled", "PI"]
    assert list(ax.get_yticks()) == [4, 3, 1, 0]  # a blank line between sites and pooled
    with pytest.raises(ConfigError, match="kind"):
        forest_plot([{**rows[0], "kind": "other"}], ax=ax)
    _, ax = plt.subplots()
    forest_plot([], ax=ax, empty_text="nothing here")
    assert ax.texts[0].get_text() == "nothing here"
    plt.close("all")


def test_forest_plot_skips_masked_rows_without_flattening_the_weights():
    """A row masked by disclosure control (no estimate, no weight) keeps its label and draws
    nothing; the other squares keep their weight-proportional areas (the report's case)."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PathCollection

    from fastholdelse_eval.plots.forest import ForestRow, forest_plot

    nan = float("nan")
    rows = [ForestRow("A", 10.0, 0.0, 20.0, weight=2.0),
            ForestRow("B (hidden)", nan, nan, nan),
            ForestRow("C", -5.0, -15.0, 5.0, weight=1.0),
            ForestRow("Pooled", nan, nan, nan, kind="pooled")]
    _, ax = plt.subplots()
    forest_plot(rows, ax=ax, square_area=(30.0, 170.0))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B (hidden)", "C", "Pooled"]
    squares = [c for c in ax.collections if isinstance(c, PathCollection)]
    sizes = [float(c.get_sizes()[0]) for c in squares]
    assert sizes == [30.0 + 170.0, 30.0 + 85.0]
    assert not ax.patches  # the masked pooled row draws no diamond
    plt.close("all")
