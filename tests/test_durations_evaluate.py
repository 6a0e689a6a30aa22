"""Durations and targets inside evaluate(), the CLI options, and the survival plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval import evaluate, load_cohort
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core.errors import ConfigError

DURATION_METRICS = {"median_weeks_on_benefit", "rmst_weeks_on_benefit", "cif_rtw",
                    "hazard_ratio_rtw", "logrank_rtw", "sustained_rtw_rate",
                    "relapse_by_4_weeks", "relapse_by_13_weeks", "relapse_by_26_weeks"}
TARGETS = [{"metric": "mean_weeks_on_benefit", "direction": "lower", "relative": 0.20},
           {"metric": "partial_rtw_rate", "direction": "higher", "relative": 0.25},
           {"metric": "active_offer_rate", "direction": "higher"}]


@pytest.fixture(scope="module")
def ev(greve_cohort):
    return evaluate(greve_cohort, covariates=["age", "diagnosis"], targets=TARGETS)


def test_sample_table_carries_duration_metrics(ev):
    t = ev.tidy()
    assert DURATION_METRICS <= set(t["metric"])
    assert set(t["municipality"]) == {"Greve"}
    hr = t[t["metric"] == "hazard_ratio_rtw"]
    assert hr["method"].tolist() == ["cox-efron", "cox-efron adjusted: age, diagnosis"]
    rmst = t[(t["metric"] == "rmst_weeks_on_benefit")]
    assert rmst["horizon_weeks"].tolist() == [26.0] * 4
    assert ev.durations is not None and "Greve" in ev.durations.fits


def test_targets_in_evaluate(ev):
    t = ev.tidy()
    targets = t[t["metric"].str.startswith("target:")]
    assert targets["metric"].tolist() == ["target:rmst_weeks_on_benefit",
                                          "target:partial_rtw_rate", "target:active_offer_rate"]
    rmst_ratio = t[(t["metric"] == "rmst_weeks_on_benefit") & (t["group"] == "ratio")].iloc[0]
    row = targets.iloc[0]
    assert row["estimate"] == pytest.approx(rmst_ratio["estimate"] - 1)
    assert bool(row["met_point"]) == (rmst_ratio["estimate"] <= 0.8)
    assert bool(row["met_ci"]) == (rmst_ratio["ci_high"] <= 0.8)
    naive = t[t["metric"] == "mean_weeks_on_benefit_completed"].set_index("group")["estimate"]
    assert row["naive_relative_change"] == pytest.approx(
        naive["intervention"] / naive["control"] - 1)


def test_bad_target_fails_before_work(greve_cohort):
    with pytest.raises(ConfigError):
        evaluate(greve_cohort, targets=["happiness higher"])


def test_aggregate_input_skips_durations_with_note(greve_aggregate_path):
    agg = load_cohort(greve_aggregate_path)
    ev = evaluate(agg, targets=TARGETS)
    t = ev.tidy()
    assert not (DURATION_METRICS & set(t["metric"]))
    assert ev.durations is None
    assert any("person-level" in n for n in ev.notes)
    rmst = t[t["metric"] == "target:rmst_weeks_on_benefit"].iloc[0]
    assert np.isnan(rmst["estimate"]) and rmst["note"] == "needs person-level data"
    part = t[t["metric"] == "target:partial_rtw_rate"].iloc[0]
    assert np.isfinite(part["estimate"])
    with pytest.raises(ConfigError):
        ev.plot_time_on_benefit()


def test_cli_options_pass_through(greve_path, tmp_path):
    out = tmp_path / "result.csv"
    code = main(["evaluate", str(greve_path), "--covariates", "age, diagnosis",
                 "--horizon-weeks", "20", "--sustained-weeks", "8", "--format", "csv",
                 "--out", str(out)])
    assert code == 0
    t = pd.read_csv(out)
    rmst = t[t["metric"] == "rmst_weeks_on_benefit"]
    assert (rmst["horizon_weeks"] == 20).all()
    assert (t.loc[t["metric"] == "sustained_rtw_rate", "sustained_weeks"] == 8).all()
    assert "cox-efron adjusted: age, diagnosis" in set(t["method"])
    assert main(["evaluate", str(greve_path), "--covariates", "shoe_size"]) != 0
    assert main(["evaluate", str(greve_path), "--horizon-weeks", "-3"]) != 0


def test_plots_return_axes_and_accept_ax(ev):
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    assert ev.plot_time_on_benefit(ax=axes[0]) is axes[0]
    assert ev.plot_cif(ax=axes[1]) is axes[1]
    assert ev.plot_weekly_status(ax=axes[2]) is axes[2]
    texts = [t.get_text() for t in axes[0].texts]
    assert "at risk" in texts
    km = ev.durations.fit().km["intervention"]
    assert str(km.n) in texts  # numbers at risk at week 0
    assert len(axes[1].get_lines()) == 2
    assert len(axes[2].get_lines()) == 8  # 4 states × 2 groups
    plt.close(fig)
    ax = ev.durations.plot_relapse()
    assert ax.get_ylabel() == "relapsed"
    plt.close(ax.figure)
