"""Business case of a study of participants only against a STATED reference (issue 16, part 5):
hand-checked arithmetic and interval, equality with the two-group case when the reference is
the control group's own restricted mean, the sensitivity rows, refusals, the labels (tidy rows,
report in da and en, command line), and the report's fixed inputs and unsigned levels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import fastholdelse_eval as fe
from fastholdelse_eval.analysis.business_case import business_case
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core import metrics
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import BusinessCaseOptions, EvaluationOptions
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.privacy.disclosure import suppress

Z = 1.959963984540054
# Participants 2, 4, 6, 8, 10 weeks, every spell ended by RTW (RMST 6 within 26 weeks,
# Greenwood-type variance Σ A_j² d_j/(n_j(n_j − d_j)) = 0.8 + 0.48 + 0.24 + 0.08 = 1.6, as in
# test_business_case.py). Stated reference R = 12 weeks.
WEEKS = [2, 4, 6, 8, 10]
VAR_I = 1.6
INPUTS = {"weekly_benefit": 1000, "cost_per_participant": 2000, "cost_per_week": 100,
          "municipality_share": 0.5, "bootstrap": 0, "horizon_weeks": 26,
          "reference_weeks": 12}
VS = "vs_assumed_reference"


def participants(weeks=WEEKS, ongoing: float | None = None) -> Cohort:
    """Participants only; ``ongoing``: one more person still on benefit after that many weeks
    when follow-up ended."""
    start = pd.Timestamp("2009-01-05")
    rows = [{"person_id": f"p{i}", "group": "intervention", "start_date": "2009-01-05",
             "end_date": (start + pd.Timedelta(days=7 * w)).strftime("%Y-%m-%d"),
             "end_reason": "rtw", "followup_date": "2009-12-31"} for i, w in enumerate(weeks)]
    if ongoing is not None:
        end = (start + pd.Timedelta(days=7 * ongoing)).strftime("%Y-%m-%d")
        rows = [{**r, "followup_date": end} for r in rows]
        rows.append({"person_id": "p9", "group": "intervention", "start_date": "2009-01-05",
                     "end_date": "", "end_reason": "", "followup_date": end})
    return Cohort.from_frame(pd.DataFrame(rows))


def rows(cohort: Cohort, **changes) -> pd.DataFrame:
    ev = fe.evaluate(cohort, business_case={**INPUTS, **changes})
    t = ev.tidy()
    return t[t["metric"].isin([m for m in t["metric"].unique()
                               if metrics.get(m).producer.endswith("business_case")])]


def by_metric(t: pd.DataFrame) -> pd.DataFrame:
    return t[t["metric"] != "business_case_sensitivity"].set_index("metric")


def only_participants(cohort: Cohort) -> Cohort:
    return Cohort.from_frame(cohort.data[cohort.data["group"] == "intervention"])


# --- arithmetic and interval by hand ---------------------------------------------------------

def test_arithmetic_against_the_stated_reference_by_hand() -> None:
    t = by_metric(rows(participants()))
    est = t["estimate"]
    # W = R − RMST_i = 12 − 6; G = 6 × 1000; C = 2000 + 100 × 6; N = G − C
    assert est["participants_benefit_weeks"] == pytest.approx(6.0)
    assert est["assumed_reference_benefit_weeks"] == 12.0
    assert est["benefit_weeks_saved"] == pytest.approx(6.0)
    assert est["gross_saving_per_participant"] == pytest.approx(6000.0)
    assert est["gross_saving_municipality_per_participant"] == pytest.approx(3000.0)  # share 0.5
    assert est["gross_saving_state_per_participant"] == pytest.approx(3000.0)
    assert est["project_cost_per_participant"] == pytest.approx(2600.0)
    assert est["net_saving_per_participant"] == pytest.approx(3400.0)
    assert est["net_saving_municipality_per_participant"] == pytest.approx(3000.0 - 2600.0)
    assert est["net_saving_state_per_participant"] == pytest.approx(3000.0)
    assert est["net_saving_total"] == pytest.approx(5 * 3400.0)
    assert est["return_per_krone"] == pytest.approx(6000 / 2600)
    assert est["break_even_cost_per_participant"] == pytest.approx(6000.0)
    assert est["break_even_weeks_saved"] == pytest.approx(2.6)
    # one segment: the reference cannot be split by week of spell
    assert not any(m.startswith("benefit_weeks_saved_weeks_") for m in t.index)


def test_labels_say_assumption_not_effect() -> None:
    t = rows(participants())
    g = by_metric(t)["group"]
    assert g["participants_benefit_weeks"] == "intervention"
    assert g["assumed_reference_benefit_weeks"] == "assumed_reference"
    assert g["project_cost_per_participant"] == g["break_even_weeks_saved"] == "intervention"
    compared = t[~t["metric"].isin(["participants_benefit_weeks",
                                    "assumed_reference_benefit_weeks",
                                    "project_cost_per_participant", "break_even_weeks_saved"])]
    assert set(compared["group"]) == {VS}  # never "difference": it is not an effect
    assert compared["method"].str.contains("assumed reference").all()
    assert by_metric(t).loc["net_saving_per_participant", "method"].count(
        "an assumption, not an effect") == 1
    assert (t["reference_weeks"] == 12).all()
    assert by_metric(t).loc["assumed_reference_benefit_weeks", "method"] == \
        "stated by the user: an assumption, not an estimate"


def test_interval_without_and_with_the_reference_se_by_hand() -> None:
    t = by_metric(rows(participants()))
    # no SE of the reference: only the participants' RMST varies
    assert t.loc["benefit_weeks_saved", "se"] == pytest.approx(math.sqrt(VAR_I))
    assert t.loc["benefit_weeks_saved", "ci_low"] == pytest.approx(6 - Z * math.sqrt(VAR_I))
    # N = r·R − (r + c1)·RMST_i − c0: SE = 1100 · sqrt(1.6)
    se_n = 1100 * math.sqrt(VAR_I)
    assert t.loc["net_saving_per_participant", "se"] == pytest.approx(se_n)
    assert t.loc["net_saving_per_participant", "ci_high"] == pytest.approx(3400 + Z * se_n)
    assert t.loc["probability_saves_money", "estimate"] == pytest.approx(norm.cdf(3400 / se_n))
    assert np.isnan(t.loc["assumed_reference_benefit_weeks", "ci_low"])  # stated, no interval
    # with reference_se = 2: Var(W) = 1.6 + 4; SE(N)² = 1000²·4 + 1100²·1.6
    t = by_metric(rows(participants(), reference_se=2))
    assert t.loc["benefit_weeks_saved", "se"] == pytest.approx(math.sqrt(5.6))
    se_n = math.sqrt(1000**2 * 4 + 1100**2 * VAR_I)
    assert t.loc["net_saving_per_participant", "se"] == pytest.approx(se_n)
    assert t.loc["net_saving_per_participant", "ci_low"] == pytest.approx(3400 - Z * se_n)
    assert (t.loc["assumed_reference_benefit_weeks", ["ci_low", "ci_high"]].tolist()
            == pytest.approx([12 - 2 * Z, 12 + 2 * Z]))
    # the cost does not depend on the reference: SE 100·sqrt(1.6) either way
    assert t.loc["project_cost_per_participant", "se"] == pytest.approx(100 * math.sqrt(VAR_I))


def test_reference_equal_to_the_control_mean_gives_the_two_group_case(greve_cohort) -> None:
    """Stating the control group's own restricted mean and its SE as the reference reproduces
    the two-group delta-method business case exactly (flat share; the groups are independent
    in both): an independent check of the one-group path."""
    case = {"weekly_benefit": 4000, "cost_per_participant": 5000, "cost_per_week": 50,
            "municipality_share": 0.5, "horizon_weeks": 26, "bootstrap": 0}
    two = fe.evaluate(greve_cohort, business_case=case)
    control = two.durations.fits["Greve"].km["control"].rmst(26)
    one = fe.evaluate(only_participants(greve_cohort),
                      business_case={**case, "reference_weeks": control.estimate,
                                     "reference_se": control.se})
    a = by_metric(two.business_case.tidy()[two.business_case.tidy()["municipality"] == "Greve"])
    b = by_metric(one.business_case.tidy())
    for m in ("benefit_weeks_saved", "gross_saving_municipality_per_participant",
              "net_saving_per_participant", "net_saving_total", "return_per_krone",
              "project_cost_per_participant", "probability_saves_money"):
        for col in ("estimate", "ci_low", "ci_high"):
            x, y = a.loc[m, col], b.loc[m, col]
            assert (np.isnan(x) and np.isnan(y)) or x == pytest.approx(y, rel=1e-10), (m, col)
    # Greve: W = 15.78 − 11.71 = 4.07 weeks (the two-group figure of docs/business_case.md)
    assert b.loc["benefit_weeks_saved", "estimate"] == pytest.approx(4.0666, abs=1e-4)


def test_bootstrap_agrees_with_the_delta_method(greve_cohort) -> None:
    """Participants resampled, the reference drawn from N(R, se²): bootstrap SE within 8 % of
    the delta SE with B = 2000 (SE of a bootstrap SE ≈ SE/sqrt(2B) ≈ 1.6 %)."""
    ev = fe.evaluate(only_participants(greve_cohort), business_case={
        "weekly_benefit": 4000, "cost_per_participant": 5000, "cost_per_week": 50,
        "horizon_weeks": 26, "reference_weeks": 15.8, "reference_se": 0.7, "bootstrap": 2000,
        "seed": 11})
    t = ev.business_case.tidy()
    t = t[t["bootstrap_se"].notna() & (t["se"] > 0)]
    assert len(t) >= 8
    assert np.allclose(t["bootstrap_se"], t["se"], rtol=0.08)
    assert np.all(np.abs(t["bootstrap_ci_low"] - t["ci_low"]) < 0.25 * t["se"])


# --- sensitivity ---------------------------------------------------------------------------

def sensitivity(**changes) -> pd.Series:
    ev = fe.evaluate(participants(), business_case={**INPUTS, **changes})
    s = ev.business_case.sensitivity()
    return s.set_index(["parameter", "setting"])


@pytest.mark.parametrize(("changes", "low", "high"), [
    ({"reference_low": 10, "reference_high": 13}, 10.0, 13.0),  # the stated range
    ({"reference_se": 1}, 12 - Z, 12 + Z),  # R ± z·se
    ({}, 9.0, 15.0),  # R·(1 ± 0.25)
])
def test_sensitivity_varies_the_reference_not_the_horizon(changes, low, high) -> None:
    s = sensitivity(**changes)
    assert "horizon" not in s.index.get_level_values("parameter")
    assert s.loc[("reference", "low"), "value"] == pytest.approx(low)
    assert s.loc[("reference", "high"), "value"] == pytest.approx(high)
    # net at R': 1000·(R' − 6) − 2600
    assert s.loc[("reference", "low"), "net_saving_per_participant"] == \
        pytest.approx(1000 * (low - 6) - 2600)
    assert s.loc[("reference", "high"), "net_saving_per_participant"] == \
        pytest.approx(1000 * (high - 6) - 2600)
    assert s.loc[("base", "base"), "net_saving_per_participant"] == pytest.approx(3400)
    assert s.loc[("cost", "high"), "net_saving_per_participant"] == \
        pytest.approx(6000 - 1.25 * 2600)


def test_tornado_draws_the_reference() -> None:
    import matplotlib

    matplotlib.use("Agg")
    ev = fe.evaluate(participants(), business_case=INPUTS)
    ax = ev.business_case.plot_tornado()
    assert len(ax.patches) == 8
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    # the effect is weeks saved against the assumed reference, not an effect against controls
    assert "Assumed reference" in ticks and "Weeks saved vs. assumed reference" in ticks
    assert "Effect (weeks saved)" not in ticks
    assert ev.business_case.pooled_rows().empty  # one stated reference: nothing to pool


# --- refusals and notes --------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "message"), [
    ({"reference_weeks": 12, "horizon_weeks": None}, r"reference_weeks: give horizon_weeks"),
    ({"reference_weeks": 30}, r"reference_weeks: benefit weeks within the horizon lie between "
                              r"0 and horizon_weeks = 26"),
    ({"reference_weeks": "12"}, r"reference_weeks: must be a number of weeks"),
    ({"reference_weeks": None, "reference_se": 1}, r"reference_se: belongs to reference_weeks"),
    ({"reference_se": -1}, r"reference_se: must be at least 0"),
    ({"reference_low": 10}, r"give both reference_low and reference_high"),
    ({"reference_low": 13, "reference_high": 14}, r"must contain reference_weeks"),
])
def test_option_errors(raw, message) -> None:
    with pytest.raises(ConfigError, match=message):
        EvaluationOptions(business_case={**INPUTS, **raw})


def test_danish_keys() -> None:
    da = BusinessCaseOptions.coerce({"ydelse_pr_uge": 1000, "horisont_uger": 26,
                                     "reference_uger": 12, "reference_lav": 10,
                                     "reference_høj": 13})
    assert (da.reference_weeks, da.reference_low, da.reference_high) == (12.0, 10.0, 13.0)


def test_a_refusion_schedule_is_refused_for_one_group() -> None:
    with pytest.raises(ConfigError, match=r"municipality_share: a schedule by week of spell "
                                          r"cannot be applied to a single reference_weeks"):
        fe.evaluate(participants(), business_case={**INPUTS,
                                                   "municipality_share": [[0, 1], [4, 0.5]]})
    # a schedule whose steps all have the same share is one share
    t = by_metric(rows(participants(), municipality_share=[[0, 0.5], [4, 0.5]]))
    assert t.loc["gross_saving_municipality_per_participant", "estimate"] == pytest.approx(3000)


def test_reference_beyond_the_follow_up_is_refused() -> None:
    # one participant still on benefit after 20 weeks: the curve is unknown beyond week 20
    with pytest.raises(ConfigError, match=r"reference_weeks: stated within horizon_weeks = 26, "
                                          r"but .* known only up to week 20"):
        fe.evaluate(participants(ongoing=20), business_case=INPUTS)


def test_without_a_reference_a_note_or_an_error() -> None:
    no_ref = {**INPUTS, "reference_weeks": None}
    ev = fe.evaluate(participants(), business_case=no_ref)
    assert ev.business_case is None
    assert any("Participants only: give reference_weeks" in n for n in ev.notes)
    with pytest.raises(ConfigError, match=r"participants only .* give reference_weeks"):
        business_case(ev, no_ref)


def test_a_control_group_makes_the_reference_unused(greve_cohort) -> None:
    ev = fe.evaluate(greve_cohort, business_case={"weekly_benefit": 4000, "horizon_weeks": 26,
                                                  "reference_weeks": 15, "bootstrap": 0})
    assert any("reference_weeks is not used" in n for n in ev.notes)
    assert VS not in set(ev.tidy()["group"])


def test_a_municipality_without_controls_is_left_out_with_a_note() -> None:
    sites = fe.load_cohort(
        __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "sample"
        / "aktive_17.csv")
    d = sites.data
    first = d["municipality"].iloc[0]
    cohort = Cohort.from_frame(d[(d["municipality"] != first) | (d["group"] == "intervention")])
    ev = fe.evaluate(cohort, business_case={"weekly_benefit": 4000, "bootstrap": 0})
    assert any(n == f"business case: not for {first} (no control group there)." for n in ev.notes)
    t = ev.business_case.tidy()
    assert first not in set(t["municipality"]) and "all" in set(t["municipality"])


def test_note_says_assumption() -> None:
    ev = fe.evaluate(participants(), business_case={**INPUTS, "reference_se": 0.5})
    note = next(n for n in ev.notes if n.startswith("business case: participants only"))
    assert "ASSUMED reference of 12 benefit weeks per person within 26 weeks" in note
    assert "standard error 0.5" in note and "not an effect" in note


def test_disclosure_masks_the_comparison_with_the_participants() -> None:
    ev = fe.evaluate(participants(), business_case=INPUTS)
    t = suppress(ev.tidy(), threshold=6).table  # 5 participants: everything rests on them
    bc = t[t["metric"].isin(["net_saving_per_participant", "assumed_reference_benefit_weeks",
                             "participants_benefit_weeks", "business_case_sensitivity"])]
    assert len(bc) == 12 and (bc["suppressed"] != "").all() and bc["estimate"].isna().all()


# --- fixed inputs and levels in the two-group case -------------------------------------------

def test_fixed_inputs_have_no_interval(greve_cohort) -> None:
    t = by_metric(fe.evaluate(greve_cohort, business_case={
        "weekly_benefit": 4000, "cost_per_participant": 5000, "bootstrap": 100}).tidy()
        .query("municipality == 'Greve'"))
    for m in ("project_cost_per_participant", "break_even_weeks_saved",
              "gross_saving_state_per_participant"):  # share 1: the state saves 0, fixed
        assert t.loc[m, "se"] == 0
        assert t.loc[m, ["ci_low", "ci_high", "bootstrap_ci_low", "bootstrap_ci_high"]] \
            .isna().all(), m
    assert t.loc["break_even_weeks_saved", "group"] == "intervention"  # a level, not a difference
    assert t.loc["break_even_weeks_saved", "estimate"] == pytest.approx(5000 / 4000)
    assert t.loc["net_saving_per_participant", "ci_low"] < t.loc[
        "net_saving_per_participant", "ci_high"]


# --- report and command line -----------------------------------------------------------------

FLAGS = ["--weekly-benefit", "4000", "--benefit-year", "2009", "--cost-per-participant", "5000",
         "--business-horizon-weeks", "26", "--assumed-reference-weeks", "15.8",
         "--assumed-reference-se", "0.7", "--assumed-reference-low", "14",
         "--assumed-reference-high", "17.5", "--bootstrap", "0"]


@pytest.fixture(scope="module")
def participants_file(tmp_path_factory) -> str:
    from pathlib import Path

    from fastholdelse_eval.data.io import read_table

    path = Path(__file__).resolve().parents[1] / "data" / "sample" / "greve_2009.csv"
    frame = read_table(path).frame
    out = tmp_path_factory.mktemp("one") / "greve_deltagere.csv"
    frame[frame["gruppe"] == "deltager"].to_csv(out, sep=";", index=False,
                                                encoding="utf-8-sig")
    return str(out)


def section(md: str) -> str:
    heading = next(h for h in ("## Hvad sparer indsatsen?", "## What does the intervention save?")
                   if h in md)
    start = md.index(heading)
    return md[start: md.index("\n## ", start + 4)]


@pytest.mark.parametrize(("lang", "words"), [
    ("da", ["ANTAGET reference (oplyst af studiet, ikke målt): 15,8 uger",
            "Dens standardfejl, 0,7 uger, indgår i intervallerne.",
            "Dens rimelige spænd, 14,0 til 17,5 uger",
            "Deltagerne var i gennemsnit 11,7 uger på sygedagpenge inden for de første 26 uger; "
            "i forhold til de antagne 15,8 uger er det 4,1 uger færre",
            "| Indsatsens pris pr. deltager | 5.000 |  |",
            "| Sparede uger, der skal til for at hvile i sig selv | 1,2 |  |",
            "| Antaget reference | lav | 14,0 uger | 4.142 |",
            "| Netto-besparelse pr. deltager | 11.342 (4.017 til 18.666) |"]),
    ("en", ["ASSUMED reference (stated by the study, not measured): 15.8 weeks",
            "they are not an effect",
            "against the assumed 15.8 weeks that is 4.1 weeks fewer (95% confidence interval "
            "2.3 to 5.9 weeks)",
            "| Cost of the intervention per participant | 5,000 |  |",
            "| Weeks saved needed to break even | 1.2 |  |",
            "| Assumed reference | high | 17.5 weeks | 18,142 |",
            "The horizon is not varied: the reference is stated for 26 weeks."]),
])
def test_report_section_of_participants_only(capsys, tmp_path, participants_file, lang,
                                             words) -> None:
    """Greve participants (the sample filtered to the intervention group) against an assumed
    15.8 weeks (≈ the sample's control mean, 15.78): net 4000 × (15.8 − 11.7146) − 5000 =
    11,342 kr; the reference range 14–17.5 gives 4,142 and 18,142 kr."""
    code = main(["report", participants_file, "--out", str(tmp_path), "--lang", lang,
                 "--format", "md", "--quiet", *FLAGS])
    assert code == 0, capsys.readouterr().err
    md = next(tmp_path.glob(f"*.{lang}.md")).read_text(encoding="utf-8")
    text = section(md)
    for w in words:
        assert w in text, w
    assert "(5.000 til 5.000)" not in text and "(5,000 to 5,000)" not in text
    assert "+1,2" not in text and "+1.2" not in text
    assert ".svg" in text  # the tornado plot


def test_command_line_columns_and_note(capsys, participants_file) -> None:
    code = main(["evaluate", participants_file, *FLAGS])
    out, err = capsys.readouterr()
    assert code == 0, err
    header = next(line for line in out.splitlines() if "vs_assumed_reference" in line)
    assert "assumed_reference" in header.replace("vs_assumed_reference", "")
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert lines["project_cost_per_participant"].split()[-1] == "5000.00"  # no interval
    assert lines["break_even_weeks_saved"].split()[-1] == "1.25"
    assert lines["benefit_weeks_saved"].split()[-4:] == ["4.09", "(2.25", "to", "5.92)"]
    assert lines["probability_saves_money"].split()[-2:] == ["99.9", "%"]
    assert "business_case_sensitivity: reference low = 14.00" in lines
    assert "note: business case: participants only — compared with an ASSUMED reference" in out


@pytest.mark.parametrize(("lang", "label", "definition", "control"), [
    ("da", "Sparede uger mod antaget reference", "Den antagne references uger på sygedagpenge "
     "minus deltagernes gennemsnitlige uger", "Kontrolgruppens minus"),
    ("en", "Weeks saved vs. assumed reference", "The assumed reference's weeks on benefit minus "
     "the participants' mean weeks", "control group's minus"),
])
def test_report_names_weeks_saved_against_the_reference(capsys, tmp_path, participants_file,
                                                         lang, label, definition,
                                                         control) -> None:
    """One group: the sensitivity table, the tornado's bar and Methods' definition speak of
    the assumed reference, never of a control group or an effect."""
    code = main(["report", participants_file, "--out", str(tmp_path), "--lang", lang,
                 "--format", "md", "--quiet", *FLAGS])
    assert code == 0, capsys.readouterr().err
    md = next(tmp_path.glob(f"*.{lang}.md")).read_text(encoding="utf-8")
    assert f"| {label} | " in section(md)
    assert "Effekt (sparede uger)" not in md and "Effect (weeks saved)" not in md
    assert definition in md and control not in md
    svg = next(tmp_path.glob(f"*.{lang}-fig-tornado.svg")).read_text(encoding="utf-8")
    assert label in svg and "Effekt (sparede uger)" not in svg \
        and "Effect (weeks saved)" not in svg
