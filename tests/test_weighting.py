"""Weighted and matched comparison groups end to end: evaluate(weighting=…), the CLI and study
TOML options, disclosure of the new rows, the design section, and the confounded sample whose
true effect is known."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fastholdelse_eval as fe
from fastholdelse_eval.analysis.baseline import baseline_rows
from fastholdelse_eval.analysis.weighting import weigh
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import EvaluationOptions
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.sample_confounded import simulate_confounded, true_effects
from fastholdelse_eval.pipeline.study import parse_config
from fastholdelse_eval.privacy.disclosure import suppress

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
COVS = ["age", "sex", "diagnosis", "has_employer"]
B20, B100 = {"weighting_bootstrap": 20}, {"weighting_bootstrap": 100}


@pytest.fixture(scope="module")
def confounded() -> Cohort:
    return fe.load_cohort(SAMPLE / "confounded.csv")


@pytest.fixture(scope="module")
def greve() -> Cohort:
    return fe.load_cohort(SAMPLE / "greve_2009.csv")


def test_shipped_sample_is_the_seeded_simulation(confounded) -> None:
    frame = simulate_confounded()
    assert len(confounded) == len(frame) == 2000
    assert (confounded.data["person_id"].to_numpy() == frame["person_id"].to_numpy()).all()
    assert (confounded.data["group"].to_numpy() == frame["group"].to_numpy()).all()


def test_true_effects_are_fixed() -> None:
    truth = true_effects()
    assert truth["rtw_rate"] == pytest.approx(0.031147424250428934, abs=1e-12)
    assert truth["rmst_weeks_on_benefit"] == pytest.approx(-2.40073038281602, abs=1e-9)


@pytest.mark.parametrize("method", ["att", "match"])
def test_weighting_recovers_the_truth_where_the_crude_comparison_does_not(confounded,
                                                                          method) -> None:
    truth = true_effects()
    t = fe.evaluate(confounded, B100, covariates=COVS, weighting=method).tidy()

    def diff(metric):
        return t[(t["metric"] == metric) & (t["group"] == "difference")].iloc[0]

    for metric in ("rtw_rate", "rmst_weeks_on_benefit"):
        crude, weighted = diff(metric), diff(f"weighted_{metric}")
        assert not crude["ci_low"] <= truth[metric] <= crude["ci_high"], metric
        assert weighted["ci_low"] <= truth[metric] <= weighted["ci_high"], metric
        assert abs(weighted["estimate"] - truth[metric]) < abs(crude["estimate"]
                                                               - truth[metric])


def test_design_rows_and_balance(confounded) -> None:
    w = weigh(confounded, COVS, "att")
    t = w.tidy()
    assert set(t["weighting"]) == {"att"} and set(t["estimand"]) == {"ATT"}
    ess = t[t["metric"] == "effective_n"].set_index("group")
    assert ess.loc["intervention", "estimate"] == pytest.approx(892)  # weights 1
    treat = w.treat
    c = w.weights[~treat]
    assert ess.loc["control", "estimate"] == pytest.approx(c.sum() ** 2 / (c ** 2).sum())
    # before-weighting SMDs are the baseline table's
    base = baseline_rows(confounded, COVS)
    base = base[base["group"] == "difference"].set_index(["metric", "level"])["estimate"]
    for _, r in t[t["metric"].str.startswith("balance_")].iterrows():
        key = ("baseline_" + r["metric"][len("balance_"):], r["level"])
        assert r["smd_before"] == pytest.approx(base.loc[key], rel=1e-9)
    assert w.is_balanced() and t.loc[t["metric"] == "balance_age", "balanced"].all()
    before = t.loc[t["metric"] == "balance_age", "smd_before"].iloc[0]
    assert abs(before) > 0.3  # the sample is confounded on age


def test_matching_rows_are_clustered_by_matched_set(confounded) -> None:
    t = fe.evaluate(confounded, B20, covariates=COVS, weighting="match").tidy()
    rate = t[t["metric"] == "weighted_rtw_rate"]
    assert set(rate["variance"]) == {"clustered by matched set"}
    n = rate.set_index("group")["denominator"]
    assert n["intervention"] == n["control"]  # 1:1 matching without replacement


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="weighting: must be one of"):
        EvaluationOptions(weighting="ipw", covariates=("age",))
    with pytest.raises(ConfigError, match="needs covariates"):
        EvaluationOptions(weighting="att")
    with pytest.raises(ConfigError, match="ratio"):
        EvaluationOptions(weighting="match", covariates=("age",), ratio=0)
    assert EvaluationOptions.from_mapping({"vægtning": "ATT", "kovariater": ["age"]}
                                          ).weighting == "att"


def test_weighting_needs_person_level_data() -> None:
    agg = fe.load_cohort(SAMPLE / "greve_2009_aggregate.csv")
    with pytest.raises(ConfigError, match="person-level"):
        fe.evaluate(agg, covariates=["age"], weighting="att")


def test_study_toml_weighting(tmp_path) -> None:
    (tmp_path / "c.csv").write_bytes((SAMPLE / "confounded.csv").read_bytes())
    cfg = parse_config({"data": "c.csv", "covariates": COVS,
                        "weighting": {"method": "match", "caliper": 0.1, "ratio": 2}}, tmp_path)
    o = cfg.options
    assert (o.weighting, o.caliper, o.ratio) == ("match", 0.1, 2)
    assert parse_config({"data": "c.csv", "covariates": COVS, "weighting": "entropy"},
                        tmp_path).options.weighting == "entropy"
    with pytest.raises(ConfigError, match="weighting.calipr"):
        parse_config({"data": "c.csv", "covariates": COVS,
                      "weighting": {"method": "match", "calipr": 0.1}}, tmp_path)


def test_cli_weighting(tmp_path) -> None:
    out = tmp_path / "t.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "fastholdelse_eval.cli", "evaluate", str(SAMPLE / "greve_2009.csv"),
         "--covariates", "age,sex", "--weighting", "overlap", "--weighting-bootstrap", "20",
         "--out", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    t = pd.read_csv(out)
    assert set(t.loc[t["metric"].str.startswith("weighted_"), "weighting"]) == {"overlap"}
    bad = subprocess.run(
        [sys.executable, "-m", "fastholdelse_eval.cli", "evaluate", str(SAMPLE / "greve_2009.csv"),
         "--weighting", "att"], capture_output=True, text=True, check=False)
    assert bad.returncode != 0 and "needs covariates" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_disclosure_masks_small_support_counts_and_derived_balance(greve) -> None:
    ev = fe.evaluate(greve, B20, covariates=["age", "diagnosis"],
                     weighting="att")
    table = ev.tidy()
    out = table[(table["metric"] == "outside_support_rate")]
    small = out[(out["numerator"] > 0) & (out["numerator"] < 5)]
    assert len(small)  # the Greve sample has a few persons outside common support
    cleared = suppress(table).table
    masked = cleared.loc[small.index]
    assert masked["estimate"].isna().all() and (masked["numerator_mask"] == "small").all()
    # a balance row rests on its covariate level's baseline row
    frame = pd.concat([baseline_rows(greve, ["diagnosis"]), table], ignore_index=True)
    frame.loc[(frame["metric"] == "baseline_diagnosis") & (frame["level"] == "andet")
              & (frame["group"] == "control"), "numerator"] = 3
    cleared = suppress(frame).table
    bal = cleared[(cleared["metric"] == "balance_diagnosis") & (cleared["level"] == "andet")]
    assert bal["estimate"].isna().all()


def test_report_has_a_design_section_only_when_weighted(greve, tmp_path) -> None:
    ev = fe.evaluate(greve, B20, covariates=["age", "sex"], weighting="entropy")
    ev.to_markdown(tmp_path / "w" / "r.md", "en")
    text = (tmp_path / "w" / "r.md").read_text(encoding="utf-8")
    assert "## The comparison group: weighting and balance" in text
    assert "entropy balancing" in text and "not measured" in text
    assert (tmp_path / "w" / "r-fig-love.svg").exists()
    fe.evaluate(greve).to_markdown(tmp_path / "c" / "r.md", "en")
    assert "comparison group: weighting" not in (tmp_path / "c" / "r.md").read_text("utf-8")


def test_plots_return_axes(confounded) -> None:
    import matplotlib.pyplot as plt

    w = weigh(confounded, COVS, "overlap")
    fig, (a, b) = plt.subplots(1, 2)
    assert w.plot_love(ax=a) is a
    assert w.plot_overlap(ax=b) is b
    assert len(a.get_yticklabels()) == len(w.balance)
    plt.close(fig)


def test_trim_is_noted(confounded) -> None:
    w = weigh(confounded, COVS, "ate", trim=0.1)
    assert any("trimmed" in n for n in w.notes)
    assert np.all(w.weights[(w.score < 0.1) | (w.score > 0.9)] == 0)
