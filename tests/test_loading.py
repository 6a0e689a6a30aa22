"""Loading: Danish CSV dialects, XLSX, Parquet, spellings, dates, aggregate files."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from helpers import write_csv

from fastholdelse_eval import AggregateCohort, Cohort, load_cohort
from fastholdelse_eval.data.simulate import simulate_greve, to_danish

CANONICAL_DATES = ["start_date", "end_date", "partial_rtw_date", "relapse_date",
                   "followup_date"]


@pytest.fixture(scope="module")
def greve_frame() -> pd.DataFrame:
    return simulate_greve(2009)


def assert_same_cohort(cohort: Cohort, expected: pd.DataFrame) -> None:
    got = cohort.data.sort_values("person_id").reset_index(drop=True)
    exp = expected.sort_values("person_id").reset_index(drop=True)
    assert list(got["person_id"]) == list(exp["person_id"])
    for col in ["group", "municipality", "end_reason"]:
        assert list(got[col]) == list(exp[col]), col
    for col in CANONICAL_DATES:
        pd.testing.assert_series_equal(got[col], pd.to_datetime(exp[col]).astype(
            "datetime64[ns]"), check_names=False)
    assert list(got["active_offer"].astype(bool)) == list(exp["active_offer"].astype(bool))
    np.testing.assert_allclose(got["age"].to_numpy(float), exp["age"].to_numpy(float))
    assert list(got["diagnosis"]) == list(exp["diagnosis"])


def test_sample_loads_with_published_counts(greve_cohort):
    d = greve_cohort.data
    assert isinstance(greve_cohort, Cohort)
    assert (d.group == "intervention").sum() == 188
    assert (d.group == "control").sum() == 180
    assert ((d.group == "intervention") & (d.end_reason == "rtw")).sum() == 137
    assert ((d.group == "control") & (d.end_reason == "rtw")).sum() == 97
    assert greve_cohort.sources[0].sha256 and len(greve_cohort.sources[0].sha256) == 64
    assert greve_cohort.covariates == ["age", "sex", "diagnosis", "has_employer"]
    assert set(d.end_detail[d.end_reason == "other_benefit"]) <= {
        "fleksjob", "jobafklaring", "ressourceforløb", "førtidspension"}


def test_utf8_bom_semicolon_sample_equals_generator(greve_cohort, greve_frame):
    assert_same_cohort(greve_cohort, greve_frame)


def test_cp1252_semicolon_decimal_comma_day_first(tmp_path, greve_frame):
    danish = to_danish(greve_frame)
    danish["alder"] = danish["alder"].astype(str) + ",5"
    text = danish.to_csv(sep=";", index=False, lineterminator="\r\n")
    path = write_csv(tmp_path / "greve_cp1252.csv", text, encoding="cp1252")
    assert "ø".encode("cp1252") in path.read_bytes()
    cohort = load_cohort(path)
    expected = greve_frame.assign(age=greve_frame["age"] + 0.5)
    assert_same_cohort(cohort, expected)


def test_comma_csv_with_dotted_dates(tmp_path, greve_frame):
    danish = to_danish(greve_frame)
    for col in ["startdato", "slutdato", "delvis_raskmeldt_dato", "tilbagefald_dato",
                "opfølgningsdato"]:
        danish[col] = danish[col].str.replace("-", ".")
    path = tmp_path / "greve_comma.csv"
    danish.to_csv(path, index=False)
    assert_same_cohort(load_cohort(path), greve_frame)


def test_xlsx_with_real_date_cells_and_numbers(tmp_path, greve_frame):
    path = tmp_path / "greve.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    danish = to_danish(greve_frame)
    ws.append(list(danish.columns))
    date_cols = {"startdato", "slutdato", "delvis_raskmeldt_dato", "tilbagefald_dato",
                 "opfølgningsdato"}
    for rec in danish.to_dict("records"):
        row = []
        for k, v in rec.items():
            if k in date_cols:
                row.append(dt.datetime.strptime(v, "%d-%m-%Y") if v else None)
            elif k == "alder":
                row.append(float(v))
            else:
                row.append(v)
        ws.append(row)
    wb.save(path)
    assert_same_cohort(load_cohort(path), greve_frame)


def test_parquet_with_native_types(tmp_path, greve_frame):
    path = tmp_path / "greve.parquet"
    greve_frame.drop(columns=["end_reason"]).rename(
        columns={"end_detail": "end_reason"}).to_parquet(path)
    assert_same_cohort(load_cohort(path), greve_frame)


def test_column_spelling_variants(tmp_path):
    text = ("Borger ID;GRUPPE;Sygemeldingsdato;Ophørsdato;Afslutnings-Årsag;KOEN;Opfoelgningsdato\n"
            "x1;Deltagergruppe;05-01-2009;02-03-2009;Manglende medvirken;k;08-10-2009\n"
            "x2;KONTROLGRUPPE;05-01-2009;;Fortsat sygemeldt;m;08-10-2009\n")
    cohort = load_cohort(write_csv(tmp_path / "v.csv", text))
    d = cohort.data
    assert list(d.group) == ["intervention", "control"]
    assert list(d.end_reason) == ["dropout", "censored"]
    assert list(d.end_detail) == ["Manglende medvirken", "Fortsat sygemeldt"]
    assert list(d.sex) == ["k", "m"]


@pytest.mark.parametrize("cell,expected", [
    ("2009-03-02", "2009-03-02"), ("02-03-2009", "2009-03-02"), ("02.03.2009", "2009-03-02"),
    ("2/3/2009", "2009-03-02"), ("39874", "2009-03-02"), ("2009-03-02 00:00:00", "2009-03-02"),
])
def test_date_spellings(tmp_path, cell, expected):
    text = f"id,group,start_date\np1,1,{cell}\n"
    cohort = load_cohort(write_csv(tmp_path / "d.csv", text), followup_date="2009-10-08")
    assert cohort.data.start_date.iloc[0] == pd.Timestamp(expected)


def test_study_wide_followup_fills_empty_cells_only(tmp_path):
    text = ("id,group,start_date,followup_date\n"
            "p1,1,2009-01-05,2009-06-01\n"
            "p2,0,2009-01-05,\n")
    cohort = load_cohort(write_csv(tmp_path / "f.csv", text), followup_date="08-10-2009")
    assert list(cohort.data.followup_date) == [pd.Timestamp("2009-06-01"),
                                               pd.Timestamp("2009-10-08")]


def test_municipality_default_and_column(tmp_path):
    text = "id,group,start_date\np1,1,2009-01-05\n"
    path = write_csv(tmp_path / "m.csv", text)
    assert load_cohort(path, followup_date="2009-10-08").municipalities == ["unknown"]
    assert load_cohort(path, followup_date="2009-10-08",
                       municipality="Greve").municipalities == ["Greve"]


def test_same_id_in_two_municipalities_is_fine(tmp_path):
    text = ("id,group,start_date,kommune\np1,1,2009-01-05,Greve\np1,0,2009-01-05,Solrød\n")
    cohort = load_cohort(write_csv(tmp_path / "m.csv", text), followup_date="2009-10-08")
    assert cohort.municipalities == ["Greve", "Solrød"]


def test_blank_lines_are_skipped_and_noted_rows_keep_numbers(tmp_path):
    text = "id,group,start_date\np1,1,2009-01-05\n,,\np2,0,bad\n"
    from fastholdelse_eval import ValidationError
    with pytest.raises(ValidationError) as err:
        load_cohort(write_csv(tmp_path / "b.csv", text), followup_date="2009-10-08")
    assert [p.row for p in err.value.problems] == [4]
    ok = load_cohort(write_csv(tmp_path / "b2.csv", "id,group,start_date\np1,1,2009-01-05\n"
                               ",,\np2,0,2009-01-06\n"), followup_date="2009-10-08")
    assert len(ok) == 2 and ok.notes[0] == "1 empty row skipped: row 3"


def test_from_frame_accepts_a_dataframe(tiny_frame):
    cohort = Cohort.from_frame(tiny_frame)
    assert len(cohort) == 4
    assert list(cohort.data.end_reason) == ["rtw", "censored", "other_benefit", "rtw"]
    assert cohort.data.active_offer.isna().all()


def test_aggregate_file_loads(greve_aggregate_path):
    agg = load_cohort(greve_aggregate_path)
    assert isinstance(agg, AggregateCohort)
    d = agg.data.set_index("group")
    assert int(d.loc["intervention", "n"]) == 188 and int(d.loc["control", "rtw"]) == 97
    assert int(d.loc["intervention", "relapse"]) == 10
    assert len(agg) == 368


def test_aggregate_optional_columns_missing(tmp_path):
    text = "kommune;gruppe;antal;raskmeldt\nA;deltager;10;5\nA;kontrol;12;4\n"
    agg = load_cohort(write_csv(tmp_path / "a.csv", text))
    assert agg.data["partial_rtw"].isna().all()


def test_end_detail_column_is_kept_as_the_label(tmp_path):
    text = ("id,group,start_date,end_date,end_reason,end_detail\n"
            "p1,1,2009-01-05,2009-03-02,rtw,unemployed\n"
            "p2,0,2009-01-05,2009-03-02,fleksjob,\n")
    d = load_cohort(write_csv(tmp_path / "e.csv", text), followup_date="2009-10-08").data
    assert list(d.end_detail) == ["unemployed", "fleksjob"]
    assert "end_detail" not in load_cohort(tmp_path / "e.csv",
                                           followup_date="2009-10-08").covariates
