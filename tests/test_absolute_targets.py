"""Absolute targets judged per group ("rtw_rate at least 50%"), checked against R and scipy.

Expected numbers come from R 4 (``binom.test``, ``prop.test(correct = FALSE)``,
``survival::survfit(conf.type = "log-log")``) on the shipped Greve sample; the calls are beside
each number. Greve: intervention 137 of 188 returned to work, control 97 of 180.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
from scipy import stats

from fastholdelse_eval import evaluate
from fastholdelse_eval.analysis.absolute_targets import (
    AbsoluteTarget,
    absolute_rows,
    binomial_p,
    is_absolute,
    parse_absolute,
)
from fastholdelse_eval.analysis.targets import Target, parse_target
from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError


@pytest.fixture(scope="module")
def participants(greve_cohort):
    """The Greve sample's participants alone: a one-group study."""
    data = greve_cohort.data[greve_cohort.data["group"] == "intervention"]
    return dataclasses.replace(greve_cohort, data=data.reset_index(drop=True))


def _targets(table):
    t = table[table["metric"].str.startswith("target:")]
    return t.set_index(["metric", "group"])


def test_short_forms_english_and_danish():
    assert parse_target("rtw_rate at least 50%") == AbsoluteTarget("rtw_rate", "at_least", 0.5)
    assert parse_target("rtw_rate at least 50 %") == AbsoluteTarget("rtw_rate", "at_least", 0.5)
    assert parse_target("rtw_rate mindst 50 %") == AbsoluteTarget("rtw_rate", "at_least", 0.5)
    assert parse_target("rtw_rate >= 0.5") == AbsoluteTarget("rtw_rate", "at_least", 0.5)
    assert parse_target("median_weeks_on_benefit at most 12") == \
        AbsoluteTarget("median_weeks_on_benefit", "at_most", 12.0)
    assert parse_target("median_weeks_on_benefit højst 12 uger") == \
        AbsoluteTarget("median_weeks_on_benefit", "at_most", 12.0)
    assert parse_target("mean_weeks_on_benefit at most 12,5 weeks").judged_metric == \
        "rmst_weeks_on_benefit"
    assert parse_target({"metric": "partial_rtw_rate", "mindst": "30%", "label": "30 %"}) == \
        AbsoluteTarget("partial_rtw_rate", "at_least", 0.3, "30 %")
    assert parse_target({"metric": "median_weeks_on_benefit", "at_most": 12}).value == 12.0
    # relative targets are untouched
    assert parse_target("rtw_rate higher 5pp") == Target("rtw_rate", "higher", None, 0.05)
    assert not is_absolute("rtw_rate higher 5pp")


def test_partial_return_earlier_short_form():
    """'partial return at least 4 weeks earlier' = the difference in median weeks to a first
    partial return (intervention − control) at most −4."""
    want = Target("median_weeks_to_partial_rtw", "lower", None, 4.0)
    assert parse_target("partial return at least 4 weeks earlier") == want
    assert parse_target("time to partial return 4 weeks earlier") == want
    assert parse_target("delvis raskmelding mindst 4 uger tidligere") == want


@pytest.mark.parametrize("bad, words", [
    ("rtw_rate at least 50", "strictly between 0 and 100"),
    ("rtw_rate at least 0%", "strictly between"),
    ("median_weeks_on_benefit at most 12%", "in weeks, not %"),
    ("logrank_rtw at least 3", "takes no absolute target"),
    ("happiness at least 50%", "takes no absolute target"),
    ({"metric": "rtw_rate", "at_least": 0.5, "at_most": 0.7}, "one of 'at_least'"),
    ({"metric": "rtw_rate", "at_least": 0.5, "direction": "higher"}, "one of 'at_least'"),
    ({"metric": "rtw_rate", "at_least": "half"}, "must be a number"),
    ("median_weeks_on_benefit lower", "judged per group only"),
])
def test_bad_specs_name_the_problem(bad, words):
    with pytest.raises(ConfigError, match=words):
        parse_target(bad)


def test_binomial_p_against_r_and_scipy():
    # R: binom.test(137, 188, 0.5, alternative = "greater")$p.value = 1.38965480635495e-10
    #    prop.test(137, 188, p = 0.5, alternative = "greater", correct = FALSE)$p.value
    #      = 1.77997085929451e-10
    score, exact = binomial_p(137, 188, 0.5, "at_least")
    assert exact == pytest.approx(1.38965480635495e-10, rel=1e-9)
    assert score == pytest.approx(1.77997085929451e-10, rel=1e-9)
    assert exact == pytest.approx(stats.binomtest(137, 188, 0.5, "greater").pvalue, rel=1e-12)
    # R: binom.test(97, 180, 0.5, alternative = "greater")$p.value = 0.166289545228469
    #    prop.test(97, 180, p = 0.5, alternative = "greater", correct = FALSE) 0.14835876316103
    score, exact = binomial_p(97, 180, 0.5, "at_least")
    assert (score, exact) == pytest.approx((0.14835876316103, 0.166289545228469), rel=1e-10)
    # R: binom.test(59, 188, 0.35, alternative = "less")$p.value = 0.16782410701382
    #    prop.test(59, 188, p = 0.35, alternative = "less", correct = FALSE) 0.14922226978637
    score, exact = binomial_p(59, 188, 0.35, "at_most")
    assert (score, exact) == pytest.approx((0.14922226978637, 0.16782410701382), rel=1e-10)
    # A small group, where exact and score differ most:
    # R: binom.test(3, 12, 0.5, alternative = "less")$p.value = 0.072998046875 (= 299/4096)
    #    prop.test(3, 12, p = 0.5, alternative = "less", correct = FALSE) 0.0416322583317752
    score, exact = binomial_p(3, 12, 0.5, "at_most")
    assert exact == 299 / 4096
    assert score == pytest.approx(0.0416322583317752, rel=1e-10)
    assert exact == pytest.approx(stats.binomtest(3, 12, 0.5, "less").pvalue, rel=1e-12)


def test_one_group_study_rate_and_median_targets(participants):
    """Greve participants alone: 'rtw_rate at least 50%' met with confidence, and so is
    'median_weeks_on_benefit at most 12'; 'rmst ≤ 12' only possibly."""
    t = _targets(evaluate(participants, targets=[
        "rtw_rate at least 50%", "median_weeks_on_benefit at most 12",
        "rmst_weeks_on_benefit at most 12", "partial_rtw_rate at least 35%"]).tidy())
    assert set(t.index.get_level_values("group")) == {"intervention"}
    rtw = t.loc[("target:rtw_rate", "intervention")]
    # 137/188 with its Wilson interval (statsmodels proportion_confint method="wilson")
    assert rtw["estimate"] == pytest.approx(137 / 188, abs=1e-12)
    assert (rtw["ci_low"], rtw["ci_high"]) == pytest.approx((0.661060, 0.787226), abs=1e-6)
    assert rtw["p_value"] == pytest.approx(1.77997085929451e-10, rel=1e-9)  # prop.test above
    assert rtw["p_exact"] == pytest.approx(1.38965480635495e-10, rel=1e-9)  # binom.test above
    assert rtw["verdict"] == "met with confidence"
    assert bool(rtw["met_point"]) and bool(rtw["met_ci"])
    assert rtw["target_value"] == 0.5
    med = t.loc[("target:median_weeks_on_benefit", "intervention")]
    # R: f <- survfit(Surv(weeks, ended) ~ 1, conf.type = "log-log") on the participants:
    #    quantile(f, 0.5): 9.714286 (7.857143, 11.142857)  [= 68/7, 55/7, 78/7 weeks]
    #    s <- summary(f, times = 12): surv 0.388297872340426, std.err 0.0355445955041679
    #    z <- (log(-log(s$surv)) - log(-log(0.5))) * s$surv * log(s$surv) / s$std.err
    #    pnorm(z) = 0.000655113377703084
    assert (med["estimate"], med["ci_low"], med["ci_high"]) == pytest.approx(
        (68 / 7, 55 / 7, 78 / 7), abs=1e-9)
    assert med["p_value"] == pytest.approx(0.000655113377703084, rel=1e-8)
    assert med["verdict"] == "met with confidence"
    rmst = t.loc[("target:rmst_weeks_on_benefit", "intervention")]
    # Wald on the row's own interval: z = (11.714618 − 12) / se, se = (12.927377 − 10.501859)
    # / (2 · 1.959964)
    se = (rmst["ci_high"] - rmst["ci_low"]) / (2 * stats.norm.ppf(0.975))
    assert rmst["p_value"] == pytest.approx(stats.norm.cdf((rmst["estimate"] - 12) / se))
    assert rmst["p_value"] == pytest.approx(0.3223235, abs=1e-6)
    assert rmst["verdict"] == "possibly met"
    assert bool(rmst["met_point"]) and not bool(rmst["met_ci"])
    part = t.loc[("target:partial_rtw_rate", "intervention")]
    # R: prop.test(59, 188, p = 0.35, alternative = "greater", correct = FALSE) 0.85077773021363
    #    binom.test(59, 188, 0.35, alternative = "greater") 0.868295136811037
    assert part["p_value"] == pytest.approx(0.85077773021363, rel=1e-10)
    assert part["p_exact"] == pytest.approx(0.868295136811037, rel=1e-10)
    assert part["verdict"] == "not met"
    # the row judged per group has no counts of its own (disclosure rests on the rate's row)
    assert pd.isna(rtw["numerator"]) and pd.isna(rtw["denominator"])


def test_two_group_study_judges_each_group(greve_cohort):
    t = _targets(evaluate(greve_cohort, targets=["rtw_rate at least 50%",
                                                 "median_weeks_on_benefit at most 12"]).tidy())
    ctl = t.loc[("target:rtw_rate", "control")]
    # 97/180 = 0.5389: the estimate reaches 50 %, the Wilson interval (0.466, 0.610) does not
    assert ctl["estimate"] == pytest.approx(97 / 180)
    assert ctl["verdict"] == "possibly met"
    assert ctl["p_value"] == pytest.approx(0.14835876316103, rel=1e-10)  # prop.test above
    med = t.loc[("target:median_weeks_on_benefit", "control")]
    # R (controls): summary(f, times = 12): surv 0.555555555555556, std.err 0.0370370370370371,
    #    pnorm(z) = 0.926985100131855
    assert med["p_value"] == pytest.approx(0.926985100131855, rel=1e-8)
    assert med["verdict"] == "not met"
    assert len(t) == 2 * 2  # each target, each group
    # R (participants): summary(f, times = 8): surv 0.563829787234043,
    #    pnorm(z, lower.tail = FALSE) = 0.0445325503905627;  (controls) 5.102225274133e-08
    rows = evaluate(greve_cohort, targets=["median_weeks_on_benefit at least 8"]).tidy()
    at_least = _targets(rows)
    assert at_least.loc[("target:median_weeks_on_benefit", "intervention"), "p_value"] == \
        pytest.approx(0.0445325503905627, rel=1e-8)
    assert at_least.loc[("target:median_weeks_on_benefit", "control"), "p_value"] == \
        pytest.approx(5.102225274133e-08, rel=1e-7)


def test_aggregate_counts_take_rate_targets_not_median(greve_aggregate_path):
    from fastholdelse_eval import load_cohort

    t = _targets(evaluate(load_cohort(greve_aggregate_path),
                          targets=["rtw_rate at least 50%",
                                   "median_weeks_on_benefit at most 12"]).tidy())
    assert t.loc[("target:rtw_rate", "intervention"), "verdict"] == "met with confidence"
    med = t.loc[("target:median_weeks_on_benefit", "intervention")]
    assert pd.isna(med["met_point"]) and med["note"] == "needs person-level data"


def test_median_not_reached_is_still_judged():
    """A curve that stays above 0.5: the median is not reached, 'at most 12' is not met and
    the p-value comes from S(12) all the same."""
    from fastholdelse_eval.stats.kaplan_meier import kaplan_meier

    time = [2.0, 4, 6, 20, 20, 20, 20, 20, 20, 20]
    ended = [True, True, True, False, False, False, False, False, False, False]
    km = kaplan_meier(time, ended, conf_type="log-log")
    fit = type("Fit", (), {"km": {"intervention": km}})()
    table = tidy.frame([
        tidy.row("n", "intervention", 10, municipality="X"),
        tidy.row("median_weeks_on_benefit", "intervention", float("nan"), municipality="X"),
    ])
    out = absolute_rows(table, [parse_absolute("median_weeks_on_benefit at most 12")],
                        durations=type("D", (), {"fits": {"X": fit}})())
    row = out.iloc[0]
    assert row["verdict"] == "not met" and not bool(row["met_point"])
    # S(12) = 0.7, Greenwood se = sqrt(0.7 · 0.3 / 10) (no censoring before 12): by hand
    s, se = 0.7, (0.7 * 0.3 / 10) ** 0.5
    z = (math.log(-math.log(s)) - math.log(-math.log(0.5))) * s * math.log(s) / se
    assert row["p_value"] == pytest.approx(stats.norm.cdf(z), rel=1e-12)
    assert row["p_value"] == pytest.approx(0.8738389, abs=1e-7)


def test_study_toml_and_cli(tmp_path, greve_path, capsys):
    from fastholdelse_eval.cli.main import main
    from fastholdelse_eval.pipeline.study import load_config

    toml = tmp_path / "study.toml"
    toml.write_text(f'data = "{greve_path.as_posix()}"\n'
                    'targets = ["rtw_rate at least 50%", "median_weeks_on_benefit højst 12", '
                    '{metric = "partial_rtw_rate", mindst = "30%"}]\n',
                    encoding="utf-8")
    config = load_config(toml)
    assert len(config.targets) == 3
    bad = tmp_path / "bad.toml"
    bad.write_text(f'data = "{greve_path.as_posix()}"\ntargets = ["rtw_rate at least 50"]\n',
                   encoding="utf-8")
    with pytest.raises(ConfigError, match=r"targets\[1\]: .*between 0 and 100"):
        load_config(bad)
    out = tmp_path / "t.csv"
    assert main(["evaluate", str(greve_path), "--target", "rtw_rate at least 50%",
                 "--target", "median_weeks_on_benefit at most 12", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    judged = table[table["metric"] == "target:rtw_rate"].set_index("group")
    assert judged.loc["intervention", "verdict"] == "met with confidence"
    assert judged.loc["control", "verdict"] == "possibly met"
    assert main(["evaluate", str(greve_path), "--target", "rtw_rate at least 150%"]) != 0
    assert "--target" in capsys.readouterr().err


@pytest.mark.parametrize("lang, words", [
    ("en", ["Returned to work: at least 50% (intervention)",
            "72.9% (66.1 to 78.7); one-sided p < 0.001 against the target value",
            "met (the whole interval meets the target)",
            "Median weeks on benefit: at most 12 weeks (intervention)",
            "Partial return to work: at least 35% (intervention)",
            "not met by the estimate; the interval still includes the target",
            "it does not show that the intervention caused it"]),
    ("da", ["Raskmeldt: mindst 50\u00a0% (indsatsgruppe)",
            "72,9\u00a0% (66,1 til 78,7); ensidet p < 0,001 mod målværdien",
            "Median uger på sygedagpenge: højst 12 uger (indsatsgruppe)",
            "ikke nået ifølge estimatet; intervallet rummer dog stadig målet",
            "det viser ikke, at indsatsen er årsagen"]),
])
def test_report_words_one_group(participants, tmp_path, lang, words):
    ev = evaluate(participants, targets=["rtw_rate at least 50%",
                                         "median_weeks_on_benefit at most 12",
                                         "partial_rtw_rate at least 35%"])
    ev.to_markdown(tmp_path / "r.md", lang=lang)
    text = (tmp_path / "r.md").read_text(encoding="utf-8").replace("\\<", "<")
    for w in words:
        assert w in text
    # no control group, so no control rows in the targets table
    assert "(control)" not in text and "(kontrolgruppe)" not in text
