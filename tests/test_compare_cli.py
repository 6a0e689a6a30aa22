"""The ``compare`` command and the synthetic 17-municipality sample."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval import Cohort, compare_municipalities, load_cohort
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.data.sample_sites import (
    SMALL_SITES,
    simulate_sites,
    simulate_sites_aggregate,
    site_parameters,
    write_sample_files,
)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
PERSON = SAMPLE / "aktive_17.csv"
AGGREGATE = SAMPLE / "aktive_17_aggregate.csv"


# --- sample generator ---------------------------------------------------------------------------


def test_simulate_sites_shape_and_determinism():
    a, b = simulate_sites(5), simulate_sites(5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(simulate_sites(6))
    counts = a.groupby(["municipality", "group"]).size().unstack()
    assert len(counts) == 17
    assert counts.to_numpy().min() >= 60 and counts.to_numpy().max() <= 400
    small = counts.iloc[list(SMALL_SITES)]
    assert small.to_numpy().max() <= 90
    assert {"age", "sex", "diagnosis", "has_employer"} <= set(a.columns)
    assert a["person_id"].is_unique


def test_simulated_sites_pass_validation():
    frame = simulate_sites()
    cohort = Cohort.from_frame(frame)
    assert len(cohort) == len(frame)
    assert cohort.municipalities == sorted(frame["municipality"].unique())


def test_site_effects_are_heterogeneous():
    params = site_parameters()
    assert params["log_hr"].min() < 0 < params["log_hr"].max()


def test_aggregate_form_matches_person_level():
    frame = simulate_sites()
    agg = simulate_sites_aggregate()
    rtw = frame.assign(r=frame["end_reason"].eq("rtw")).groupby(
        ["municipality", "group"])["r"].sum()
    merged = agg.set_index(["municipality", "group"])["rtw"]
    assert (merged.sort_index() == rtw.sort_index()).all()


def test_committed_sample_files_are_reproducible(tmp_path):
    person, aggregate = write_sample_files(tmp_path)
    assert person.read_bytes() == PERSON.read_bytes()
    assert aggregate.read_bytes() == AGGREGATE.read_bytes()


def test_sample_person_and_aggregate_files_agree():
    person = compare_municipalities(load_cohort(PERSON)).tidy()
    agg = compare_municipalities(load_cohort(AGGREGATE)).tidy()
    cols = ["municipality", "metric", "group", "method", "estimate", "ci_low", "ci_high"]
    keep = ~person["metric"].str.contains("hazard|expected")
    a = person.loc[keep, cols].reset_index(drop=True)
    b = agg.loc[~agg["metric"].str.contains("expected"), cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


# --- command line ---------------------------------------------------------------------------------


def test_cli_csv(tmp_path):
    out = tmp_path / "cmp.csv"
    assert main(["compare", str(AGGREGATE), "--measure", "rr", "--method", "dl",
                 "--format", "csv", "--out", str(out)]) == 0
    t = pd.read_csv(out)
    assert {"municipality", "metric", "group", "estimate", "ci_low", "ci_high", "numerator",
            "denominator", "p_value", "method"} <= set(t.columns)
    assert set(t.loc[t["municipality"] == "all", "method"]) >= {
        "fixed-iv", "fixed-mh", "random-effects-dl", "prediction-interval", "cochran-q"}
    expected = compare_municipalities(load_cohort(AGGREGATE), measure="rr", method="dl").tidy()
    np.testing.assert_allclose(t["estimate"], expected["estimate"], rtol=1e-12)


@pytest.mark.parametrize("args", [["--lang", "da", "--format", "csv"], ["--format", "csv-da"]])
def test_cli_danish_csv_has_the_english_numbers(tmp_path, args):
    # compare writes the same files as evaluate: --lang da (or csv-da) is Danish Excel's CSV.
    english, danish = tmp_path / "en.csv", tmp_path / "da.csv"
    assert main(["compare", str(AGGREGATE), "--format", "csv", "--out", str(english)]) == 0
    assert main(["compare", str(AGGREGATE), *args, "--out", str(danish)]) == 0
    raw = danish.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    assert b"\r\n" in raw
    got = pd.read_csv(danish, sep=";", decimal=",", encoding="utf-8-sig")
    want = pd.read_csv(english)
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("lang, sheet, point", [("en", "summary", "."), ("da", "oversigt", ",")])
def test_cli_xlsx_holds_the_tidy_table_and_a_readable_sheet(tmp_path, lang, sheet, point):
    import openpyxl

    out = tmp_path / "cmp.xlsx"
    assert main(["compare", str(AGGREGATE), "--format", "xlsx", "--lang", lang,
                 "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["tidy", sheet]
    tidy = pd.read_excel(out, sheet_name="tidy", engine="openpyxl")
    expected = compare_municipalities(load_cohort(AGGREGATE)).tidy()
    assert len(tidy) == len(expected)
    np.testing.assert_allclose(tidy["estimate"], expected["estimate"], rtol=1e-12)
    summary = pd.read_excel(out, sheet_name=sheet, dtype=str, engine="openpyxl")
    cell = summary.loc[(summary["municipality"] == "Kommune A")
                       & (summary["metric"] == "rtw_rate"), "intervention"].iloc[0]
    assert cell.startswith("205/323 = 63" + point + "5")


def test_cli_json_hartung_knapp(capsys):
    assert main(["compare", str(AGGREGATE), "--hartung-knapp", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    methods = {r["method"] for r in records}
    assert "random-effects-reml-hk" in methods
    i2 = [r for r in records if r["metric"] == "heterogeneity_i2"][0]
    assert 0 <= i2["estimate"] <= 1


def test_cli_table_person_level(capsys):
    assert main(["compare", str(PERSON), "--measure", "or"]) == 0
    text = capsys.readouterr().out
    # the terminal names estimators and statistics in words, never by code
    for piece in ("Kommune A", "Random effects, REML", "I² (share of the spread beyond chance)",
                  "all (stratified)", "Odds ratio, Wald interval (log scale)",
                  "Expected share by indirect standardisation"):
        assert piece in text
    for code in ("random-effects-reml", "heterogeneity_i2", "wald-log-or", "fixed-iv",
                 "logistic-indirect-standardisation", "cox-efron"):
        assert code not in text


def test_cli_table_risk_difference_in_points(capsys):
    """A risk difference is printed in percentage points (+4.0 pp), not as 0.040."""
    assert main(["compare", str(PERSON)]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.strip().startswith("Kommune A"))
    # Kommune A: 205/323 − 191/321 = 0.0396 → +4.0 pp; Wald 95% CI −3.5 to +11.5
    assert row.split()[-5:] == ["+4.0", "pp", "-3.5", "to", "+11.5"]
    assert "Risk difference, Wald interval" in row


def test_cli_table_in_danish_holds_the_english_numbers(capsys):
    """--lang da: the terminal table in Danish words and numbers; every effect and interval is
    the English table's number with a decimal comma."""
    assert main(["compare", str(PERSON)]) == 0
    english = capsys.readouterr().out.splitlines()
    assert main(["compare", str(PERSON), "--lang", "da"]) == 0
    danish = capsys.readouterr().out.splitlines()
    assert danish[0] == ("Raskmeldt sammenlignet på tværs af kommuner (risikoforskel, "
                         "procentpoint; Tilfældige effekter, REML)")
    assert danish[2].split() == ["kommune", "estimator", "effekt", "95", "%", "KI"]
    for name in ("Kommune A", "Kommune Q"):
        en = next(line for line in english if line.strip().startswith(name))
        da = next(line for line in danish if line.strip().startswith(name))
        # Kommune A: +4.0 pp, -3.5 to +11.5 (test_cli_table_risk_difference_in_points)
        number = en.split()[-5:]
        assert da.split()[-5:] == [number[0].replace(".", ","), "pct.-point",
                                   number[2].replace(".", ","), "til",
                                   number[4].replace(".", ",")]
        assert "Risikoforskel, Wald-interval" in da
    for piece in ("alle (samlet)", "Tilfældige effekter, DerSimonian–Laird", "Heterogenitet",
                  "I² (andel af spredningen ud over tilfældigheder)", "alle (stratificeret)",
                  "Kommune × indsats: likelihood ratio-test i en stratificeret Cox-model",
                  "Benchmark, kontrolgruppen", "forventet interval"):
        assert any(piece in line for line in danish), piece
    for english_word in ("pooled", "Heterogeneity", "Random effects", " to ", "expected"):
        assert not any(english_word in line for line in danish), english_word


def test_cli_several_paths(tmp_path, capsys):
    agg = load_cohort(AGGREGATE).data
    first = agg.loc[agg["municipality"] <= "Kommune H"]
    second = agg.loc[agg["municipality"] > "Kommune H"]
    p1, p2 = tmp_path / "a.csv", tmp_path / "b.csv"
    first.to_csv(p1, index=False)
    second.to_csv(p2, index=False)
    assert main(["compare", str(p1), str(p2), "--format", "csv"]) == 0
    t = pd.read_csv(io.StringIO(capsys.readouterr().out))
    k = t.loc[t["method"] == "fixed-iv", "k"].iloc[0]
    assert k == 17


def test_cli_errors(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "missing.csv")]) != 0
    assert "Traceback" not in capsys.readouterr().err
    assert main(["compare", str(AGGREGATE), "--out", str(AGGREGATE), "--format", "csv"]) != 0
    assert "overwrite" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["compare", str(AGGREGATE), "--measure", "hr"])
