"""One test per class of silent loss or corruption in reading input (issue 11).

Each test builds the bad file from a shipped sample and asserts the load fails with a message
naming the row and column, or (for a decision that keeps the data) says so in a note.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fastholdelse_eval import ValidationError, evaluate, load_cohort
from fastholdelse_eval.core.cpr import contains_cpr, redact
from fastholdelse_eval.core.errors import Problem, printable

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
GREVE = (SAMPLE / "greve_2009.csv").read_bytes()
LINES = GREVE.split(b"\n")  # line 0 is the header (with BOM); line k is spreadsheet row k + 1


def write(tmp_path: Path, lines: list[bytes], name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines))
    return path


def problems(path: Path, **kwargs) -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        load_cohort(path, **kwargs)
    return info.value.problems


# --- quoting and ragged rows --------------------------------------------------------------------

@pytest.mark.parametrize("field", [0, 5, 9, 13])
def test_unbalanced_quote_is_an_error_naming_its_row_and_column(tmp_path, field):
    """A quote opened and never closed used to swallow the rest of the file (60 persons read
    as 10, called valid)."""
    lines = list(LINES)
    cells = lines[5].split(b";")
    cells[field] = b'"' + cells[field]
    lines[5] = b";".join(cells)
    found = problems(write(tmp_path, lines))
    assert len(found) == 1
    assert found[0].row == 6
    header = LINES[0].decode("utf-8-sig").split(";")[field]
    assert found[0].column == header
    assert "quote" in found[0].message


def test_legitimate_multiline_quoted_cell_is_kept(tmp_path):
    lines = list(LINES)
    cells = lines[5].split(b";")
    cells[12] = b'"muskel-\nskelet"'
    lines[5] = b";".join(cells)
    cohort = load_cohort(write(tmp_path, lines))
    assert len(cohort) == 368
    assert cohort.data["diagnosis"].iloc[4] == "muskel-\nskelet"


@pytest.mark.parametrize("quoted", [False, True])
def test_short_row_is_an_error_like_a_long_row(tmp_path, quoted):
    lines = list(LINES)
    cells = lines[7].split(b";")[:-2]
    if quoted:
        cells = [b'"' + c + b'"' for c in cells]
    lines[7] = b";".join(cells)
    found = problems(write(tmp_path, lines))
    assert [(p.row, p.column) for p in found] == [(8, None)]
    assert "12 cells but the header has 14" in found[0].message


def test_long_row_still_an_error(tmp_path):
    lines = list(LINES)
    lines[7] = lines[7] + b";extra"
    assert [p.row for p in problems(write(tmp_path, lines))] == [8]


# --- encodings ---------------------------------------------------------------------------------

def test_mixed_utf8_and_cp1252_is_refused_naming_the_lines(tmp_path):
    """Read either way, a municipality became two (``Køge`` and ``KÃ¸ge``)."""
    lines = list(LINES)
    lines[3] = lines[3].decode("utf-8").replace("Greve", "Køge").encode("cp1252")
    lines[4] = lines[4].replace(b"Greve", "Køge".encode())
    found = problems(write(tmp_path, lines))
    assert len(found) == 1
    assert "mixed text encodings" in found[0].message and "line(s) 4 " in found[0].message


@pytest.mark.parametrize("encoding,bom", [("utf-16", b""), ("utf-16-le", b""),
                                          ("utf-16-be", b""), ("cp1252", b"\xef\xbb\xbf")])
def test_utf16_and_bom_before_cp1252_are_read(tmp_path, encoding, bom):
    text = GREVE.decode("utf-8-sig")
    path = tmp_path / "c.csv"
    path.write_bytes(bom + text.encode(encoding))
    cohort = load_cohort(path)
    reference = load_cohort(SAMPLE / "greve_2009.csv")
    pd.testing.assert_frame_equal(cohort.data, reference.data)


def test_nul_bytes_are_an_error_not_a_traceback(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(GREVE[:500] + b"\x00\x01\x02" + GREVE[500:])
    assert "NUL" in problems(path)[0].message


# --- values ------------------------------------------------------------------------------------

@pytest.mark.parametrize("digits", ["٣٤", "３４", "३४"])
def test_non_ascii_digits_are_an_error_not_na(tmp_path, digits):
    lines = list(LINES)
    cells = lines[5].decode().split(";")
    cells[10] = digits  # alder
    lines[5] = ";".join(cells).encode()
    found = problems(write(tmp_path, lines))
    assert [(p.row, p.column) for p in found] == [(6, "alder")]
    assert "0–9" in found[0].message


AGG_HEADER = "kommune;gruppe;antal;raskmeldt;stoppet;anden_ydelse"


def agg(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "agg.csv"
    path.write_text("\n".join([AGG_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_aggregate_outcomes_adding_up_to_more_than_n_is_an_error(tmp_path):
    found = problems(agg(tmp_path, "A;deltager;60;40;10;15", "A;kontrol;60;30;5;5"))
    assert [(p.row, p.column) for p in found] == [(2, "antal")]
    assert "add up to more than n" in found[0].message


@pytest.mark.parametrize("value", ["٥", "５"])
def test_aggregate_non_ascii_digit_count_is_an_error(tmp_path, value):
    found = problems(agg(tmp_path, f"A;deltager;60;4{value};1;1", "A;kontrol;60;30;5;5"))
    assert {(p.row, p.column) for p in found} == {(2, "raskmeldt")}


def test_empty_count_cell_drops_the_metric_with_a_note(tmp_path):
    ev = evaluate(load_cohort(agg(tmp_path, "A;deltager;60;40;3;5", "A;kontrol;60;30;;5")))
    assert not (ev.tidy()["metric"] == "dropout_rate").any()
    assert any("dropout_rate" in n and "empty for control" in n for n in ev.notes)


def test_empty_count_cell_in_one_site_is_not_summed_as_zero(tmp_path):
    ev = evaluate(load_cohort(agg(tmp_path, "A;deltager;60;40;3;5", "A;kontrol;60;30;4;5",
                                  "B;deltager;50;30;;5", "B;kontrol;50;20;2;5")))
    t = ev.tidy()
    pooled = t[(t["metric"] == "dropout_rate") & (t["municipality"] == "all")]
    assert pooled.empty  # not 3 of 110
    assert any("dropout_rate (all)" in n for n in ev.notes)


def test_site_without_control_rows_is_left_out_of_all_with_a_note(tmp_path):
    ev = evaluate(load_cohort(agg(tmp_path, "A;deltager;60;40;3;5", "A;kontrol;60;30;4;5",
                                  "B;deltager;50;45;1;1")))
    t = ev.tidy()
    rate = t[(t["metric"] == "rtw_rate") & (t["municipality"] == "all")
             & (t["group"] == "intervention")]
    assert rate["numerator"].iloc[0] == 40 and rate["denominator"].iloc[0] == 60
    assert any("left out of the pooled 'all' rows: B" in n for n in ev.notes)


def test_person_level_site_without_control_is_left_out_of_all(tmp_path):
    data = load_cohort(SAMPLE / "aktive_17.csv").data
    first = data["municipality"].iloc[0]
    keep = ~((data["municipality"] == first) & (data["group"] == "control"))
    from fastholdelse_eval import Cohort

    cohort = Cohort.from_frame(data[keep].astype({c: str for c in data.columns
                                                  if c != "active_offer"}))
    ev = evaluate(cohort)
    t = ev.tidy()
    pooled_n = t[(t["metric"] == "n") & (t["municipality"] == "all")
                 & (t["group"] == "intervention")]["estimate"].iloc[0]
    own = t[(t["metric"] == "n") & (t["municipality"] == first)
            & (t["group"] == "intervention")]["estimate"].iloc[0]
    total = (data["group"] == "intervention").sum()
    assert pooled_n == total - own
    assert any("left out of the pooled" in n for n in ev.notes)


# --- CPR numbers anywhere ----------------------------------------------------------------------

CPR_VALUES = ["0101901234", "010190-1234", "101901234", "311299-4321"]


@pytest.mark.parametrize("value", CPR_VALUES)
@pytest.mark.parametrize("field", [0, 2, 10, 12, 13])
def test_cpr_number_in_any_column_is_refused_and_not_echoed(tmp_path, field, value):
    lines = list(LINES)
    cells = lines[5].decode().split(";")
    # in free text too (a 9-digit number counts only as a whole cell: Excel's lost zero)
    cells[field] = f"note {value} x" if field == 12 and len(value) > 9 else value
    lines[5] = ";".join(cells).encode()
    with pytest.raises(ValidationError) as info:
        load_cohort(write(tmp_path, lines))
    found = info.value.problems
    header = LINES[0].decode("utf-8-sig").split(";")[field]
    assert (6, header) in {(p.row, p.column) for p in found}
    assert value not in str(info.value) and value.replace("-", "") not in str(info.value)


def test_cpr_like_header_is_refused_and_not_echoed(tmp_path):
    lines = list(LINES)
    lines[0] = lines[0].replace(b"arbejdsgiver", b"0101901234")
    with pytest.raises(ValidationError) as info:
        load_cohort(write(tmp_path, lines))
    assert "0101901234" not in str(info.value)
    assert any(p.column == "column 14" for p in info.value.problems)


def test_cpr_rule():
    assert contains_cpr("0101901234") and contains_cpr("x 010190-1234 y")
    assert contains_cpr("101901234") and contains_cpr("101901234.0")
    assert not contains_cpr("3201901234")  # no 32nd day
    assert not contains_cpr("0113901234")  # no 13th month
    assert not contains_cpr("01019012345")  # 11 digits: not a CPR number
    assert not contains_cpr("2009-03-02") and not contains_cpr("GRV00001")
    assert not contains_cpr("x 101901234")  # 9 digits only as a whole cell
    assert redact("id 010190-1234") == "id [CPR]"


def test_messages_escape_terminal_control_characters():
    text = str(Problem(2, "kommune\x1b[2J\x1b]0;pwned\x07", "bad"))
    assert "\x1b" not in text and "\x07" not in text
    assert printable("Køge\u202e") == "Køge\\u202e"


@pytest.mark.parametrize("value,words", [("-5", "between 15 and 100"),
                                         ("999", "between 15 and 100"),
                                         ("inf", "not a finite number"),
                                         ("1e400", "not a finite number"),
                                         ("abc", "not a number of years")])
def test_hostile_ages_are_refused(tmp_path, value, words):
    lines = list(LINES)
    cells = lines[5].decode().split(";")
    cells[10] = value
    lines[5] = ";".join(cells).encode()
    found = problems(write(tmp_path, lines))
    assert [(p.row, p.column) for p in found] == [(6, "alder")]
    assert words in found[0].message


@pytest.mark.parametrize("value,refused", [("15", False), ("100", False), ("", False),
                                           ("14,9", True), ("100,1", True), ("-0", True)])
def test_age_range_includes_its_ends(tmp_path, value, refused):
    lines = list(LINES)
    cells = lines[5].decode().split(";")
    cells[10] = value
    lines[5] = ";".join(cells).encode()
    path = write(tmp_path, lines)
    if refused:
        assert [(p.row, p.column) for p in problems(path)] == [(6, "alder")]
    else:
        age = load_cohort(path).data["age"].iloc[4]  # spreadsheet row 6
        assert age == float(value) if value else pd.isna(age)


def test_infinite_value_in_any_numeric_covariate_is_refused(tmp_path):
    path = tmp_path / "c.csv"
    text = GREVE.decode("utf-8-sig").split("\n")
    text[0] += ";score"
    text[1:] = [line + (";inf" if i == 2 else ";1,5") if line else line
                for i, line in enumerate(text[1:])]
    path.write_text("\n".join(text), encoding="utf-8")
    found = problems(path)
    # a header the schema does not know is the user's text: named by position only
    assert [(p.row, p.column) for p in found] == [(4, "column 15")]
