"""targets.py: parsing the spec and judging targets on point estimate and interval."""

from __future__ import annotations

import pandas as pd
import pytest

from fastholdelse_eval.analysis.targets import Target, parse_target, parse_targets, target_rows
from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError


def _table(muni="Greve"):
    r = lambda *a, **k: tidy.row(*a, municipality=muni, **k)  # noqa: E731
    return tidy.frame([
        r("rmst_weeks_on_benefit", "ratio", 0.72, 0.63, 0.84, p_value=1e-5,
          method="rmst ratio; delta-method log"),
        r("rmst_weeks_on_benefit", "difference", -4.75, -6.85, -2.65, method="rmst difference"),
        r("mean_weeks_on_benefit_completed", "intervention", 8.0, method="t"),
        r("mean_weeks_on_benefit_completed", "control", 10.0, method="t"),
        r("partial_rtw_rate", "ratio", 1.77, 1.21, 2.58, method="katz-log"),
        r("partial_rtw_rate", "difference", 0.136, 0.048, 0.221, method="newcombe"),
        r("active_offer_rate", "ratio", 3.40, 2.62, 4.42, method="katz-log"),
        r("cif_rtw", "difference", 0.20, 0.10, 0.30, method="aalen-johansen difference"),
        r("hazard_ratio_rtw", "ratio", 1.81, 1.39, 2.35, method="cox-efron"),
        r("hazard_ratio_rtw", "ratio", 1.70, 1.30, 2.20, method="cox-efron adjusted: age"),
    ])


def _met(row):
    return bool(row["met_point"]), bool(row["met_ci"])


def _get(rows, metric):
    hit = rows[rows["metric"] == metric]
    assert len(hit) == 1
    return hit.iloc[0]


def test_parse_dicts_and_strings():
    assert parse_target({"metric": "rmst_weeks_on_benefit", "direction": "lower",
                         "relative": 0.2}) == Target("rmst_weeks_on_benefit", "lower", 0.2)
    assert parse_target("rmst_weeks_on_benefit lower 20%") == \
        Target("rmst_weeks_on_benefit", "lower", 0.2)
    assert parse_target("partial_rtw_rate higher by at least 25 %") == \
        Target("partial_rtw_rate", "higher", 0.25)
    assert parse_target("rtw_rate higher 5pp") == Target("rtw_rate", "higher", None, 0.05)
    assert parse_target("rmst_weeks_on_benefit shorter 2,5") == \
        Target("rmst_weeks_on_benefit", "lower", None, 2.5)
    assert parse_target("active_offer_rate flere") == Target("active_offer_rate", "higher")
    assert parse_target({"metric": "partial_rtw_rate", "direction": "higher",
                         "relative": "25%"}).relative == pytest.approx(0.25)
    # "any improvement" on a metric without a ratio row is judged on the difference row.
    assert parse_target("cif_rtw higher") == Target("cif_rtw", "higher", None, 0.0)
    assert len(parse_targets("rtw_rate higher; active_offer_rate higher")) == 2
    assert parse_targets(None) == []


@pytest.mark.parametrize("bad", [
    {"metric": "happiness", "direction": "higher"},
    {"metric": "rtw_rate", "direction": "sideways"},
    {"metric": "rtw_rate"},
    {"metric": "rtw_rate", "direction": "higher", "relative": 0.1, "absolute": 0.1},
    {"metric": "rtw_rate", "direction": "higher", "relative": -0.1},
    {"metric": "rtw_rate", "direction": "higher", "relative": "lots"},
    {"metric": "rtw_rate", "direction": "higher", "goal": 1},
    {"metric": "cif_rtw", "direction": "higher", "relative": 0.1},
    {"metric": "hazard_ratio_rtw", "direction": "higher", "absolute": 0.1},
    "rtw_rate",
    42,
])
def test_bad_specs_raise_config_errors(bad):
    with pytest.raises(ConfigError):
        parse_target(bad)


def test_judging_point_and_interval():
    rows = target_rows(_table(), [
        "mean_weeks_on_benefit lower 20%",
        {"metric": "partial_rtw_rate", "direction": "higher", "relative": 0.25},
        {"metric": "active_offer_rate", "direction": "higher"},
        "cif_rtw higher 10pp",
        "hazard_ratio_rtw higher 50%",
    ])
    # RMST ratio 0.72 (0.63–0.84) vs "20 % lower" (ratio ≤ 0.80): point yes, interval no.
    rmst = _get(rows, "target:rmst_weeks_on_benefit")
    assert rmst["group"] == "ratio"
    assert (rmst["estimate"], rmst["ci_low"], rmst["ci_high"]) == pytest.approx(
        (-0.28, -0.37, -0.16))
    assert _met(rmst) == (True, False)
    assert rmst["naive_relative_change"] == pytest.approx(8 / 10 - 1)
    assert rmst["p_value"] == pytest.approx(1e-5)
    # Partial returns 1.77 (1.21–2.58) vs "+25 %": point yes, interval no (1.21 < 1.25).
    part = _get(rows, "target:partial_rtw_rate")
    assert part["estimate"] == pytest.approx(0.77)
    assert _met(part) == (True, False)
    assert part["method"] == "relative change from katz-log"
    # Any increase in active offers: 3.40 (2.62–4.42): both.
    offer = _get(rows, "target:active_offer_rate")
    assert _met(offer) == (True, True)
    # Absolute: difference 0.20 (0.10–0.30) vs at least +0.10: the bound is inclusive.
    cif = _get(rows, "target:cif_rtw")
    assert cif["group"] == "difference" and cif["estimate"] == pytest.approx(0.20)
    assert _met(cif) == (True, True)
    # Hazard ratio: the unadjusted model row (1.81, 1.39–2.35) vs ≥ 1.5.
    hr = _get(rows, "target:hazard_ratio_rtw")
    assert hr["estimate"] == pytest.approx(0.81)
    assert _met(hr) == (True, False)
    assert str(rows["met_point"].dtype) == "boolean"


def test_lower_target_missed_and_any_decrease():
    rows = target_rows(_table(), ["rmst_weeks_on_benefit lower 30%",
                                  "rmst_weeks_on_benefit lower"])
    missed, anyd = rows.iloc[0], rows.iloc[1]
    assert _met(missed) == (False, False)
    assert _met(anyd) == (True, True)  # 0.84 < 1
    assert "at least 30 % lower" in missed["target"]


def test_unavailable_metric_gives_empty_judgement_with_note():
    table = _table()
    table = table[table["metric"] != "rmst_weeks_on_benefit"]
    rows = target_rows(table, ["rmst_weeks_on_benefit lower 20%", "dropout_rate lower"])
    assert pd.isna(rows.iloc[0]["estimate"]) and pd.isna(rows.iloc[0]["met_point"])
    assert rows.iloc[0]["note"] == "needs person-level data"
    assert rows.iloc[1]["note"] == "metric not in the result table"


def test_rows_per_municipality():
    table = tidy.concat([_table("A"), _table("B"), _table("all")])
    rows = target_rows(table, ["partial_rtw_rate higher 25%"])
    assert rows["municipality"].tolist() == ["A", "B", "all"]
