"""The synthetic sample: exact published counts, determinism, consistency."""

from __future__ import annotations

import pandas as pd

from fastholdelse_eval import Cohort
from fastholdelse_eval.data.simulate import aggregate_counts, simulate_greve, write_danish_csv


def test_greve_counts_exact():
    f = simulate_greve(2009)
    by = f.groupby("group")
    assert by.size().to_dict() == {"control": 180, "intervention": 188}
    assert by["end_reason"].apply(lambda s: (s == "rtw").sum()).to_dict() == {
        "control": 97, "intervention": 137}
    assert by["partial_rtw_date"].count().to_dict() == {"control": 32, "intervention": 59}
    assert int(f.loc[f.group == "intervention", "relapse_date"].notna().sum()) == 10
    assert int(((f.group == "intervention") & (f.end_reason == "dropout")).sum()) == 3
    starts = f["start_date"]
    assert starts.min() >= pd.Timestamp("2009-01-01")
    assert starts.max() <= pd.Timestamp("2009-04-30")
    assert (f["followup_date"] == pd.Timestamp("2009-10-08")).all()


def test_any_seed_gives_a_valid_cohort_with_the_same_counts():
    for seed in (1, 2, 3):
        f = simulate_greve(seed)
        cohort = Cohort.from_frame(f.drop(columns="end_reason")
                                   .rename(columns={"end_detail": "end_reason"}))
        assert len(cohort) == 368
        counts = aggregate_counts(f).set_index("group")
        assert counts.loc["intervention", "rtw"] == 137


def test_intervention_spells_are_shorter_on_average():
    f = simulate_greve(2009)
    done = f.end_date.notna()
    weeks = (f.end_date - f.start_date).dt.days / 7
    assert weeks[done & (f.group == "intervention")].mean() < \
        weeks[done & (f.group == "control")].mean()


def test_shipped_sample_is_regenerated_byte_for_byte(tmp_path, greve_path, greve_aggregate_path):
    f = simulate_greve(2009)
    write_danish_csv(f, tmp_path / "g.csv")
    write_danish_csv(aggregate_counts(f), tmp_path / "a.csv", aggregate=True)
    assert (tmp_path / "g.csv").read_bytes() == greve_path.read_bytes()
    assert (tmp_path / "a.csv").read_bytes() == greve_aggregate_path.read_bytes()


def test_simulate_command_regenerates_the_17_municipality_sample(tmp_path):
    from conftest import SAMPLE

    from fastholdelse_eval.cli.main import main

    person, counts = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["simulate", "--scenario", "aktive17", "--out", str(person),
                 "--aggregate-out", str(counts)]) == 0
    assert person.read_bytes() == (SAMPLE / "aktive_17.csv").read_bytes()
    assert counts.read_bytes() == (SAMPLE / "aktive_17_aggregate.csv").read_bytes()
