"""Register panels → cohort: every rule of issue 6 on hand-built panels, formats, CLI.

Panels are written as one string per person, one character per week, from 2010-W01 (Monday
2010-01-04; 2010 has 52 ISO weeks):  ``.`` empty (no public benefit), ``S`` sick, ``P`` sick
(partial), ``W`` an explicit self-support code, ``U`` unemployed, ``O`` other benefit,
``N`` pension, ``C`` censor. Expected dates below are worked out by hand from that calendar:

    W01 2010-01-04  W02 01-11  W03 01-18  W04 01-25  W05 02-01  W06 02-08  W07 02-15
    W08 02-22       W09 03-01  W10 03-08
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from fastholdelse_eval.core.errors import ConfigError, ValidationError
from fastholdelse_eval.data import register_sql
from fastholdelse_eval.data.register import (
    cohort_from_register,
    iso_label,
    parse_intake,
    parse_week,
    read_mapping,
    register_frame,
    week_monday,
    wide_label_week,
)

CODES = {"S": "110", "P": "111", "W": "150", "U": "120", "O": "130", "N": "140", "C": "190"}
MAPPING = {"110": "sick", "111": "sick_partial", "150": "self_support", "120": "unemployed",
           "130": "other_benefit", "140": "pension", "190": "censor"}
FIRST_MONDAY = date(2010, 1, 4)  # 2010-W01


def wide_panel(rows: dict[str, str], year: int = 2010) -> pd.DataFrame:
    n = len(next(iter(rows.values())))
    labels = [f"y_{year % 100:02d}{w:02d}" for w in range(1, n + 1)]
    data = {lab: [CODES.get(s[j]) for s in rows.values()] for j, lab in enumerate(labels)}
    return pd.DataFrame({"person_id": list(rows), **data})


def long_panel(rows: dict[str, str], week_format=lambda d: f"{d:%G-W%V}") -> pd.DataFrame:
    out = []
    for pid, s in rows.items():
        for j, ch in enumerate(s):
            if ch != ".":  # a missing person-week = no public benefit
                out.append((pid, week_format(FIRST_MONDAY + timedelta(weeks=j)), CODES[ch]))
    return pd.DataFrame(out, columns=["person_id", "week", "code"])


def groups_for(rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"person_id": list(rows),
                         "group": ["deltager", "kontrol"] * (len(rows) // 2) + ["deltager"]
                         * (len(rows) % 2)})


def derive(rows: dict[str, str], **kw) -> pd.DataFrame:
    res = register_frame(wide_panel(rows), mapping=MAPPING, groups=groups_for(rows), **kw)
    return res.frame.set_index("person_id")


def d(text: str | None):
    return pd.NaT if text is None else pd.Timestamp(text)


def check(row: pd.Series, start, end, reason, detail, partial, relapse, followup, weeks):
    assert row["start_date"] == d(start)
    assert (pd.isna(row["end_date"]) and end is None) or row["end_date"] == d(end)
    assert row["end_reason"] == reason
    assert row["end_detail"] == detail
    assert (pd.isna(row["partial_rtw_date"]) and partial is None) or \
        row["partial_rtw_date"] == d(partial)
    assert (pd.isna(row["relapse_date"]) and relapse is None) or \
        row["relapse_date"] == d(relapse)
    assert row["followup_date"] == d(followup)
    assert row["weeks_on_benefit"] == weeks


# --- weeks ----------------------------------------------------------------------------------

def test_week_labels():
    assert week_monday(wide_label_week("y_1001")) == date(2010, 1, 4)
    assert week_monday(wide_label_week("Y_9101")) == date(1990, 12, 31)  # ISO 1991-W01
    assert week_monday(wide_label_week("y_9952")) == date(1999, 12, 27)
    assert week_monday(wide_label_week("y_0001")) == date(2000, 1, 3)
    assert week_monday(wide_label_week("y_0953")) == date(2009, 12, 28)  # 2009 has 53 weeks
    assert wide_label_week("y_1001") - wide_label_week("y_0953") == 1
    for bad in ("y_1053", "y_1000", "y_10011", "x_1001", "y_10ab"):
        with pytest.raises(ValueError):
            wide_label_week(bad)
    wk = wide_label_week("y_0905")
    for label in ("2009-W05", "2009W05", "2009w5", "200905", "2009-01-26", "2009-02-01",
                  "28-01-2009", "28.01.2009", "2009-01-28 00:00:00"):
        assert parse_week(label) == wk, label
    for bad in ("2009W54", "2010W53", "200900", "2009-02-30", "foo", ""):
        with pytest.raises(ValueError):
            parse_week(bad)
    assert iso_label(wk) == "2009-W05"
    assert parse_intake("2009W05..2009-W07") == (wk, wk + 2)
    assert parse_intake("..2009W07") == (None, wk + 2)
    assert parse_intake(("2009-01-26", None)) == (wk, None)


# --- the rules, one hand-built panel each ----------------------------------------------------

def test_rule1_left_censored_run_is_skipped():
    f = derive({"a": "SS..S...", "b": "SSS.....", "c": "S......."})
    assert list(f.index) == ["a"]  # b and c only have a run already going in the first week
    check(f.loc["a"], "2010-02-01", "2010-02-08", "rtw", "self_support", None, None,
          "2010-03-01", 1)


def test_rule1_first_run_wins_and_persons_without_spell_are_out():
    f = derive({"a": ".SS.SSS.", "b": "........", "c": ".UUOO..."})
    assert list(f.index) == ["a"]
    check(f.loc["a"], "2010-01-11", "2010-01-25", "rtw", "self_support", None, "2010-02-01",
          "2010-03-01", 2)


def test_rule3_end_states():
    f = derive({"self": ".SS.....", "code": ".SW.....", "unemp": ".SU.....",
                "other": ".SO.....", "pens": ".SSN....", "cens": ".SSC...."})
    check(f.loc["self"], "2010-01-11", "2010-01-25", "rtw", "self_support", None, None,
          "2010-03-01", 2)
    check(f.loc["code"], "2010-01-11", "2010-01-18", "rtw", "self_support", None, None,
          "2010-03-01", 1)
    check(f.loc["unemp"], "2010-01-11", "2010-01-18", "rtw", "unemployed", None, None,
          "2010-03-01", 1)
    check(f.loc["other"], "2010-01-11", "2010-01-18", "other_benefit", "other_benefit", None,
          None, "2010-03-01", 1)
    check(f.loc["pens"], "2010-01-11", "2010-01-25", "other_benefit", "pension", None, None,
          "2010-03-01", 2)
    # censor right after the run: censored, no end date, follow-up = that week
    check(f.loc["cens"], "2010-01-11", None, "censored", "censor", None, None, "2010-01-25", 2)


def test_rule3_panel_end_censoring():
    f = derive({"a": "......SS", "b": ".......S"})
    check(f.loc["a"], "2010-02-15", None, "censored", "panel_end", None, None, "2010-03-01", 2)
    check(f.loc["b"], "2010-02-22", None, "censored", "panel_end", None, None, "2010-03-01", 1)


def test_rule4_followup_is_first_censor_after_run():
    f = derive({"a": ".SS..C..", "b": "C.SS....", "c": ".S.UCCWC"})
    check(f.loc["a"], "2010-01-11", "2010-01-25", "rtw", "self_support", None, None,
          "2010-02-08", 2)
    # a censor week before the run does not end follow-up
    check(f.loc["b"], "2010-01-18", "2010-02-01", "rtw", "self_support", None, None,
          "2010-03-01", 2)
    check(f.loc["c"], "2010-01-11", "2010-01-18", "rtw", "self_support", None, None,
          "2010-02-01", 1)


def test_rule5_partial_weeks():
    f = derive({"a": ".SPPS...", "b": ".PS.....", "c": ".S.P...."})
    check(f.loc["a"], "2010-01-11", "2010-02-08", "rtw", "self_support", "2010-01-18", None,
          "2010-03-01", 4)
    # a run may start with a partial week; it is sick all the same
    check(f.loc["b"], "2010-01-11", "2010-01-25", "rtw", "self_support", "2010-01-11", None,
          "2010-03-01", 2)
    # a partial week in a later run is not a partial return in the index spell …
    check(f.loc["c"], "2010-01-11", "2010-01-18", "rtw", "self_support", None, "2010-01-25",
          "2010-03-01", 1)  # … it is a relapse


def test_rule6_relapse():
    f = derive({"a": ".S..S...", "b": ".S.C.S..", "c": ".SO.S...", "d": ".SU.PS..",
                "e": ".SSC.S..", "f": ".S......"})
    check(f.loc["a"], "2010-01-11", "2010-01-18", "rtw", "self_support", None, "2010-02-01",
          "2010-03-01", 1)
    # sick again only after follow-up ended (censor week): no relapse
    check(f.loc["b"], "2010-01-11", "2010-01-18", "rtw", "self_support", None, None,
          "2010-01-25", 1)
    # relapse only after rtw
    check(f.loc["c"], "2010-01-11", "2010-01-18", "other_benefit", "other_benefit", None, None,
          "2010-03-01", 1)
    check(f.loc["d"], "2010-01-11", "2010-01-18", "rtw", "unemployed", None, "2010-02-01",
          "2010-03-01", 1)
    check(f.loc["e"], "2010-01-11", None, "censored", "censor", None, None, "2010-01-25", 2)
    check(f.loc["f"], "2010-01-11", "2010-01-18", "rtw", "self_support", None, None,
          "2010-03-01", 1)


def test_intake_window():
    rows = {"a": ".S...S..", "b": ".SSSS...", "c": "SS...S..", "d": "...S...."}
    f = derive(rows, intake="2010W04..2010W08")
    # a: first run starts before the window, second inside; b: run starts before, runs into it
    assert sorted(f.index) == ["a", "c", "d"]
    assert f.loc["a", "start_date"] == d("2010-02-08")
    assert f.loc["c", "start_date"] == d("2010-02-08")
    assert f.loc["d", "start_date"] == d("2010-01-25")
    f = derive(rows, intake="2010-01-11..2010-01-17")  # dates: the week of 2010-W02
    assert sorted(f.index) == ["a", "b"]
    f = derive(rows, intake=("2010W06", None))
    assert sorted(f.index) == ["a", "c"]


def test_weeks_on_benefit_matches_dates():
    rows = {"a": ".SSPS.S.", "b": "..SSSC..", "c": ".....SSS", "d": "..SSO..."}
    f = derive(rows)
    stop = f["end_date"].fillna(f["followup_date"])
    assert ((stop - f["start_date"]).dt.days / 7 == f["weeks_on_benefit"]).all()


def test_iso_year_boundary_with_week_53():
    # 2009 has 53 ISO weeks: y_0952, y_0953, y_1001 are consecutive
    panel = pd.DataFrame({"person_id": ["a"], "y_0951": [None], "y_0952": ["110"],
                          "y_0953": ["110"], "y_1001": [None]})
    f = register_frame(panel, mapping=MAPPING, groups=groups_for({"a": ""})).frame
    assert f.loc[0, "start_date"] == d("2009-12-21")
    assert f.loc[0, "end_date"] == d("2010-01-04")
    assert f.loc[0, "weeks_on_benefit"] == 2
    assert f.loc[0, "followup_date"] == d("2010-01-11")


# --- layouts and formats give the same cohort ------------------------------------------------

ROWS = {"p01": ".SPPS.S.", "p02": "SS..S.U.", "p03": "..SSC...", "p04": ".....SSS",
        "p05": ".SO..S..", "p06": "........", "p07": ".SN.....", "p08": ".UUS.WS.",
        "p09": ".SSSSSSS", "p10": "C.S..C.S"}


def test_wide_long_csv_parquet_identical(tmp_path):
    groups = groups_for(ROWS)
    groups.to_csv(tmp_path / "groups.csv", index=False)
    wide = wide_panel(ROWS)
    wide.to_csv(tmp_path / "wide.csv", index=False)
    wide.to_parquet(tmp_path / "wide.parquet", index=False)
    long_iso = long_panel(ROWS)
    long_iso.to_csv(tmp_path / "long.csv", index=False, sep=";")
    long_dates = long_panel(ROWS, lambda m: m + timedelta(days=2))  # Wednesdays, as dates
    long_dates["week"] = pd.to_datetime(long_dates["week"])
    long_dates.to_parquet(tmp_path / "long.parquet", index=False)
    long_yw = long_panel(ROWS, lambda m: f"{m:%G%V}")
    long_yw["code"] = long_yw["code"].astype(int)  # numeric codes compare as text
    long_yw.to_parquet(tmp_path / "long_yw.parquet", index=False)
    reference = register_frame(wide, mapping=MAPPING, groups=groups).frame
    assert len(reference) == 9  # all but p06
    for name in ("wide.csv", "wide.parquet", "long.csv", "long.parquet", "long_yw.parquet"):
        got = register_frame(tmp_path / name, mapping=MAPPING,
                             groups=tmp_path / "groups.csv").frame
        pd.testing.assert_frame_equal(got, reference, obj=name)


def test_long_panel_group_column_and_empty_codes():
    long = long_panel(ROWS)
    long["group"] = long["person_id"].map(dict(zip(ROWS, groups_for(ROWS)["group"],
                                                   strict=True)))
    # an explicit empty code row is the same as a missing person-week
    extra = pd.DataFrame({"person_id": ["p01"], "week": ["2010-W06"], "code": [""],
                          "group": ["deltager"]})
    got = register_frame(pd.concat([long, extra]), mapping=MAPPING).frame
    reference = register_frame(wide_panel(ROWS), mapping=MAPPING, groups=groups_for(ROWS)).frame
    pd.testing.assert_frame_equal(got, reference)


def test_padded_codes_and_blank_cells(tmp_path):
    reference = register_frame(wide_panel(ROWS), mapping=MAPPING, groups=groups_for(ROWS)).frame
    padded = wide_panel(ROWS)
    weeks = [c for c in padded.columns if c.startswith("y_")]
    padded[weeks] = padded[weeks].map(lambda v: "   " if pd.isna(v) else f" {v}  ")
    padded.to_parquet(tmp_path / "padded.parquet", index=False)
    got = register_frame(tmp_path / "padded.parquet", mapping=MAPPING,
                         groups=groups_for(ROWS)).frame
    pd.testing.assert_frame_equal(got, reference)
    padded.loc[0, "y_1003"] = " 999 "
    with pytest.raises(ValidationError, match="1 code in the panel is not in the mapping: '999'"):
        register_frame(padded, mapping=MAPPING, groups=groups_for(ROWS))


def test_float_codes_and_wide_group_column(tmp_path):
    reference = register_frame(wide_panel(ROWS), mapping=MAPPING, groups=groups_for(ROWS)).frame
    wide = wide_panel(ROWS)
    weeks = [c for c in wide.columns if c.startswith("y_")]
    wide[weeks] = wide[weeks].astype("float64")  # what pandas makes of integer codes with gaps
    wide["gruppe"] = groups_for(ROWS)["group"]
    wide.to_parquet(tmp_path / "float.parquet", index=False)
    got = register_frame(tmp_path / "float.parquet", mapping=MAPPING).frame
    pd.testing.assert_frame_equal(got, reference)


def test_persons_without_group_are_counted_not_named():
    groups = groups_for(ROWS).iloc[:6].copy()
    groups.loc[5, "group"] = ""  # p06: empty group = no group
    res = register_frame(wide_panel(ROWS), mapping=MAPPING, groups=groups)
    assert set(res.frame["person_id"]) == {"p01", "p02", "p03", "p04", "p05"}
    text = " ".join(res.notes)
    assert "5 of 10 persons in the panel have no group and were left out (4 of them had an " \
           "index spell)" in text
    assert not any(p in text for p in ROWS)


def test_notes_for_ignored_columns_and_unknown_persons():
    panel = wide_panel(ROWS)
    panel["kommune_0801"] = "x"  # not a week column: ignored, and said so
    groups = pd.concat([groups_for(ROWS), pd.DataFrame({"person_id": ["zz1", "zz2"],
                                                        "group": ["kontrol", "deltager"]})])
    notes = register_frame(panel, mapping=MAPPING, groups=groups).notes
    assert "ignored 1 column that is not a week: kommune_0801" in notes
    assert "2 persons in the groups file do not appear in the panel" in notes


def test_cpr_like_ids_are_refused_without_echo():
    cpr = "0101901234"
    with pytest.raises(ValidationError) as e:
        register_frame(wide_panel({cpr: ".S......"}), mapping=MAPPING,
                       groups=groups_for({cpr: ""}))
    text = str(e.value)
    assert "1 person ids in the cohort look like CPR numbers" in text and cpr not in text


def test_groups_carry_municipality_and_covariates():
    groups = groups_for(ROWS)
    groups["kommune"] = "Greve"
    groups["alder"] = [str(30 + i) for i in range(len(groups))]
    c = cohort_from_register(wide_panel(ROWS), mapping=MAPPING, groups=groups)
    assert len(c) == 9
    assert set(c.data["municipality"]) == {"Greve"}
    assert c.data.set_index("person_id").loc["p01", "age"] == 30
    assert c.notes[0].startswith("register: 9 persons")


def test_cohort_runs_through_evaluate():
    from fastholdelse_eval import evaluate

    c = cohort_from_register(wide_panel(ROWS), mapping=MAPPING, groups=groups_for(ROWS))
    tidy = evaluate(c).tidy()
    n = tidy[(tidy["metric"] == "n")].set_index("group")["estimate"]
    assert n["intervention"] + n["control"] == 9
    rtw = tidy[(tidy["metric"] == "rtw_rate") & (tidy["group"] == "intervention")].iloc[0]
    f = register_frame(wide_panel(ROWS), mapping=MAPPING, groups=groups_for(ROWS)).frame
    mine = f[f["group"] == "intervention"]
    assert rtw["numerator"] == (mine["end_reason"] == "rtw").sum()
    assert rtw["denominator"] == len(mine)


def test_memory_limit_and_spill_directory(tmp_path):
    spill = tmp_path / "spill"
    res = register_frame(wide_panel(ROWS), mapping=MAPPING, groups=groups_for(ROWS),
                         memory_limit="100MB", temp_directory=spill)
    assert spill.is_dir()
    assert len(res.frame) == 9


def test_mapping_file_with_danish_headers_and_labels(tmp_path):
    path = tmp_path / "mapping.csv"
    path.write_text("kode;tilstand;label\n110;Sick;syg\n111;SICK_PARTIAL;delvis\n190;censor;x\n",
                    encoding="utf-8-sig")
    m = read_mapping(path)
    assert m.to_dict("list") == {"code": ["110", "111", "190"],
                                 "state": ["sick", "sick_partial", "censor"]}


# --- bad input: clear errors, no personal values -------------------------------------------

SECRET = "SECRET42"


def error_text(exc_info) -> str:
    text = str(exc_info.value)
    assert SECRET not in text
    return text


def test_unknown_codes_are_listed():
    panel = wide_panel({SECRET: ".SS.....", "b": ".S......"})
    panel.loc[0, "y_1005"] = "999"
    panel.loc[1, "y_1006"] = "A7"
    with pytest.raises(ValidationError) as e:
        register_frame(panel, mapping=MAPPING, groups=groups_for({SECRET: "", "b": ""}))
    assert "2 codes in the panel are not in the mapping: '999', 'A7'" in error_text(e)


def test_malformed_week_labels():
    panel = wide_panel({SECRET: ".S......"})
    bad = panel.rename(columns={"y_1003": "y_10x3", "y_1004": "y_1054"})
    with pytest.raises(ValidationError) as e:
        register_frame(bad, mapping=MAPPING, groups=groups_for({SECRET: ""}))
    assert "'y_10x3', 'y_1054'" in error_text(e)
    gap = panel.drop(columns=["y_1004", "y_1005"])
    with pytest.raises(ValidationError) as e:
        register_frame(gap, mapping=MAPPING, groups=groups_for({SECRET: ""}))
    assert "skip 2 weeks: 2010-W04, 2010-W05" in error_text(e)
    long = long_panel({SECRET: ".S.S...."})
    long.loc[0, "week"] = "2010W54"
    long.loc[1, "week"] = "soon"
    with pytest.raises(ValidationError) as e:
        register_frame(long, mapping=MAPPING, groups=groups_for({SECRET: ""}))
    text = error_text(e)
    # A label that cannot be a week (letters) is counted, not shown: it may be a name.
    assert "column 'week'" in text and "date: '2010W54' and 1 more" in text
    assert "soon" not in text


def test_week_labels_that_may_be_personal_are_not_shown():
    long = long_panel({SECRET: ".S.S.S.."})
    long.loc[long.index[0], "week"] = "Anna Hansen"
    long.loc[long.index[1], "week"] = "1234567890"  # an id, not CPR-like
    with pytest.raises(ValidationError) as e:
        register_frame(long, mapping=MAPPING, groups=groups_for({SECRET: ""}))
    text = error_text(e)
    assert ("2 rows with a week label that is not an ISO week (2009-W05, 2009W05, 200905) or "
            "a date (2 different labels, not shown: they do not look like weeks and may be "
            "personal)") in text
    assert "Anna" not in text and "1234567890" not in text
    assert [bool(register_sql._WEEK_LIKE.fullmatch(v)) for v in (
        "uge 3", "2009 W54", "Week 60", "31-02-2009", "Uwe", "Anna", "x", "2009-W01-extra")] == [
        True, True, True, True, False, False, False, False]
    long.loc[long.index[2], "week"] = "2010-13-01"  # a mistyped date: shown
    with pytest.raises(ValidationError) as e:
        register_frame(long, mapping=MAPPING, groups=groups_for({SECRET: ""}))
    assert "3 rows with a week label that is not an ISO week (2009-W05, 2009W05, 200905) or " \
        "a date: '2010-13-01' and 2 more" in error_text(e)


def test_duplicate_person_weeks():
    long = long_panel({SECRET: ".S.S....", "b": ".SS....."})
    dup = pd.DataFrame({"person_id": [SECRET, "b"], "week": ["2010-01-13", "2010-W02"],
                        "code": ["110", "110"]})  # 2010-01-13 lies in 2010-W02
    with pytest.raises(ValidationError) as e:
        register_frame(pd.concat([long, dup]), mapping=MAPPING,
                       groups=groups_for({SECRET: "", "b": ""}))
    assert "2 person-weeks appear more than once" in error_text(e)
    blank = pd.DataFrame({"person_id": [SECRET], "week": ["2010-W02"], "code": [" "]})
    with pytest.raises(ValidationError) as e:  # an explicit empty week next to a code
        register_frame(pd.concat([long, blank]), mapping=MAPPING,
                       groups=groups_for({SECRET: "", "b": ""}))
    assert "column 'week': 1 person-week appears more than once" in error_text(e)
    wide = wide_panel({SECRET: ".S......", "b": "..S....."})
    with pytest.raises(ValidationError) as e:
        register_frame(pd.concat([wide, wide.iloc[[0]]]), mapping=MAPPING,
                       groups=groups_for({SECRET: "", "b": ""}))
    assert "1 row repeats a person_id" in error_text(e)


def test_groups_file_problems_name_rows(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(f"person_id,gruppe\n{SECRET},deltager\nb,placebo\nc,kontrol\n{SECRET},"
                    "kontrol\n,kontrol\n")
    with pytest.raises(ValidationError) as e:
        register_frame(wide_panel({SECRET: ".S......"}), mapping=MAPPING, groups=path)
    text = error_text(e)
    assert "row 3, column 'gruppe': unknown group" in text
    assert "row 5, column 'person_id': person_id repeats row 2" in text
    assert "row 6, column 'person_id': empty person_id" in text
    long = long_panel({SECRET: ".S.S...."})
    long["group"] = "placebo"
    with pytest.raises(ValidationError) as e:
        register_frame(long, mapping=MAPPING)
    assert "1 unknown group value; expected intervention" in error_text(e)
    assert "placebo" not in error_text(e)
    long["group"] = ["deltager", "kontrol"]
    with pytest.raises(ValidationError) as e:
        register_frame(long, mapping=MAPPING)
    assert "1 person has more than one group" in error_text(e)


def test_empty_panels(tmp_path):
    (tmp_path / "long.csv").write_text("person_id,week,code\n")
    (tmp_path / "groups.csv").write_text("person_id,group\na,deltager\n")
    with pytest.raises(ValidationError, match="the panel is empty"):
        register_frame(tmp_path / "long.csv", mapping=MAPPING, groups=tmp_path / "groups.csv")
    (tmp_path / "wide.csv").write_text("person_id,y_1001,y_1002\n")
    with pytest.raises(ValidationError, match="the panel is empty"):
        register_frame(tmp_path / "wide.csv", mapping=MAPPING, groups=tmp_path / "groups.csv")
    with pytest.raises(ValidationError, match="no week columns"):
        register_frame(pd.DataFrame({"person_id": ["a"], "x": [1]}), mapping=MAPPING,
                       groups=tmp_path / "groups.csv")
    with pytest.raises(ValidationError, match="no person with a group has an index spell"):
        register_frame(wide_panel({"a": "SSS....."}), mapping=MAPPING,
                       groups=tmp_path / "groups.csv")


def test_mapping_problems():
    with pytest.raises(ValidationError) as e:
        read_mapping(pd.DataFrame({"code": ["1", "2", "1", ""], "state": ["sick", "ill", "censor",
                                                                           "sick"]}))
    text = str(e.value)
    assert "row 3, column 'state': state must be one of" in text
    assert "row 4, column 'code': code '1' conflicts with row 2" in text
    assert "row 5, column 'code': empty code" in text
    with pytest.raises(ValidationError, match="missing column 'state'"):
        read_mapping(pd.DataFrame({"code": ["1"]}))


def test_option_errors(tmp_path):
    panel = wide_panel({"a": ".S......"})
    groups = groups_for({"a": ""})
    for intake in ("2010W01-2010W05", "2010W05..2010W01", "2010W01..later"):
        with pytest.raises(ConfigError):
            register_frame(panel, mapping=MAPPING, groups=groups, intake=intake)
    for outside in ("2011W01..2011W05", "2011W01..", "..2009W40"):
        with pytest.raises(ConfigError, match="outside the panel"):
            register_frame(panel, mapping=MAPPING, groups=groups, intake=outside)
    with pytest.raises(ConfigError, match="memory limit"):
        register_frame(panel, mapping=MAPPING, groups=groups, memory_limit="lots")
    with pytest.raises(ConfigError, match="no groups"):
        register_frame(panel, mapping=MAPPING)
    long = long_panel({"a": ".S......"})
    long["group"] = "deltager"
    with pytest.raises(ConfigError, match="use one of them"):
        register_frame(long, mapping=MAPPING, groups=groups)
    with pytest.raises(ConfigError, match="panel file not found"):
        register_frame(tmp_path / "nope.parquet", mapping=MAPPING, groups=groups)
    (tmp_path / "panel.xlsx").write_text("x")
    with pytest.raises(ConfigError, match=".csv or .parquet"):
        register_frame(tmp_path / "panel.xlsx", mapping=MAPPING, groups=groups)


def test_unreadable_csv_does_not_echo_content(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_text(f"person_id,y_1001\n{SECRET},110\n")  # CSV text in a .parquet file
    with pytest.raises(ValidationError) as e:
        register_frame(path, mapping=MAPPING, groups=groups_for({"a": ""}))
    assert "could not read the panel" in error_text(e)


# --- command line -----------------------------------------------------------------------------

def test_cli_writes_loadable_cohort(tmp_path, capsys):
    from fastholdelse_eval import load_cohort
    from fastholdelse_eval.cli.main import main

    wide_panel(ROWS).to_parquet(tmp_path / "panel.parquet", index=False)
    pd.DataFrame({"code": list(MAPPING), "state": list(MAPPING.values())}).to_csv(
        tmp_path / "mapping.csv", index=False)
    groups_for(ROWS).to_csv(tmp_path / "groups.csv", index=False)
    reference = register_frame(wide_panel(ROWS), mapping=MAPPING, groups=groups_for(ROWS)).frame
    for out in ("cohort.csv", "cohort.parquet"):
        code = main(["register", str(tmp_path / "panel.parquet"), "--mapping",
                     str(tmp_path / "mapping.csv"), "--groups", str(tmp_path / "groups.csv"),
                     "--out", str(tmp_path / out), "--intake", "2010W01..2010W08",
                     "--memory-limit", "500MB", "--temp-dir", str(tmp_path / "spill")])
        assert code == 0
        cohort = load_cohort(tmp_path / out)
        got = cohort.data.set_index("person_id")
        ref = reference.set_index("person_id")
        assert list(got.index) == list(ref.index)
        for col in ("start_date", "end_date", "partial_rtw_date", "relapse_date",
                    "followup_date", "end_reason", "group"):
            # The loaded cohort's labels are categories, the register frame's are text.
            pd.testing.assert_series_equal(got[col].astype(ref[col].dtype), ref[col],
                                           check_dtype=False,
                                           check_names=False, check_index_type=False)
    captured = capsys.readouterr()
    err = captured.err
    assert "2 of 10 persons" not in err  # everyone has a group
    assert "register: 9 persons" in err
    assert captured.out.splitlines() == [f"wrote 9 persons to {tmp_path / out}"
                                         for out in ("cohort.csv", "cohort.parquet")]
    code = main(["register", str(tmp_path / "panel.parquet"), "--mapping",
                 str(tmp_path / "mapping.csv"), "--groups", str(tmp_path / "groups.csv"),
                 "--out", str(tmp_path / "kohorte.csv"), "--intake", "2010W01..2010W08",
                 "--quiet", "--lang", "da"])
    assert code == 0
    assert capsys.readouterr().out == f"skrev 9 personer til {tmp_path / 'kohorte.csv'}\n"


def test_cli_error_writes_nothing(tmp_path, capsys):
    from fastholdelse_eval.cli.main import main

    panel = wide_panel({SECRET: ".SS....."})
    panel.loc[0, "y_1005"] = "XYZ"
    panel.to_csv(tmp_path / "panel.csv", index=False)
    pd.DataFrame({"code": list(MAPPING), "state": list(MAPPING.values())}).to_csv(
        tmp_path / "mapping.csv", index=False)
    groups_for({SECRET: ""}).to_csv(tmp_path / "groups.csv", index=False)
    before = set(tmp_path.iterdir())
    code = main(["register", str(tmp_path / "panel.csv"), "--mapping",
                 str(tmp_path / "mapping.csv"), "--groups", str(tmp_path / "groups.csv"),
                 "--out", str(tmp_path / "cohort.csv"), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "'XYZ'" in err and SECRET not in err
    assert set(tmp_path.iterdir()) == before
    code = main(["register", str(tmp_path / "panel.csv"), "--mapping",
                 str(tmp_path / "mapping.csv"), "--groups", str(tmp_path / "groups.csv"),
                 "--out", str(tmp_path / "cohort.xlsx")])
    assert code == 1
    assert ".csv or .parquet" in capsys.readouterr().err


def test_unknown_codes_that_are_not_code_like_are_counted_not_shown():
    from fastholdelse_eval.core.errors import is_code_like

    assert [is_code_like(v) for v in ("890", "A7", "XYZ", "Anna", "0101801234", "010180",
                                      "2009-01-05", "")] == [True, True, True, False, False,
                                                             False, False, False]
    long = long_panel({SECRET: ".S.S...."})
    long.loc[long.index[0], "code"] = "Anna Hansen"
    long.loc[long.index[1], "code"] = "A7"
    with pytest.raises(ValidationError) as e:
        register_frame(long, mapping=MAPPING, groups=groups_for({SECRET: ""}))
    text = error_text(e)
    assert "'A7' and 1 more (not shown" in text and "Anna" not in text
