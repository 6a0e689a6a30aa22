"""Progression analyses on the synthetic Greve sample, held to R's numbers.

The R session that produced the expected numbers (R 4.x, lme4, survival from Debian's r-cran-*
packages), with the data exported from this package's own mapping of measurements to visits::

    # Python: v = prog.visits joined with group; months = days / (365.25 / 12);
    #         w = one row per person (score_0, score_13, score_26, weeks_on_benefit, rtw_event)
    library(lme4); library(survival)
    m <- lmer(score ~ months * treated + (months | person_id), data = v, REML = TRUE)
    fixef(m); sqrt(diag(as.matrix(vcov(m)))); VarCorr(m)$person_id; sigma(m)^2
    f <- lm(score_13 ~ score_0 + treated, data = w)   # and score_26
    summary(f)$coefficients["treated", ]; confint(f)["treated", ]; nobs(f)
    w$imp <- (w$score_13 - w$score_0) / 10              # WHO-5 MIC = 10 points
    d <- subset(w, weeks_on_benefit > 17 & !is.na(imp)) # landmark = week 13 + 4-week window
    coxph(Surv(weeks_on_benefit - 17, rtw_event == 1) ~ imp + treated, data = d,
          ties = "efron")

Tolerances: OLS and Cox are the same closed-form/Newton problems as R's, so they agree to
1e-8 relative. REML is an iterative optimisation (statsmodels L-BFGS on a different
parametrisation than lme4's bobyqa on the relative Cholesky factor); both stop at a tolerance,
so fixed effects agree to ~1e-6 and variance components to ~1e-5 relative: the test allows
1e-4 relative (variance components 1e-3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fastholdelse_eval as fe
from fastholdelse_eval.analysis.progression import DAYS_PER_MONTH, _wide, progression_rows
from fastholdelse_eval.data.progression import load_progression
from fastholdelse_eval.stats.progression import ancova, mixed_trajectory

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def greve():
    cohort = fe.load_cohort(SAMPLE / "greve_2009.csv")
    prog = load_progression(SAMPLE / "greve_2009_progression.csv", cohort)
    return cohort, prog


@pytest.fixture(scope="module")
def result(greve):
    cohort, prog = greve
    return progression_rows(prog, cohort, municipality="Greve")


def _row(t, metric, group, level):
    r = t[(t["metric"] == metric) & (t["group"] == group) & (t["level"] == level)]
    assert len(r) == 1, (metric, group, level)
    return r.iloc[0]


@pytest.mark.parametrize(("visit", "coef", "se", "p", "low", "high", "n"), [
    # R: summary(lm(score_13 ~ score_0 + treated))$coefficients["treated", ]; confint
    ("13", 4.36546524446351, 1.44321113832264, 0.00273209640114, 1.52384560838, 7.20708488055,
     268),
    ("26", 8.59798109798, 2.05670852481, 4.36520302003e-05, 4.54211594024, 12.65384625571,
     201),
])
def test_ancova_matches_r_lm(greve, visit, coef, se, p, low, high, n) -> None:
    _, prog = greve
    w = _wide(prog, "who5")
    a = ancova(w[f"score_{visit}"], w["score_0"], (w["group"] == "intervention").astype(float))
    assert a.n == n
    assert a.estimate == pytest.approx(coef, rel=1e-8)
    assert a.se == pytest.approx(se, rel=1e-8)
    assert a.p_value == pytest.approx(p, rel=1e-6)
    assert (a.ci_low, a.ci_high) == pytest.approx((low, high), rel=1e-8)


def test_mixed_model_matches_r_lmer(greve) -> None:
    cohort, prog = greve
    v = prog.visits.merge(cohort.data[["person_id", "group"]], on="person_id")
    fit = mixed_trajectory(v["score"], v["days"] / DAYS_PER_MONTH,
                           (v["group"] == "intervention").astype(float), v["person_id"])
    assert fit.n_obs == 838 and fit.n_persons == 368 and fit.converged
    # R: fixef(m)
    assert fit.intercept == pytest.approx(43.24722036658, rel=1e-4)
    assert fit.slope_control.estimate == pytest.approx(1.85020598937, rel=1e-4)
    assert fit.group_at_zero == pytest.approx(1.18849156248, rel=1e-4)
    assert fit.interaction.estimate == pytest.approx(1.49054728043, rel=1e-4)
    # R: sqrt(diag(vcov(m))) for months and months:treated
    assert fit.slope_control.se == pytest.approx(0.243620560549, rel=1e-4)
    assert fit.interaction.se == pytest.approx(0.329768206451, rel=1e-4)
    # R: VarCorr(m)$person_id; sigma(m)^2
    assert fit.re_cov == pytest.approx(np.array([[205.99433812252, -1.43490566957],
                                                 [-1.43490566957, 2.72315903426]]), rel=1e-3)
    assert fit.residual_var == pytest.approx(67.9657580034, rel=1e-3)
    # the intervention slope is the sum of two coefficients
    assert fit.slope_intervention.estimate == pytest.approx(1.85020598937 + 1.49054728043,
                                                            rel=1e-4)


def test_landmark_cox_matches_r_coxph(result) -> None:
    r = _row(result.tidy(), "progression_landmark_hr", "all", "who5")
    # R: summary(coxph(...))$conf.int["imp", ]; $coefficients["imp", "Pr(>|z|)"]
    assert r["estimate"] == pytest.approx(1.21982662813, rel=1e-8)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.882625416569, 1.68585333571),
                                                        rel=1e-8)
    assert r["p_value"] == pytest.approx(0.228718648892, rel=1e-6)
    assert (r["denominator"], r["numerator"]) == (110, 31)  # R: nrow(d); sum(events)
    assert r["landmark_weeks"] == 17


def test_rows_agree_with_the_fits(result) -> None:
    t = result.tidy()
    a = _row(t, "progression_ancova", "difference", "who5:26")
    assert a["estimate"] == pytest.approx(8.59798109798, rel=1e-8)
    s = _row(t, "progression_slope", "difference", "who5")
    assert s["estimate"] == pytest.approx(1.49054728043, rel=1e-4)
    z = 1.959963984540054
    assert s["ci_high"] - s["ci_low"] == pytest.approx(2 * z * 0.329768206451, rel=1e-4)


def test_measured_shares_and_dropout_counts(result) -> None:
    t = result.tidy()
    # 188/180 persons; baseline missing for one participant (its WHO-5 had an item missing)
    r = _row(t, "progression_measured", "intervention", "who5:0")
    assert (r["numerator"], r["denominator"]) == (187, 188)
    r13 = _row(t, "progression_measured", "control", "who5:13")
    assert (r13["numerator"], r13["denominator"]) == (125, 180)
    # week 26 is due only for persons whose window (start + 30 weeks) ended by 2009-10-08
    r26 = _row(t, "progression_measured", "intervention", "who5:26")
    assert (r26["numerator"], r26["denominator"]) == (114, 146)
    # drop-out is carried by these rows (protected by disclosure control), not by free-text
    # notes, which bypass it: 55 controls missed a due week-13 visit
    assert r13["denominator"] - r13["numerator"] == 55
    assert result.notes == [
        "22 WHO-5 measurements not scored (WHO-5 is scored only when every item is answered)",
        "32 progression measurements outside every visit window (baseline ± 14 days; weeks "
        "13 and 26, each ± 4 weeks) not used"]


def test_improvement_share_counts_by_hand(greve, result) -> None:
    _, prog = greve
    w = _wide(prog, "who5")
    both = w["score_13"].notna() & w["score_0"].notna()
    better = both & (w["score_13"] - w["score_0"] >= 10)
    arm = w["group"] == "intervention"
    r = _row(result.tidy(), "progression_improved", "intervention", "who5:13")
    assert (r["numerator"], r["denominator"]) == (int((better & arm).sum()),
                                                  int((both & arm).sum()))
    # Wilson interval of 69/143, as R prop.test(69, 143, correct = FALSE)$conf.int
    assert (r["numerator"], r["denominator"]) == (69, 143)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.4021518168, 0.5637978541),
                                                        rel=1e-8)
