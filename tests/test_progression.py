"""Progression input: reading, validation, scoring by instrument, visit windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval.core.errors import ConfigError, ValidationError
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.instruments import WHO5, parse_instrument, parse_instruments
from fastholdelse_eval.data.progression import (
    VisitPlan,
    load_progression,
    map_visits,
    validate_progression_frame,
)


def _cohort() -> Cohort:
    return Cohort.from_frame(pd.DataFrame({
        "person_id": ["P1", "P2", "P3"],
        "group": ["deltager", "kontrol", "deltager"],
        "start_date": ["2020-01-01", "2020-01-01", "2020-06-01"],
        "end_date": ["", "2020-03-01", ""],
        "end_reason": ["", "raskmeldt", ""],
        "followup_date": ["2020-12-31", "2020-12-31", "2020-09-01"],
    }))


def _who5(pid: str, date: str, answers: list[object]) -> list[dict[str, object]]:
    return [{"borger_id": pid, "dato": date, "instrument": "WHO-5", "spørgsmål": str(i + 1),
             "værdi": a} for i, a in enumerate(answers)]


# --- WHO-5 and user-defined scoring ---------------------------------------------------------

def test_who5_is_the_sum_times_four() -> None:
    answers = pd.DataFrame([[5, 5, 5, 5, 5], [0, 0, 0, 0, 0], [3, 2, 4, 1, 3]],
                           columns=list("12345"), dtype=float)
    score, flagged = WHO5.score(answers)
    assert score.tolist() == [100.0, 0.0, 52.0]  # (3+2+4+1+3) × 4 = 52
    assert not flagged.any()
    assert (WHO5.score_min, WHO5.score_max, WHO5.mic) == (0, 100, 10)


def test_who5_with_a_missing_item_is_not_scored() -> None:
    answers = pd.DataFrame([[5, np.nan, 5, 5, 5]], columns=list("12345"), dtype=float)
    score, flagged = WHO5.score(answers)
    assert np.isnan(score.iloc[0]) and flagged.iloc[0]


def test_user_defined_sum_is_prorated_and_mean_is_averaged() -> None:
    s = parse_instrument("skala", {"items": ["a", "b", "c", "d"], "min": 0, "max": 10,
                                   "scoring": "sum", "factor": 2, "mic": 5, "max_missing": 1})
    m = parse_instrument("snit", {"items": ["a", "b", "c", "d"], "min": 1, "max": 5,
                                  "scoring": "mean", "factor": 25, "direction": "lower",
                                  "max_missing": 1})
    answers = pd.DataFrame([[1, 2, 3, np.nan], [1, 2, np.nan, np.nan], [4, 4, 4, 4]],
                           columns=list("abcd"), dtype=float)
    score, flagged = s.score(answers)
    # (1+2+3)/3 × 4 items × factor 2 = 16; two missing > max_missing → not scored
    assert score.iloc[0] == 16.0 and np.isnan(score.iloc[1]) and score.iloc[2] == 32.0
    assert flagged.tolist() == [False, True, False]
    assert (s.score_min, s.score_max) == (0, 80)
    mscore, _ = m.score(answers)
    assert mscore.iloc[0] == 50.0 and mscore.iloc[2] == 100.0  # mean 2 × 25; 4 × 25
    assert m.sign == -1.0 and (m.score_min, m.score_max) == (25, 125)


@pytest.mark.parametrize(("spec", "message"), [
    ({"items": ["a"], "min": 0, "max": 4, "colour": "red"}, "colour: unknown setting"),
    ({"items": ["a", "b"], "min": 5, "max": 1}, "min and max"),
    ({"items": ["a"], "min": 0, "max": 4, "direction": "up"}, "direction"),
    ({"items": ["a"], "min": 0, "max": 4, "scoring": "median"}, "scoring"),
    ({"items": ["a", "b"], "min": 0, "max": 4, "max_missing": 2}, "max_missing"),
    ({"items": []}, "score_min and score_max"),
    ({"items": ["a", "A"], "min": 0, "max": 1}, "distinct"),
])
def test_bad_instrument_settings_name_the_key(spec, message) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_instrument("x", spec)


def test_a_built_in_name_cannot_be_redefined() -> None:
    with pytest.raises(ConfigError, match="built in"):
        parse_instruments({"WHO-5": {"items": ["a"], "min": 0, "max": 1}})


# --- validation -----------------------------------------------------------------------------

def test_danish_long_file_is_scored_per_measurement() -> None:
    rows = _who5("P1", "02-01-2020", [3, 3, 3, 3, 3]) + _who5("P1", "01-04-2020", [4, 4, 4, 4, 5])
    m, notes = validate_progression_frame(pd.DataFrame(rows).astype(str), _cohort())
    assert m["score"].tolist() == [60.0, 84.0]
    assert m["instrument"].tolist() == ["who5", "who5"]
    assert notes == []


def test_scored_rows_and_user_instruments() -> None:
    inst = parse_instruments({"trivsel": {"score_min": 0, "score_max": 10, "mic": 2}})
    df = pd.DataFrame({"person_id": ["P1", "P2"], "date": ["2020-01-02", "2020-01-03"],
                       "instrument": ["trivsel", "Trivsel"], "score": ["7", "4,5"]})
    m, _ = validate_progression_frame(df, _cohort(), inst, decimal_comma=True)
    assert m["score"].tolist() == [7.0, 4.5]


def test_every_problem_at_once_with_row_and_column_and_no_values() -> None:
    rows = (_who5("P1", "02-01-2020", [3, 3, 3, 3, 9])          # rows 2–6; 9 out of range
            + _who5("0101701234", "02-01-2020", [1, 1, 1, 1, 1])  # CPR-like id, rows 7–11
            + [{"borger_id": "P2", "dato": "31-02-2020", "instrument": "WHO-5",
                "spørgsmål": "1", "værdi": "x"},                # row 12: bad date, not number
               {"borger_id": "P2", "dato": "02-01-2020", "instrument": "SF-36",
                "spørgsmål": "1", "værdi": "2"},                # row 13: unknown instrument
               {"borger_id": "P2", "dato": "02-01-2020", "instrument": "WHO-5",
                "spørgsmål": "7", "værdi": "2"},                # row 14: unknown item
               {"borger_id": "P1", "dato": "02-01-2020", "instrument": "WHO-5",
                "spørgsmål": "1", "værdi": "2"},                # row 15: duplicate of row 2
               {"borger_id": "NOBODY9", "dato": "02-01-2020", "instrument": "WHO-5",
                "spørgsmål": "1", "værdi": "2"}])               # row 16: not in the cohort
    with pytest.raises(ValidationError) as info:
        validate_progression_frame(pd.DataFrame(rows).astype(str), _cohort(), source="p.csv")
    found = {(p.row, p.column) for p in info.value.problems}
    assert {(6, "værdi"), (7, "borger_id"), (12, "dato"), (12, "værdi"), (13, "instrument"),
            (14, "spørgsmål"), (15, "borger_id"), (None, "borger_id")} <= found
    text = str(info.value)
    for secret in ("0101701234", "NOBODY9", "SF-36", "31-02-2020"):
        assert secret not in text
    assert "1 row of 1 person has a person_id that is not in the cohort" in text
    assert "first in row 2" in text


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValidationError, match="required column 'date' is missing") as info:
        validate_progression_frame(pd.DataFrame({"id": ["P1"], "instrument": ["WHO-5"],
                                                 "value": ["1"]}), _cohort())
    assert "needs an item column" in str(info.value)


def test_item_and_score_on_one_row_is_a_problem() -> None:
    df = pd.DataFrame({"id": ["P1"], "dato": ["2020-01-02"], "instrument": ["WHO-5"],
                       "item": ["1"], "value": ["1"], "score": ["40"]})
    with pytest.raises(ValidationError, match="either an item"):
        validate_progression_frame(df, _cohort())


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_file_formats(tmp_path: Path, suffix: str) -> None:
    df = pd.DataFrame(_who5("P1", "2020-01-02", [1, 2, 3, 4, 5])).astype(str)
    path = tmp_path / f"m{suffix}"
    if suffix == ".csv":
        df.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_parquet(path, index=False)
    prog = load_progression(path, _cohort())
    assert prog.measurements["score"].tolist() == [60.0]
    assert prog.sources[0].path == str(path)


def test_aggregate_cohort_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="person-level"):
        load_progression(tmp_path / "x.csv", object())  # type: ignore[arg-type]


# --- visit windows --------------------------------------------------------------------------

def test_visits_are_chosen_by_window_and_due_dates() -> None:
    cohort = _cohort()
    m = pd.DataFrame({
        "person_id": ["P1", "P1", "P1", "P1", "P1", "P2", "P3"],
        "instrument": "who5",
        "date": pd.to_datetime(["2019-12-20", "2020-01-10", "2020-01-12", "2020-03-20",
                                "2020-04-05", "2020-02-20", "2020-06-03"]),
        "score": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0],
    })
    visits, persons, notes = map_visits(m, cohort, VisitPlan())
    got = {(r.person_id, r.visit_weeks): r.score for r in visits.itertuples()}
    # P1: 2019-12-20 is 12 days before start → baseline (first in ±14 days); week 13 =
    # 2020-04-01: 2020-04-05 (4 days off) beats 2020-03-20 (12 days off)
    assert got == {("P1", 0.0): 10.0, ("P1", 13.0): 50.0, ("P3", 0.0): 70.0}
    # 2020-01-10/12 lie in the baseline window but come after the first; 2020-02-20 (week
    # 7, P2) lies between the windows and is used by no visit
    assert notes and notes[0].startswith("fewer than 5 progression measurements outside")
    due = persons.set_index("person_id")
    # P3 started 2020-06-01, follow-up 2020-09-01: week 13 + 4 = 2020-09-28 is after it
    assert due.loc["P3", "due_13"] == False  # noqa: E712
    assert due.loc["P1", "due_26"] == True  # noqa: E712


@pytest.mark.parametrize("plan", [dict(visits_weeks=[13, 16]), dict(baseline_days=90),
                                  dict(window_weeks=0), dict(visits_weeks=[])])
def test_bad_visit_plans(plan) -> None:
    with pytest.raises(ConfigError, match="progression"):
        VisitPlan(**plan)


# --- the synthetic sample -------------------------------------------------------------------

def test_simulate_command_regenerates_the_progression_sample(tmp_path: Path) -> None:
    from conftest import SAMPLE

    from fastholdelse_eval.cli.main import main

    person, prog = tmp_path / "g.csv", tmp_path / "p.csv"
    assert main(["simulate", "--scenario", "greve", "--seed", "2009", "--out", str(person),
                 "--progression-out", str(prog)]) == 0
    assert prog.read_bytes() == (SAMPLE / "greve_2009_progression.csv").read_bytes()
    assert person.read_bytes() == (SAMPLE / "greve_2009.csv").read_bytes()
