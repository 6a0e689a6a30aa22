"""XLSX input is read by calamine (data/io.py ``XLSX_ENGINE``), openpyxl having read it before:
the two must give the same cell values with the same Python types, so that nothing a
workbook holds reads differently (issue 12, item 7: 20,000 persons load 5.7x faster)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from fastholdelse_eval import load_cohort
from fastholdelse_eval.core.errors import ValidationError
from fastholdelse_eval.data import io
from fastholdelse_eval.data.localize import is_message

HEADER = ["id", "date", "datetime", "time", "int", "float", "bool", "text", "formula", "error",
          "serial", 123, "percent", None, "big", "duration"]
ROWS = [
    ["A1", dt.date(2009, 3, 2), dt.datetime(2009, 3, 2, 13, 45), dt.time(8, 30), 45, 45.5,
     True, "  x ", "=1+1", "#N/A", 40123, "h", 0.125, None, 12345678901234,
     dt.timedelta(hours=1, minutes=30)],
    ["A2", None, None, None, 0, -0.0, False, "", None, None, 40123.5, None, 1, None, 1e20,
     None],
    [None] * 16,  # a blank row inside the table
    ["0101801234", "02-03-2009", dt.datetime(1900, 2, 28), dt.time(0, 0), -3, 1 / 3, None,
     "æøå", "=A1", "#DIV/0!", 60, 5, None, None, 2 ** 53 + 1, dt.timedelta(days=2)],
    ["A4", dt.datetime(1899, 12, 31), dt.datetime(2199, 12, 31), None, 10 ** 15, 1e-7, 1, "1.0",
     '="0101901234"', None, 1.0, "", 0.5, None, -1, None],
]


def _workbook(path: Path, epoch: object = None) -> Path:
    book = openpyxl.Workbook()
    rows = [list(r) for r in ROWS]
    if epoch is not None:
        book.epoch = epoch
        # Excel cannot hold a date before its calendar's start (openpyxl writes a negative
        # serial); see test_a_date_before_the_1904_calendar_is_refused_not_misread.
        rows[3][2], rows[4][1] = dt.datetime(1904, 1, 2), dt.datetime(1904, 1, 1)
    sheet = book.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    for ref in ("J2", "J5"):
        sheet[ref].data_type = "e"  # Excel error cells, not text
    sheet["B2"].number_format = "dd-mm-yyyy"
    sheet["M2"].number_format = "0%"
    sheet["P2"].number_format = "[h]:mm"
    book.create_sheet("noter").append(["anything"])
    book.save(path)
    return path


def _cells(path: Path, engine: str) -> list[list[tuple[str, object]]]:
    frame = pd.read_excel(path, sheet_name=0, dtype=object, engine=engine)
    assert [str(c) for c in frame.columns] == [
        "id", "date", "datetime", "time", "int", "float", "bool", "text", "formula", "error",
        "serial", "123", "percent", "Unnamed: 13", "big", "duration"]
    frame = frame.astype(object).where(frame.notna(), None)
    return [[(type(v).__name__, v) for v in row] for row in frame.itertuples(index=False)]


@pytest.mark.parametrize("epoch", [None, CALENDAR_MAC_1904], ids=["1900", "1904"])
def test_calamine_reads_every_cell_as_openpyxl_does(tmp_path, epoch):
    path = _workbook(tmp_path / "rich.xlsx", epoch)
    calamine, reference = _cells(path, "calamine"), _cells(path, "openpyxl")
    assert calamine == reference
    # What the two agree on, spelled out for the cells that matter to a cohort.
    first = calamine[0]
    assert first[1] == ("datetime", dt.datetime(2009, 3, 2))
    assert first[4] == ("int", 45) and first[5] == ("float", 45.5)
    assert first[7] == ("str", "  x ") and first[15] == ("timedelta", dt.timedelta(hours=1,
                                                                                 minutes=30))
    assert calamine[3][0] == ("str", "0101801234")  # the CPR check sees it as written
    assert calamine[2] == [("NoneType", None)] * 16  # the blank row is kept, then noted


def test_the_reader_uses_calamine_and_gives_the_openpyxl_table(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "rich.xlsx")
    assert io.XLSX_ENGINE == "calamine"
    table = io.read_table(path)
    monkeypatch.setattr(io, "XLSX_ENGINE", "openpyxl")
    reference = io.read_table(path)
    pd.testing.assert_frame_equal(table.frame, reference.frame)
    assert table.sheets == reference.sheets == ("Sheet", "noter")


def test_a_cohort_workbook_loads_as_its_csv(tmp_path):
    csv = Path(__file__).resolve().parents[1] / "data" / "sample" / "greve_2009.csv"
    frame = pd.read_csv(csv, sep=None, engine="python", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    frame.to_excel(tmp_path / "greve.xlsx", index=False)
    from_xlsx = load_cohort(tmp_path / "greve.xlsx")
    from_csv = load_cohort(csv)
    pd.testing.assert_frame_equal(from_xlsx.data, from_csv.data)


def test_a_date_before_the_1904_calendar_is_refused_not_misread(tmp_path):
    # The one difference found between the engines: a negative serial in a 1904-calendar
    # workbook (which Excel itself cannot store) is a time of day to calamine, a date to
    # openpyxl. The cohort reader then refuses the cell as no date; it never becomes one.
    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.append(["borger_id", "gruppe", "startdato", "afslutningsårsag", "opfølgningsdato"])
    sheet.append(["A1", "deltager", dt.datetime(1903, 5, 1), "", dt.datetime(2010, 1, 1)])
    sheet.append(["A2", "kontrol", dt.datetime(2009, 5, 1), "", dt.datetime(2010, 1, 1)])
    book.save(tmp_path / "mac.xlsx")
    with pytest.raises(ValidationError) as caught:
        load_cohort(tmp_path / "mac.xlsx")
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "startdato")]
    assert is_message(caught.value.problems[0].message, "not_a_date")
