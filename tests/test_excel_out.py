"""Back to Excel: ``--out x.xlsx`` writes a workbook (tidy table + readable sheet); Danish CSV
dialect (``;``, decimal comma, UTF-8 BOM) by ``--format csv-da`` or ``--lang da``."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from fastholdelse_eval import evaluate
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.present.output import write_tidy


@pytest.fixture(scope="module")
def table(greve_cohort):
    return evaluate(greve_cohort).tidy()


def test_xlsx_opens_in_openpyxl_with_the_tidy_table(table, tmp_path):
    path = tmp_path / "result.xlsx"
    assert write_tidy(table, None, str(path)) is None
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["tidy", "summary"]
    back = pd.read_excel(path, sheet_name="tidy", engine="openpyxl")
    assert list(back.columns) == list(table.columns)
    assert len(back) == len(table)
    rtw = back[(back.metric == "rtw_rate") & (back.group == "intervention")].iloc[0]
    assert rtw.numerator == 137 and rtw.denominator == 188
    assert rtw.estimate == pytest.approx(137 / 188, rel=1e-15)
    summary = pd.read_excel(path, sheet_name="summary", engine="openpyxl")
    row = summary[summary.metric == "rtw_rate"].iloc[0]
    assert row.intervention == "137/188 = 72.9% (66.1 to 78.7)"


def test_xlsx_readable_sheet_in_danish(table, tmp_path):
    path = tmp_path / "resultat.xlsx"
    write_tidy(table, "xlsx", str(path), lang="da")
    summary = pd.read_excel(path, sheet_name="oversigt", engine="openpyxl")
    row = summary[summary.metric == "rtw_rate"].iloc[0]
    assert row.intervention == "137/188 = 72,9\u00a0% (66,1 til 78,7)"


def test_danish_csv_dialect(table):
    text = write_tidy(table, "csv-da", None)
    assert text.startswith("\ufeff") and ";" in text.splitlines()[0]
    back = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), sep=";", decimal=",")
    assert back["estimate"].tolist() == pytest.approx(table["estimate"].tolist(), nan_ok=True,
                                                      rel=1e-12)
    assert write_tidy(table, "csv", None, lang="da") == text


def test_cli_evaluate_out_xlsx_and_lang_da(greve_path, tmp_path, capsys):
    out = tmp_path / "r.xlsx"
    assert main(["evaluate", str(greve_path), "--out", str(out)]) == 0
    assert openpyxl.load_workbook(out).sheetnames == ["tidy", "summary"]
    assert main(["evaluate", str(greve_path), "--format", "csv", "--lang", "da"]) == 0
    assert capsys.readouterr().out.startswith("\ufeff")
    assert main(["evaluate", str(greve_path), "--format", "xlsx"]) != 0
    assert "needs --out" in capsys.readouterr().err
