"""Business case (analysis/business_case.py, stats/rmst_segments.py): hand-checked arithmetic,
the delta-method interval by hand, the bootstrap against it, payers, sensitivity, pooling."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import fastholdelse_eval as fe
from fastholdelse_eval.analysis.business_case import business_case
from fastholdelse_eval.core import metrics
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import BusinessCaseOptions, EvaluationOptions, share_schedule
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.stats.kaplan_meier import kaplan_meier
from fastholdelse_eval.stats.rmst_segments import bootstrap_segment_areas, segment_areas

# Hand-made study, every spell ended by RTW (no censoring) within τ = 26 weeks:
# intervention 2, 4, 6, 8, 10 weeks (mean 6), control 4, 8, 12, 16, 20 weeks (mean 12).
WEEKS = {"intervention": [2, 4, 6, 8, 10], "control": [4, 8, 12, 16, 20]}
INPUTS = {"weekly_benefit": 1000, "cost_per_participant": 2000, "cost_per_week": 100,
          "municipality_share": [[0, 1.0], [4, 0.5]], "bootstrap": 0, "horizon_weeks": 26}


def hand_cohort() -> Cohort:
    start = pd.Timestamp("2009-01-05")
    rows = []
    for g, weeks in WEEKS.items():
        for i, w in enumerate(weeks):
            rows.append({"person_id": f"{g[0]}{i}", "group": g,
                         "start_date": start.strftime("%Y-%m-%d"),
                         "end_date": (start + pd.Timedelta(days=7 * w)).strftime("%Y-%m-%d"),
                         "end_reason": "rtw", "followup_date": "2009-12-31"})
    return Cohort.from_frame(pd.DataFrame(rows))


@pytest.fixture(scope="module")
def hand() -> pd.DataFrame:
    ev = fe.evaluate(hand_cohort(), business_case=INPUTS)
    t = ev.tidy()
    return t.set_index("metric")


def test_arithmetic_by_hand(hand: pd.DataFrame) -> None:
    est = hand["estimate"]
    # weeks saved = RMST_c − RMST_i = 12 − 6; gross = 6 × 1000; cost = 2000 + 100 × 6
    assert est["benefit_weeks_saved"] == pytest.approx(6.0)
    assert est["gross_saving_per_participant"] == pytest.approx(6000.0)
    assert est["project_cost_per_participant"] == pytest.approx(2600.0)
    assert est["net_saving_per_participant"] == pytest.approx(3400.0)
    assert est["net_saving_total"] == pytest.approx(5 * 3400.0)
    assert est["return_per_krone"] == pytest.approx(6000 / 2600)
    assert est["break_even_cost_per_participant"] == pytest.approx(6000.0)
    assert est["break_even_weeks_saved"] == pytest.approx(2.6)
    # Spell weeks 0–4: intervention area 2·1 + 2·0.8 = 3.6, control 4 → 0.4 saved (share 1);
    # weeks 4–26: 5.6 saved (share 0.5).
    assert est["benefit_weeks_saved_weeks_0_4"] == pytest.approx(0.4)
    assert est["benefit_weeks_saved_weeks_4_26"] == pytest.approx(5.6)
    assert est["gross_saving_municipality_per_participant"] == pytest.approx(400 + 2800)
    assert est["gross_saving_state_per_participant"] == pytest.approx(2800)
    assert est["net_saving_municipality_per_participant"] == pytest.approx(3200 - 2600)
    assert est["net_saving_state_per_participant"] == pytest.approx(2800)
    assert "societal_net_saving_per_participant" not in est.index


def test_delta_method_interval_by_hand(hand: pd.DataFrame) -> None:
    # Greenwood-type variance of the RMST, Σ A_j² d_j / (n_j (n_j − d_j)), intervention:
    # A = 4.0, 2.4, 1.2, 0.4 at weeks 2, 4, 6, 8 with d/(n(n−d)) = 1/20, 1/12, 1/6, 1/2:
    # 0.8 + 0.48 + 0.24 + 0.08 = 1.6 (= Σ(x − x̄)²/n² without censoring); control ×4 = 6.4.
    var_i, var_c = 1.6, 6.4
    z = 1.959963984540054
    se_w = math.sqrt(var_i + var_c)
    r = hand.loc["benefit_weeks_saved"]
    assert r["se"] == pytest.approx(se_w)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((6 - z * se_w, 6 + z * se_w))
    # net = r·RMST_c − (r + c1)·RMST_i − c0: SE² = 1000²·6.4 + 1100²·1.6
    se_n = math.sqrt(1000**2 * var_c + 1100**2 * var_i)
    n = hand.loc["net_saving_per_participant"]
    assert n["se"] == pytest.approx(se_n)
    assert n["ci_low"] == pytest.approx(3400 - z * se_n)
    # cost = c0 + c1·RMST_i: SE = 100·sqrt(1.6)
    assert hand.loc["project_cost_per_participant", "se"] == pytest.approx(100 * math.sqrt(1.6))
    # return = G/C: gradient (−r·C − G·c1)/C² on RMST_i, r/C on RMST_c
    g_i, g_c = (-1000 * 2600 - 6000 * 100) / 2600**2, 1000 / 2600
    assert hand.loc["return_per_krone", "se"] == pytest.approx(
        math.sqrt(g_i**2 * var_i + g_c**2 * var_c))
    # P(net > 0) = Φ(3400 / SE)
    from scipy.stats import norm

    assert hand.loc["probability_saves_money", "estimate"] == pytest.approx(
        norm.cdf(3400 / se_n))


def test_segment_covariance_sums_to_the_rmst_variance() -> None:
    rng = np.random.default_rng(5)
    t = np.round(rng.exponential(12, 150), 1)
    e = rng.random(150) < 0.75
    km = kaplan_meier(t, e)
    areas, cov = segment_areas(km, [0, 4, 13, 26])
    whole = km.rmst(26)
    assert areas.sum() == pytest.approx(whole.estimate)
    assert math.sqrt(cov.sum()) == pytest.approx(whole.se)
    assert np.all(np.linalg.eigvalsh(cov) > -1e-12)


def test_bootstrap_agrees_with_the_delta_method(greve_cohort) -> None:
    """Bootstrap SE within simulation error of the delta-method SE: with B = 2000 the SE of a
    bootstrap SE is about SE/sqrt(2B) ≈ 1.6 %; allow 8 %, and the percentile limits within a
    quarter of the delta SE."""
    ev = fe.evaluate(greve_cohort, horizon_weeks=26,
                     business_case={**INPUTS, "bootstrap": 2000, "seed": 11})
    t = ev.tidy()
    t = t[(t["municipality"] == "Greve") & t["bootstrap_se"].notna() & (t["se"] > 0)]
    assert len(t) >= 10
    assert np.allclose(t["bootstrap_se"], t["se"], rtol=0.08)
    assert np.all(np.abs(t["bootstrap_ci_low"] - t["ci_low"]) < 0.25 * t["se"])
    assert np.all(np.abs(t["bootstrap_ci_high"] - t["ci_high"]) < 0.25 * t["se"])
    prob = ev.tidy().set_index(["municipality", "metric"]).loc[
        ("Greve", "probability_saves_money")]
    assert abs(prob["bootstrap_estimate"] - prob["estimate"]) < 0.02


def test_bootstrap_is_seeded_and_vectorised_right() -> None:
    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(10, 80), 1)
    e = rng.random(80) < 0.7
    a = bootstrap_segment_areas(t, e, [0, 5, 8], 300, np.random.default_rng(1))
    b = bootstrap_segment_areas(t, e, [0, 5, 8], 300, np.random.default_rng(1))
    assert np.array_equal(a, b)
    # the first replicate by hand: the Kaplan–Meier curve of the persons drawn, repeated
    w = np.random.default_rng(1).multinomial(80, np.full(80, 1 / 80), size=1)[0]
    km = kaplan_meier(np.repeat(t, w), np.repeat(e, w))
    assert km.last_time > 8
    assert a[0] == pytest.approx(segment_areas(km, [0, 5, 8])[0])


def test_sensitivity_and_tornado(greve_cohort) -> None:
    ev = fe.evaluate(greve_cohort, horizon_weeks=26, business_case={**INPUTS, "bootstrap": 0})
    s = ev.business_case.sensitivity()
    base = s.loc[s["parameter"] == "base", "net_saving_per_participant"].item()
    net = ev.tidy().set_index(["municipality", "metric"]).loc[
        ("Greve", "net_saving_per_participant")]
    assert base == pytest.approx(net["estimate"])
    by = s.set_index(["parameter", "setting"])["net_saving_per_participant"]
    # effect at its interval limits is the net saving's own interval (cost fixed: c1 = 100
    # per intervention week does not move with the control curve... the rate times the weeks'
    # limits minus the cost at the estimate)
    w = ev.tidy().set_index(["municipality", "metric"]).loc[("Greve", "benefit_weeks_saved")]
    cost = ev.tidy().set_index(["municipality", "metric"]).loc[
        ("Greve", "project_cost_per_participant"), "estimate"]
    assert by[("effect", "low")] == pytest.approx(1000 * w["ci_low"] - cost)
    assert by[("rate", "high")] == pytest.approx(1250 * w["estimate"] - cost)
    assert by[("cost", "low")] == pytest.approx(1000 * w["estimate"] - 0.75 * cost)
    assert by[("horizon", "low")] < base  # fewer weeks counted, less saved
    import matplotlib

    matplotlib.use("Agg")
    ax = ev.plot_tornado()
    assert len(ax.patches) == 8 and ax.get_xlabel()
    # kroner ticks with a thousands separator, as the tables print them
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert any(re.fullmatch(r"-?\d{1,3}(,\d{3})+", t) for t in ticks), ticks


def test_pooled_random_effects_and_prediction_interval() -> None:
    sites = fe.load_cohort(fe.sample_path("aktive_17.csv")) if hasattr(fe, "sample_path") \
        else None
    if sites is None:
        from pathlib import Path

        sites = fe.load_cohort(Path(__file__).resolve().parents[1] / "data" / "sample"
                               / "aktive_17.csv")
    ev = fe.evaluate(sites, business_case={**INPUTS, "bootstrap": 0})
    pooled = ev.business_case.pooled_rows().set_index("metric")
    t = ev.tidy()
    w = t[(t["metric"] == "benefit_weeks_saved") & (t["municipality"] != "all")]
    se = t.loc[w.index, "se"].to_numpy()
    from fastholdelse_eval.stats.meta import random_effects

    fit = random_effects(w["estimate"].to_numpy(), se**2, method="reml")
    assert pooled.loc["benefit_weeks_saved", "estimate"] == pytest.approx(fit.pooled.estimate)
    cost = t[(t["metric"] == "project_cost_per_participant") & (t["municipality"] == "all")]
    c = cost["estimate"].item()
    new = pooled.loc["net_saving_new_municipality"]
    assert new["ci_low"] == pytest.approx(1000 * fit.pi_low - c)
    assert new["ci_high"] == pytest.approx(1000 * fit.pi_high - c)
    assert new["ci_high"] - new["ci_low"] >= pooled.loc["net_saving_per_participant", "ci_high"] \
        - pooled.loc["net_saving_per_participant", "ci_low"]
    assert set(w["municipality"]) == set(sites.municipalities)


@pytest.mark.parametrize(("raw", "message"), [
    ({}, r"weekly_benefit: missing"),
    ({"weekly_benefit": -1}, r"weekly_benefit: must be greater than 0"),
    ({"weekly_benefit": 4000, "municipality_share": 1.2}, r"municipality_share: a share"),
    ({"weekly_benefit": 4000, "municipality_share": [[4, 0.3]]}, r"start at week 0"),
    ({"weekly_benefit": 4000, "municipality_share": "0:1,x"}, r"from_week:share"),
    ({"weekly_benefit": 4000, "cost_per_participant": "5000"}, r"cost_per_participant"),
    ({"weekly_benefit": 4000, "bootstrap": 10}, r"bootstrap"),
    ({"weekly_benefit": 4000, "cost_payer": "region"}, r"cost_payer"),
    ({"weekly_benefit": 4000, "rate": 1}, r"business_case\.rate: unknown option"),
])
def test_options_errors(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EvaluationOptions(business_case=raw)


def test_options_forms_and_danish_keys() -> None:
    assert share_schedule(0.3) == ((0.0, 0.3),)
    assert share_schedule("0:1,4:0.3") == share_schedule([[0, 1], [4, 0.3]]) == \
        share_schedule({"4": 0.3, "0": 1}) == share_schedule(
            [{"from_week": 0, "share": 1}, {"from_week": 4, "share": 0.3}])
    da = BusinessCaseOptions.coerce({"ydelse_pr_uge": 4000, "kommunal_andel": 0.5,
                                     "pris_pr_deltager": 5000})
    assert da == BusinessCaseOptions(weekly_benefit=4000, municipality_share=0.5,
                                     cost_per_participant=5000)


def test_aggregate_data_get_a_note_not_rows(greve_aggregate_path) -> None:
    ev = fe.evaluate(fe.load_cohort(greve_aggregate_path), business_case=INPUTS)
    assert not ev.tidy()["metric"].eq("net_saving_per_participant").any()
    assert any("business case needs person-level" in n for n in ev.notes)
    with pytest.raises(ConfigError):
        business_case(ev, INPUTS)


def test_disclosure_masks_the_business_case_with_the_rows_it_rests_on() -> None:
    from fastholdelse_eval.privacy.disclosure import suppress

    ev = fe.evaluate(hand_cohort(), business_case={**INPUTS, "bootstrap": 100})
    t = suppress(ev.tidy(), threshold=6).table  # groups of 5: n is small, so all rests on it
    bc = t[t["metric"].isin([m for m in t["metric"].unique()
                             if metrics.get(m).producer.endswith("business_case")])]
    assert len(bc) and (bc["suppressed"] != "").all()
    assert bc[["estimate", "ci_low", "ci_high", "bootstrap_ci_low", "bootstrap_se"]].isna() \
        .all().all()
    shown = suppress(ev.tidy(), threshold=5).table
    assert (shown.loc[shown["metric"] == "net_saving_per_participant", "suppressed"] == "").all()


def test_study_config_business_case(tmp_path) -> None:
    from fastholdelse_eval.pipeline.study import load_config

    root = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "sample"
    config = load_config(root / "greve_2009.toml")
    bc = config.options.business_case
    assert bc.weekly_benefit == 4000 and bc.schedule == ((0.0, 1.0), (4.0, 0.5))
    bad = tmp_path / "s.toml"
    bad.write_text(f'data = "{(root / "greve_2009.csv").as_posix()}"\n[business_case]\n'
                   'weekly_benefit = 4000\nmunicipality_share = 2\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"business_case\.municipality_share"):
        load_config(bad)
