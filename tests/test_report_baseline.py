"""Baseline balance (standardised mean differences) and flow rows for reports."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval import ConfigError
from fastholdelse_eval.analysis.baseline import baseline_rows, flow_rows
from fastholdelse_eval.data.cohort import Cohort


@pytest.fixture
def cohort() -> Cohort:
    """Two intervention persons (ages 30, 40) and three controls (20, 30, 40)."""
    frame = pd.DataFrame({
        "person_id": list("abcde"),
        "group": ["intervention"] * 2 + ["control"] * 3,
        "start_date": ["2009-01-05"] * 5,
        "end_date": ["2009-03-02", "", "2009-04-06", "2009-05-04", "2009-02-02"],
        "end_reason": ["rtw", "", "fleksjob", "fraflyttet", "rtw"],
        "followup_date": ["2009-10-08"] * 5,
        "age": ["30", "40", "20", "30", "40"],
        "sex": ["F", "M", "F", "M", "M"],
        "has_employer": ["ja", "nej", "ja", "", "nej"],
    })
    return Cohort.from_frame(frame, name="five")


def row(table, metric, group, level=""):
    levels = table["level"] if "level" in table else pd.Series("", index=table.index)
    t = table[(table.metric == metric) & (table.group == group) & (levels == level)]
    assert len(t) == 1
    return t.iloc[0]


def test_numeric_covariate_mean_sd_and_smd(cohort):
    t = baseline_rows(cohort, ["age"])
    i, c = row(t, "baseline_age", "intervention"), row(t, "baseline_age", "control")
    assert (i.estimate, c.estimate) == (35.0, 30.0)
    assert i.sd == pytest.approx(math.sqrt(50)) and c.sd == pytest.approx(10.0)
    assert (i.denominator, c.denominator) == (2, 3)
    # (35 − 30) / √((50 + 100) / 2), by hand
    assert row(t, "baseline_age", "difference").estimate == pytest.approx(5 / math.sqrt(75))
    assert row(t, "baseline_age", "difference").method == "smd"


def test_categorical_covariate_shares_and_smd(cohort):
    t = baseline_rows(cohort, ["sex", "has_employer"])
    f_i, f_c = row(t, "baseline_sex", "intervention", "F"), row(t, "baseline_sex", "control", "F")
    assert (f_i.numerator, f_i.denominator, f_c.numerator, f_c.denominator) == (1, 2, 1, 3)
    # (1/2 − 1/3) / √((1/4 + 2/9) / 2), by hand
    want = (1 / 6) / math.sqrt((0.25 + 2 / 9) / 2)
    assert row(t, "baseline_sex", "difference", "F").estimate == pytest.approx(want)
    assert row(t, "baseline_sex", "difference", "M").estimate == pytest.approx(-want)
    # a missing value leaves the denominator, not the category
    e = row(t, "baseline_has_employer", "control", "ja")
    assert (e.numerator, e.denominator) == (1, 2)
    assert set(t.loc[t.metric == "baseline_has_employer", "level"]) == {"ja", "nej"}


def test_unknown_covariate_is_a_config_error(cohort):
    with pytest.raises(ConfigError, match="^covariates"):
        baseline_rows(cohort, ["weight"])


def test_flow_rows_partition_each_group(cohort):
    t = flow_rows(cohort)
    still = {g: row(t, "on_benefit_rate", g) for g in ("intervention", "control")}
    left = {g: row(t, "left_study_rate", g) for g in ("intervention", "control")}
    assert (still["intervention"].numerator, still["intervention"].denominator) == (1, 2)
    assert still["control"].numerator == 0 and left["control"].numerator == 1  # moved away
    assert left["control"].estimate == pytest.approx(1 / 3)
    assert np.isnan(still["intervention"].ci_low)  # descriptive: no interval


def test_sample_smd_matches_an_independent_computation(greve_cohort):
    t = baseline_rows(greve_cohort, ["age"])
    d = greve_cohort.data
    a1 = d.loc[d.group == "intervention", "age"].astype(float)
    a0 = d.loc[d.group == "control", "age"].astype(float)
    pooled = math.sqrt((a1.var() + a0.var()) / 2)  # pandas var: ddof = 1
    assert row(t, "baseline_age", "difference").estimate == pytest.approx(
        (a1.mean() - a0.mean()) / pooled)
