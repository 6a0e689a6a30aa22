"""Loading at scale (issue 12): the fast CSV route (Arrow on the file, numpy on bytes) gives
exactly what the general reader gives, and the cheap screens never miss what the exact checks
find. Speed itself is measured in benchmarks/bench_load.py, not here."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from fastholdelse_eval.core.arrow_text import may_need_strip, text_hashes
from fastholdelse_eval.core.cpr import _no_nine_digits, contains_cpr, cpr_mask
from fastholdelse_eval.core.errors import ValidationError
from fastholdelse_eval.data import coded, csv_lines, io
from fastholdelse_eval.data.validation import parse_dates

HEADER = "borger_id;gruppe;startdato;afslutningsårsag"

FILES = {
    "lf": (HEADER + "\nA1;kontrol;05-01-2009;raskmeldt\nA2;deltager;06-01-2009;\n").encode(),
    "crlf-bom": b"\xef\xbb\xbf" + (HEADER + "\r\nA1;kontrol;05-01-2009;raskmeldt\r\n").encode(),
    "lone-cr": (HEADER + "\rA1;kontrol;05-01-2009;raskmeldt\rA2;deltager;;\r").encode(),
    "no-final-newline": (HEADER + "\nA1;kontrol;05-01-2009;raskmeldt").encode(),
    "spaces-nbsp": (HEADER + "\n A1 ;kontrol\u00a0;05-01-2009; Køge\n").encode(),
    "blank-line": (HEADER + "\nA1;kontrol;05-01-2009;\n\nA2;kontrol;05-01-2009;\n").encode(),
    "surplus-empty": (HEADER + "\nA1;kontrol;05-01-2009;;;\nA2;kontrol;;\n").encode(),
    "cp1252": (HEADER + "\nA1;kontrol;05-01-2009;fø\n").encode("cp1252"),
    "one-column": b"id\nA1\n\nA2\n",
    "comma": b"id,gruppe\nA1,kontrol\nA2,deltager\n",
}

RAGGED = {
    "too-many": (HEADER + "\nA1;kontrol;05-01-2009;x;y\nA2;kontrol;05-01-2009;\n").encode(),
    "too-few": (HEADER + "\nA1;kontrol\nA2;kontrol;05-01-2009;\n").encode(),
    "decimal-comma": b"id,gruppe,alder\nA1,kontrol,45,5\nA2,kontrol,50,5\n",
}


def _general(monkeypatch: pytest.MonkeyPatch, path):
    with monkeypatch.context() as m:
        m.setattr(csv_lines, "plain_start", lambda _path: None)
        return io.read_table(path)


@pytest.mark.parametrize("name", sorted(FILES))
def test_fast_route_reads_what_the_general_reader_reads(tmp_path, monkeypatch, name):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(FILES[name])
    fast, general = io.read_table(path), _general(monkeypatch, path)
    assert fast.fmt == general.fmt
    assert list(fast.frame.columns) == list(general.frame.columns)
    assert fast.frame.astype(object).values.tolist() == general.frame.astype(
        object).values.tolist()


@pytest.mark.parametrize("name", sorted(RAGGED))
def test_fast_route_reports_ragged_rows_as_the_general_reader(tmp_path, monkeypatch, name):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(RAGGED[name])
    with pytest.raises(ValidationError) as fast:
        io.read_table(path)
    with pytest.raises(ValidationError) as general:
        _general(monkeypatch, path)
    assert [str(p) for p in fast.value.problems] == [str(p) for p in general.value.problems]


_MANY = "".join(f"A{i};kontrol;05-01-2009;raskmeldt\n" for i in range(30_000))
# Quotes and NUL bytes are found in the cells Arrow read (not by a pass over the file first):
# wherever they are, the general reader must take the file, as it did.
QUOTED = {
    "quote-in-last-row": (HEADER + "\n" + _MANY + 'A9;kontrol;05-01-2009;"raskmeldt"\n'
                          ).encode(),
    "quoted-separator": (HEADER + "\n" + _MANY + 'A9;kontrol;05-01-2009;"rask;meldt"\n'
                         ).encode(),
    "quote-in-a-label": (HEADER + '\nA1;kontrol";05-01-2009;raskmeldt\n' + _MANY).encode(),
    "quoted-header": ('"borger_id";gruppe;startdato;afslutningsårsag\n' + _MANY).encode(),
    "nul-in-a-cell": (HEADER + "\n" + _MANY + "A9;kontrol;05-01-2009;rask\x00meldt\n").encode(),
}


@pytest.mark.parametrize("name", sorted(QUOTED))
def test_a_quote_or_nul_anywhere_sends_the_file_to_the_general_reader(tmp_path, monkeypatch,
                                                                      name):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(QUOTED[name])
    width = 4
    header_quoted = name == "quoted-header"
    if not header_quoted and name != "quoted-separator":
        for categories in (False, True):
            assert csv_lines.read_arrow(path, ";", width, categories) is None
    try:
        fast = io.read_table(path, categories=True)
    except ValidationError as exc:
        with pytest.raises(ValidationError) as general:
            _general(monkeypatch, path)
        assert [str(p) for p in exc.problems] == [str(p) for p in general.value.problems]
        return
    general = _general(monkeypatch, path)
    assert fast.fmt == general.fmt and list(fast.frame.columns) == list(general.frame.columns)
    assert fast.frame.astype(object).values.tolist() == general.frame.astype(
        object).values.tolist()


def test_line_widths_match_splitting_each_line():
    rng = np.random.default_rng(12)
    alphabet = np.array(list(b"ab;;\r\n\n "), dtype=np.uint8)
    for _ in range(300):
        data = b"h;h\n" + rng.choice(alphabet, rng.integers(0, 40)).tobytes()
        lines = re.split(rb"\r\n|\n|\r", data)[1:]
        if lines and lines[-1] == b"":
            lines = lines[:-1]  # a final line end ends the last line; it opens no new one
        widths = csv_lines.line_widths(data, 0, ";")
        expected = [0 if not line else line.count(b";") + 1 for line in lines]
        assert widths.cells.tolist() == expected, data
        assert [widths.line(data, i) for i in range(len(lines))] == [x.decode() for x in lines]


def test_cpr_screen_never_misses_what_the_exact_check_finds():
    rng = np.random.default_rng(3)
    alphabet = list("01234567890123011-- a.")
    cells = ["".join(rng.choice(alphabet, rng.integers(0, 14))) for _ in range(60_000)]
    cells += ["0101801234", "010180-1234", "10180123", "101801234", " 101801234 ", "x0101801234y"]
    expected = np.array([contains_cpr(c) for c in cells])
    assert expected.sum() > 20  # the random cells hold some CPR-like numbers
    series = pd.Series(cells, dtype="str")
    assert (cpr_mask(series).to_numpy() == expected).all()
    for i in np.flatnonzero(expected):  # each on its own, also as a slice of a longer column
        assert not _no_nine_digits(pd.Series(["1", cells[i]], dtype="str").iloc[1:])


@pytest.mark.parametrize("slice_bytes", [1, 7, 9, 64, 1 << 20])
def test_nine_digit_screen_across_slices(monkeypatch, slice_bytes):
    # The screen looks at the bytes a slice at a time; a window of 9 bytes that crosses a
    # slice's end must still be seen, and one that crosses a cell's start never.
    import fastholdelse_eval.core.cpr as cpr

    monkeypatch.setattr(cpr, "_SLICE", slice_bytes)
    rng = np.random.default_rng(5)
    alphabet = list("0123456789-a")
    window = re.compile(r"[0-9]{6}[0-9-][0-9]{2}")
    found = 0
    for _ in range(400):
        cells = ["".join(rng.choice(alphabet, rng.integers(0, 13))) for _ in range(4)]
        expected = any(window.search(c) for c in cells)
        found += expected
        assert _no_nine_digits(pd.Series(cells, dtype="str")) == (not expected), cells
    assert 20 < found < 380  # both answers are tested


def test_strip_check_is_never_wrong_when_it_says_no():
    rng = np.random.default_rng(4)
    alphabet = list("ab \t\u00a0\u2028ø1")
    for _ in range(500):
        cells = ["".join(rng.choice(alphabet, rng.integers(0, 4))) for _ in range(3)]
        series = pd.Series(cells, dtype="str")
        if not may_need_strip(series):
            assert [c.strip() for c in cells] == cells


def test_dates_each_format_and_each_way_to_fail():
    cells = ["2009-03-02", "02-03-2009", "2.3.2009", "2009-3-2T00:00", "40123", "40123.0",
             "", "abc", "31-02-2009", "1899-12-31", "9999-01-01", "01/01/2200", "02-03-09",
             "\u0662\u0660\u0660\u0669-03-02"]
    dates, bad, impossible = parse_dates(pd.Series(cells, dtype="str"))
    day = pd.Timestamp("2009-03-02")
    assert dates.tolist()[:4] == [day] * 4
    # Excel serial 40123: days after 1899-12-30 (Excel's epoch) = 2009-11-06.
    assert dates.tolist()[4:6] == [pd.Timestamp("2009-11-06")] * 2
    assert dates.iloc[6:].isna().all()
    assert bad.tolist() == [False] * 7 + [True] + [False] * 4 + [True, True]
    assert impossible.tolist() == [False] * 8 + [True] * 4 + [False, False]


def _plain_duplicates(ids: list[str], within: list[str]) -> tuple[list[int], list[int]]:
    """The definition, row by row: a non-empty (within, id) seen before is a duplicate."""
    seen: dict[tuple[str, str], int] = {}
    dup, first = [], []
    for i, key in enumerate(zip(within, ids, strict=True)):
        if key in seen and key[1] != "":
            dup.append(i)
            first.append(seen[key])
        seen.setdefault(key, i)
    return dup, first


@pytest.mark.parametrize("collide", [False, True])
def test_duplicate_rows_by_hash_match_the_definition(monkeypatch, collide):
    # Ids of 0–70 bytes (past the 64-byte hash limit too), non-ASCII, empty, repeated within
    # and across municipalities, in several Arrow chunks; with collide every hash is equal, so
    # the exact comparison of colliding rows alone must find the answer.
    rng = np.random.default_rng(3)
    pool = ["", "A1", "A1 ", "Æbø-7", "x" * 8, "x" * 9, "y" * 64, "p" * 70] + [
        f"P{i:0{int(rng.integers(1, 20))}d}" for i in range(300)]
    ids = [pool[i] for i in rng.integers(0, len(pool), 2000)]
    within = [str(m) for m in rng.integers(0, 3, 2000)]
    if collide:
        monkeypatch.setattr(coded, "text_hashes", lambda cells: np.zeros(len(cells), np.uint64))
    for longest in (64, 70):
        subset = [i for i in ids if len(i.encode()) <= longest]
        n = len(subset)
        chunks = pa.chunked_array([pa.array(subset[:n // 3], pa.large_string()),
                                   pa.array(subset[n // 3:], pa.large_string())])
        text = chunks.to_pandas()
        assert text.dtype == "str"
        dup, first = coded.duplicate_rows(text, pd.Series(within[:n]))
        assert (dup.tolist(), first.tolist()) == _plain_duplicates(subset, within[:n])
        assert len(dup) > 0


def test_text_hashes_equal_cells_equal_hashes():
    cells = pa.chunked_array([pa.array(["a", "", "abcdefghi", "æø"], pa.large_string()),
                              pa.array(["abcdefghi", "a", "x" * 64, ""], pa.large_string())])
    hashes = text_hashes(cells.to_pandas())
    assert hashes[0] == hashes[5] and hashes[2] == hashes[4] and hashes[1] == hashes[7]
    assert len(set(hashes.tolist())) == 5
    assert text_hashes(pd.Series(["a"], dtype=object)) is None
    assert text_hashes(pa.array(["x" * 65], pa.large_string()).to_pandas()) is None


def test_text_hashes_do_not_depend_on_the_slices(monkeypatch):
    # Cells are hashed a slice at a time; equal cells in different slices (and of different
    # lengths around them) must still hash alike, and every cell as with one slice.
    import fastholdelse_eval.core.arrow_text as arrow_text

    rng = np.random.default_rng(8)
    cells = ["".join(rng.choice(list("ab1æ"), rng.integers(0, 20))) for _ in range(500)]
    series = pd.Series(cells, dtype="str")
    whole = text_hashes(series)
    for size in (1, 3, 7, 64):
        monkeypatch.setattr(arrow_text, "_HASHED_CELLS", size)
        assert (text_hashes(series) == whole).all()
        assert (text_hashes(series.iloc[5:]) == whole[5:]).all()
    distinct = pd.Series(cells).groupby(whole).nunique()
    assert (distinct == 1).all() and len(distinct) == len(set(cells))


def test_empty_cells_from_the_offsets():
    from fastholdelse_eval.core.arrow_text import empty_cells

    chunked = pa.chunked_array([pa.array(["", "x", ""], pa.large_string()),
                                pa.array(["yy", ""], pa.large_string())]).to_pandas()
    assert empty_cells(chunked).tolist() == [True, False, True, False, True]
    assert empty_cells(chunked.iloc[1:4]).tolist() == [False, True, False]
    assert empty_cells(pd.Series(["a", None, ""], dtype="str")) is None  # missing ≠ ""
    assert empty_cells(pd.Series(["", "a"], dtype=object)) is None
