"""Every reader that accepts XLSX refuses a workbook with a CPR-like value anywhere outside the
table it reads — other sheets (values, formulas without a cached result), sheet names, cell
comments (on any sheet), page headers/footers, defined names — without echoing the value
(issue 11)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

from fastholdelse_eval import load_cohort
from fastholdelse_eval.core.errors import ValidationError
from fastholdelse_eval.data.progression import load_progression
from fastholdelse_eval.data.register_inputs import read_groups, read_mapping

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SECRET = "0101901234"  # a valid date part (1 January 1990)


def _sample(name: str, sep: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / name, sep=sep, dtype=str, encoding="utf-8-sig",
                       keep_default_na=False)


READERS = {
    "cohort": (lambda: _sample("greve_2009.csv", ";"), lambda p: load_cohort(p)),
    "progression": (lambda: _sample("greve_2009_progression.csv", ";"),
                    lambda p: load_progression(p, load_cohort(SAMPLE / "greve_2009.csv"))),
    "groups": (lambda: _sample("dream_groups_small.csv", ";"), read_groups),
    "mapping": (lambda: _sample("dream_mapping_synthetic.csv", ","), read_mapping),
}


def _plant(wb: openpyxl.Workbook, where: str) -> None:
    if where == "other-sheet":
        wb.create_sheet("Noter").append(["ring", f"cpr {SECRET[:6]}-{SECRET[6:]}"])
    elif where == "other-sheet-formula":
        wb.create_sheet("Noter")["A1"] = f'="{SECRET}"'  # no cached result (not Excel)
    elif where == "comment-sheet-1":
        wb.worksheets[0]["A2"].comment = Comment(f"cpr {SECRET}", "x")
    elif where == "comment-other-sheet":
        wb.create_sheet("Noter")["B2"].comment = Comment(f"cpr {SECRET}", "x")
    elif where == "sheet-name":
        wb.create_sheet(SECRET)
    elif where == "footer":
        wb.worksheets[0].oddFooter.center.text = f"udskrevet for {SECRET}"
    elif where == "defined-name":
        wb.defined_names["person"] = DefinedName("person", attr_text=f'"{SECRET}"')


@pytest.mark.parametrize("where", ["other-sheet", "other-sheet-formula", "comment-sheet-1",
                                   "comment-other-sheet", "sheet-name", "footer",
                                   "defined-name"])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_xlsx_reader_refuses_cpr_outside_the_table(tmp_path, reader, where):
    make, read = READERS[reader]
    path = tmp_path / f"{reader}.xlsx"
    make().to_excel(path, index=False)
    read(path)  # the clean workbook is read
    wb = openpyxl.load_workbook(path)
    _plant(wb, where)
    wb.save(path)
    with pytest.raises(ValidationError) as err:
        read(path)
    text = str(err.value)
    assert "CPR" in text and SECRET[:6] not in text and SECRET[6:] not in text, text


def test_an_unopenable_workbook_is_refused_not_waved_through(tmp_path, monkeypatch):
    import fastholdelse_eval.data.io as io

    path = tmp_path / "c.xlsx"
    _sample("greve_2009.csv", ";").to_excel(path, index=False)

    original = openpyxl.load_workbook

    def broken(*args, **kwargs):
        if kwargs.get("keep_links") is False:  # pandas reading the first sheet: works
            return original(*args, **kwargs)
        raise KeyError("xl/comments1.xml")  # the check's own loads fail

    monkeypatch.setattr(openpyxl, "load_workbook", broken)
    with pytest.raises(ValidationError, match="could not be checked for CPR"):
        io.read_table(path)


@pytest.mark.parametrize("where", [None, "other-sheet", "comment-sheet-1", "footer"])
def test_the_whole_workbook_is_loaded_only_for_comments_or_cpr_in_margins(tmp_path, monkeypatch,
                                                                           where):
    # openpyxl's full load makes an object of every cell (49 s for a 20,000-person table);
    # streaming finds the same places unless the workbook has comments or CPR-like margins.
    import fastholdelse_eval.data.io as io

    wb = openpyxl.Workbook()
    for row in [["id", "x"], ["A", "1"]]:
        wb.active.append(row)
    if where:
        _plant(wb, where)
    path = tmp_path / "w.xlsx"
    wb.save(path)
    full_loads = []
    original = openpyxl.load_workbook

    def counting(*args, **kwargs):
        if not kwargs.get("read_only"):
            full_loads.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    places = io.workbook_cpr_places(path)
    assert len(full_loads) == (2 if where in ("comment-sheet-1", "footer") else 0)
    assert [p.key for p in places] == {
        None: [], "other-sheet": ["xlsx_sheet_cells_cpr"],
        "comment-sheet-1": ["xlsx_comments_cpr"], "footer": ["xlsx_margins_cpr"]}[where]
