"""evaluate(): Greve's published counts, aggregate equivalence, municipalities, contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fastholdelse_eval import AggregateCohort, Cohort, ConfigError, evaluate, load_cohort
from fastholdelse_eval.core.tidy import TIDY_COLUMNS
from fastholdelse_eval.data.simulate import aggregate_counts, simulate_cohort


def pick(table: pd.DataFrame, metric: str, group: str, municipality: str | None = None):
    t = table[(table.metric == metric) & (table.group == group)]
    if municipality is not None:
        t = t[t.municipality == municipality]
    assert len(t) == 1, (metric, group, municipality, t)
    return t.iloc[0]


@pytest.fixture(scope="module")
def greve_eval(greve_cohort):
    return evaluate(greve_cohort)


def test_tidy_contract_columns(greve_eval):
    t = greve_eval.tidy()
    assert list(t.columns[:len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert set(t.group) <= {"intervention", "control", "difference", "ratio"}
    assert t.estimate.dtype == "float64" and str(t.numerator.dtype) == "Int64"


@pytest.mark.parametrize("metric,x1,n1,x0,n0", [
    ("rtw_rate", 137, 188, 97, 180),
    ("partial_rtw_rate", 59, 188, 32, 180),
    ("relapse_rate", 10, 137, 12, 97),
    ("dropout_rate", 3, 188, 2, 180),
])
def test_greve_published_counts(greve_eval, metric, x1, n1, x0, n0):
    t = greve_eval.tidy()
    i, c = pick(t, metric, "intervention"), pick(t, metric, "control")
    assert (i.numerator, i.denominator, c.numerator, c.denominator) == (x1, n1, x0, n0)
    assert i.estimate == x1 / n1 and c.estimate == x0 / n0
    d = pick(t, metric, "difference")
    assert d.estimate == pytest.approx(x1 / n1 - x0 / n0, abs=1e-15)
    assert d.p_value == pytest.approx(stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]]).pvalue)
    r = pick(t, metric, "ratio")
    assert r.estimate == pytest.approx((x1 / n1) / (x0 / n0))


def test_greve_headline_figures(greve_eval):
    t = greve_eval.tidy()
    assert round(100 * pick(t, "rtw_rate", "intervention").estimate, 1) == 72.9
    assert round(100 * pick(t, "rtw_rate", "control").estimate, 1) == 53.9
    assert pick(t, "n", "intervention").estimate == 188
    assert set(t.municipality) == {"Greve"}


def test_aggregate_gives_the_same_rate_rows(greve_eval, greve_aggregate_path):
    agg = evaluate(load_cohort(greve_aggregate_path))
    persons = greve_eval.tidy()
    persons = persons[persons.metric.isin(set(agg.tidy().metric))]
    cols = TIDY_COLUMNS
    a = agg.tidy()[cols].sort_values(["metric", "group"]).reset_index(drop=True)
    p = persons[cols].sort_values(["metric", "group"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, p)
    assert any("person-level" in n for n in agg.notes)


def test_mean_weeks_completed_matches_direct_computation(greve_cohort, greve_eval):
    d = greve_cohort.data
    done = d.end_reason.isin(["rtw", "other_benefit", "dropout"])
    weeks = (d.end_date - d.start_date).dt.days / 7
    a = weeks[done & (d.group == "intervention")].to_numpy()
    b = weeks[done & (d.group == "control")].to_numpy()
    t = greve_eval.tidy()
    assert pick(t, "mean_weeks_on_benefit_completed", "intervention").estimate == \
        pytest.approx(a.mean(), rel=1e-12)
    diff = pick(t, "mean_weeks_on_benefit_completed", "difference")
    assert diff.p_value == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_several_municipalities_give_rows_per_site_plus_all():
    a = simulate_cohort(60, seed=1, municipality="Aarup")
    b = simulate_cohort(80, seed=2, municipality="Brande")
    b["person_id"] = b["person_id"].str.replace("SYN", "BRA")
    cohort = Cohort.from_frame(pd.concat([a, b], ignore_index=True).drop(columns="end_reason")
                               .rename(columns={"end_detail": "end_reason"}))
    t = evaluate(cohort).tidy()
    assert set(t.municipality) == {"Aarup", "Brande", "all"}
    for g in ("intervention", "control"):
        parts = [pick(t, "rtw_rate", g, m) for m in ("Aarup", "Brande")]
        total = pick(t, "rtw_rate", g, "all")
        assert total.numerator == sum(p.numerator for p in parts)
        assert total.denominator == sum(p.denominator for p in parts)
    # aggregate input of the same sites gives the same rate rows
    counts = aggregate_counts(pd.concat([a, b], ignore_index=True))
    agg = AggregateCohort(counts.assign(**{c: counts[c].astype("Int64") for c in counts.columns
                                            if c not in ("municipality", "group")}))
    ta = evaluate(agg).tidy()
    m = ["municipality", "metric", "group", "estimate", "ci_low", "ci_high", "p_value"]
    key = ["municipality", "metric", "group"]
    left = ta[m].sort_values(key).reset_index(drop=True)
    right = t[t.metric.isin(set(ta.metric))][m].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)


def test_active_offer_absent_means_no_metric(tiny_frame):
    t = evaluate(Cohort.from_frame(tiny_frame)).tidy()
    assert "active_offer_rate" not in set(t.metric)


def test_relapse_denominator_is_those_who_returned(tiny_frame):
    t = evaluate(Cohort.from_frame(tiny_frame)).tidy()
    i = pick(t, "relapse_rate", "intervention")
    c = pick(t, "relapse_rate", "control")
    assert (i.numerator, i.denominator, c.numerator, c.denominator) == (1, 1, 0, 1)


def test_level_option(greve_cohort):
    t90 = evaluate(greve_cohort, level=0.90).tidy()
    t95 = evaluate(greve_cohort).tidy()
    w90 = pick(t90, "rtw_rate", "intervention")
    w95 = pick(t95, "rtw_rate", "intervention")
    assert w90.ci_high - w90.ci_low < w95.ci_high - w95.ci_low
    with pytest.raises(ConfigError):
        evaluate(greve_cohort, level=95)


def test_unknown_covariate_is_a_config_error(greve_cohort):
    with pytest.raises(ConfigError, match="not columns"):
        evaluate(greve_cohort, covariates=["shoe_size"])


def test_repr_and_html(greve_eval):
    text = repr(greve_eval)
    assert "137/188 = 72.9 %" in text and "97/180 = 53.9 %" in text
    assert "<table" in greve_eval._repr_html_()
    s = greve_eval.summary()
    assert "+19.0 pp" in s.loc["rtw_rate", "difference"]


def test_evaluate_rejects_other_types():
    with pytest.raises(TypeError):
        evaluate(pd.DataFrame())


def test_no_missing_values_in_core_rate_rows(greve_eval):
    t = greve_eval.tidy()
    core = t[t.metric == "rtw_rate"]
    assert np.isfinite(core[["estimate", "ci_low", "ci_high"]].to_numpy()).all()


def test_summary_keeps_adjusted_and_unadjusted_hazard_ratios(greve_cohort):
    s = evaluate(greve_cohort, covariates=["age"]).summary()
    assert "hazard_ratio_rtw" in s.index
    assert "hazard_ratio_rtw (cox-efron adjusted: age)" in s.index
    assert s.loc["cif_rtw", "intervention"].endswith(")") and "%" in s.loc["cif_rtw",
                                                                            "intervention"]
