"""Reading and writing tables as municipal analysts have them: CSV (Danish Excel dialects), XLSX,
Parquet.

:func:`read_table` returns the cells *unconverted* plus the file's dialect (:class:`TableFormat`),
so validation can report problems against the file as the user sees it and tools that rewrite one
column (pseudonymisation) can write the file back in its own dialect with :func:`write_table`.

- CSV: every cell is text (``str``); empty cells are ``""``. Encoding: UTF-8 with or without BOM,
  else cp1252 (what Danish Excel saves). Separator: ``;``, ``,`` or tab, sniffed from the header
  line. A ``;`` file is taken to use decimal comma (Danish Excel's pairing).
- XLSX: the first sheet; cells keep their Excel types (numbers, datetimes, text, ``None``).
- Parquet: columns keep their Arrow types.

Row numbers: data row *i* (0-based) is spreadsheet row ``i + 2`` (the header is row 1) in every
format; blank CSV lines are kept as empty rows so numbering matches the file.
"""

from __future__ import annotations

import csv
import io as _io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from fastholdelse_eval.core.arrow_text import may_need_strip
from fastholdelse_eval.core.cpr import contains_cpr
from fastholdelse_eval.core.errors import FastholdelseError, Problem, ValidationError
from fastholdelse_eval.core.files import atomic_write, note_input
from fastholdelse_eval.data import csv_lines
from fastholdelse_eval.data.localize import Message, message
from fastholdelse_eval.data.messages import header_row_hint, separator_hint
from fastholdelse_eval.data.schema import COLUMN_LOOKUP

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

HEADER_ROW = 1
FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class TableFormat:
    """How a table file is written, so it can be written back the same way."""

    kind: str  # "csv" | "xlsx" | "parquet"
    sep: str = ","
    encoding: str = "utf-8"
    bom: bool = False
    decimal: str = "."
    lineterminator: str = "\n"


@dataclass
class RawTable:
    """Cells as read (see module docstring) and the file's :class:`TableFormat`."""

    frame: pd.DataFrame
    fmt: TableFormat
    path: str
    sheets: tuple[str, ...] = ()  # an XLSX workbook's sheet names (the first is read)


def spreadsheet_row(index: int) -> int:
    """The row number a spreadsheet shows for 0-based data row ``index``."""
    return int(index) + FIRST_DATA_ROW


def table_kind(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise FastholdelseError(
        f"{Path(path).name}: unsupported file type '{suffix or '(none)'}'; "
        "use .csv, .xlsx or .parquet"
    )


def file_problem(path: str | Path, message: str) -> ValidationError:
    """A file-level :class:`ValidationError` (no row or column), e.g. an unreadable file."""
    return ValidationError([Problem(None, None, message)], source=str(path))


def _decode(data: bytes, path: Path) -> tuple[str, str, bool]:
    """The file's text, encoding and whether it had a BOM.

    UTF-16 (Excel's "Unicode text") is recognised by its BOM or its NUL bytes. UTF-8 with or
    without BOM, else cp1252. A file whose lines are partly UTF-8 and partly cp1252 (rows pasted
    from two sources) is refused, naming the rows: read either way it would silently turn one
    municipality into two (``Køge`` and ``KÃ¸ge``).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", True
        except UnicodeDecodeError:
            raise file_problem(path, message("file_bad_utf16")) from None
    head = data[:4096]
    if head.count(b"\x00") * 3 > len(head):  # UTF-16 without BOM: every other byte is NUL
        even_nul = head[0::2].count(b"\x00") > head[1::2].count(b"\x00")
        try:
            return data.decode("utf-16-be" if even_nul else "utf-16-le"), "utf-16", False
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise file_problem(path, message("file_nul_bytes"))
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8"), "utf-8", bom
    except UnicodeDecodeError:
        pass
    lines = body.split(b"\n")
    non_ascii = [i for i, line in enumerate(lines) if not line.isascii()]
    bad = []
    utf8 = []
    for i in non_ascii:  # only lines with non-ASCII bytes, and only when UTF-8 failed
        try:
            lines[i].decode("utf-8")
            utf8.append(i)
        except UnicodeDecodeError:
            bad.append(i)
    if utf8:
        rows = ", ".join(str(i + 1) for i in bad[:10]) + (
            f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise file_problem(path, message("file_mixed_encodings", lines=rows))
    # cp1252 maps every byte but five; latin-1 covers those, so reading never fails here.
    # (A UTF-8 BOM in front of a cp1252 body is read as cp1252.)
    try:
        return body.decode("cp1252"), "cp1252", False
    except UnicodeDecodeError:
        return body.decode("latin-1"), "latin-1", False


def _sniff_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _read_csv(path: Path, categories: bool = False) -> RawTable:
    start = csv_lines.plain_start(path)
    if start is not None:
        fast = _read_csv_fast(path, start, categories)
        if fast is not None:
            return fast
    data = path.read_bytes()
    text, encoding, bom = _decode(data, path)
    del data
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise file_problem(path, message("file_empty"))
    first_line = text.partition("\n")[0].rstrip("\r")
    sep = _sniff_separator(first_line)
    lineterminator = "\r\n" if "\r\n" in text[: len(first_line) + 2] else "\n"
    header = next(csv.reader(_io.StringIO(first_line, newline=""), delimiter=sep), [])
    width = len(header)
    if '"' in text or not _check_line_widths(text, sep, width, path):
        # Quotes: only the csv module tells where records end, so ragged rows and a quote
        # that swallows the following lines are found.
        frame = _read_csv_checked(text, sep, width, path)
    else:
        frame = pd.read_csv(_io.StringIO(text), sep=sep, header=0, names=list(range(width)),
                            dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, index_col=False, quoting=csv.QUOTE_NONE)
    frame = frame.fillna("")
    frame.columns = unique_headers(header)
    fmt = TableFormat(
        kind="csv",
        sep=sep,
        encoding="utf-8" if encoding == "utf-16" else encoding,
        bom=bom or encoding == "utf-16",
        decimal="," if sep == ";" else ".",
        lineterminator=lineterminator,
    )
    return RawTable(frame=frame, fmt=fmt, path=str(path))


def _read_csv_fast(path: Path, start: int, categories: bool = False) -> RawTable | None:
    """A file that may be UTF-8 without quotes, read by Arrow from the file (never held whole
    in memory; :mod:`~fastholdelse_eval.data.csv_lines`). When some line is ragged the line
    widths are counted with numpy and reported. None when the file needs the general reader
    (not UTF-8, empty, empty lines, or surplus empty cells that the csv module drops)."""
    with open(path, "rb") as fh:
        fh.seek(start)
        line = fh.readline(1 << 20)
    first = line.partition(b"\n")[0].rstrip(b"\r")
    if b'"' in first or b"\x00" in first:
        return None  # the cells are searched for quotes as they are read; the header here
    crlf = b"\r\n" in line[:len(first) + 2]
    try:
        first_line = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not first_line.strip():  # an empty file, or a blank first line: the general reader
        return None
    sep = _sniff_separator(first_line)
    header = next(csv.reader(_io.StringIO(first_line, newline=""), delimiter=sep), [])
    width = len(header)
    try:
        frame = csv_lines.read_arrow(path, sep, width, categories)
    except pa.ArrowInvalid:
        # Some line has another number of cells, or the text is not UTF-8 after all. With a
        # quote somewhere the lines are not the records: the general reader finds them.
        data = path.read_bytes()
        if b'"' not in data and b"\x00" not in data:
            _check_widths_fast(data, start, sep, width, path)
        return None
    if frame is None:  # a quote or a NUL byte in some cell
        return None
    frame.columns = unique_headers(header)
    fmt = TableFormat(kind="csv", sep=sep, encoding="utf-8", bom=start > 0,
                      decimal="," if sep == ";" else ".",
                      lineterminator="\r\n" if crlf else "\n")
    return RawTable(frame=frame, fmt=fmt, path=str(path))


def _check_widths_fast(data: bytes, start: int, sep: str, width: int, path: Path) -> None:
    """Report rows with too few or too many cells, as :func:`_check_line_widths` does, on the
    bytes (vectorised)."""
    if not csv_lines.is_utf8(data, start):
        return  # the general reader decodes it (or says why it cannot) before anything else
    widths = csv_lines.line_widths(data, start, sep)
    filled = csv_lines.surplus_filled(data, widths, sep, width)
    problems = _width_problems(pd.Series(widths.cells), pd.Series(filled), width)
    if problems:
        long_rows = [widths.line(data, int(i)).split(sep)
                     for i in np.flatnonzero((widths.cells > width) & filled)]
        first_rows = [widths.line(data, i).split(sep) for i in range(min(10, len(widths.cells)))]
        raise ValidationError(problems + _width_hint(long_rows, width, sep, first_rows),
                              source=str(path))


def _width_problems(counts: pd.Series, extra_filled: pd.Series, width: int) -> list[Problem]:
    """Rows (0-based data rows, index of ``counts``) with too few or too many cells."""
    blank = counts == 0
    short = ~blank & (counts < width)
    long = (counts > width) & extra_filled
    return [Problem(spreadsheet_row(i), None,
                    message("row_too_few_cells" if c < width else "row_too_many_cells",
                            cells=int(c), width=width))
            for i, c in counts[short | long].items()]


def _check_line_widths(text: str, sep: str, width: int, path: Path) -> bool:
    """A file without quotes: every line is one record; count its cells (vectorised). False
    when some row has surplus empty cells (Excel's trailing separators), which the csv module
    then drops."""
    # Only CR and LF end a record (str.splitlines would also split at form feeds and U+2028).
    lines = pd.Series(re.split(r"\r\n|\n|\r", text)[1:], dtype=str)
    counts = lines.str.count(sep) + 1
    counts[lines.str.len() == 0] = 0
    tail = lines.str.split(sep, n=width).str.get(width).astype("string").fillna("")
    extra_filled = tail.str.replace(sep, "", regex=False).str.strip() != ""
    problems = _width_problems(counts, extra_filled, width)
    if problems:
        long_rows = [line.split(sep) for line in lines[(counts > width) & extra_filled]]
        raise ValidationError(problems + _width_hint(long_rows, width, sep,
                                                     [line.split(sep) for line in lines[:10]]),
                              source=str(path))
    return not bool((counts > width).any())


def _width_hint(long_rows: list[list[str]], width: int, sep: str,
                first_rows: list[list[str]]) -> list[Problem]:
    """One line naming the usual cause of ragged rows (separator vs decimal comma, header not
    in row 1), when one fits."""
    if not long_rows:
        return []
    hint = (separator_hint(sep, long_rows, width)
            or header_row_hint(_padded(first_rows), COLUMN_LOOKUP))
    return [Problem(None, None, hint)] if hint else []


def _padded(rows: list[list[str]]) -> pd.DataFrame:
    """Ragged rows as a frame, short rows padded with None (pandas no longer pads them)."""
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([[*r, *([None] * (width - len(r)))] for r in rows])


def _read_csv_checked(text: str, sep: str, width: int, path: Path) -> pd.DataFrame:
    """The csv module, row by row: rows with too few or too many cells, and quotes that are
    never closed (they swallow the following lines, so rows would vanish silently)."""
    try:
        records = list(csv.reader(_io.StringIO(text, newline=""), delimiter=sep))[1:]
    except csv.Error as exc:
        raise file_problem(path, message("csv_unreadable", reason=exc)) from None
    multiline = [(i, j) for i, r in enumerate(records) for j, c in enumerate(r)
                 if "\n" in c or "\r" in c]
    if multiline:
        # A quote that is never closed takes in the following lines as one cell. Such a file
        # fails the strict reading (end of data inside quotes, or text right after the quote
        # that closed it), or leaves its record with the wrong number of cells.
        try:
            list(csv.reader(_io.StringIO(text, newline=""), delimiter=sep, strict=True))
            strict_ok = True
        except csv.Error:
            strict_ok = False
        suspect = [(i, j) for i, j in multiline if not strict_ok or len(records[i]) != width]
        if suspect:
            raise ValidationError([_quote_problem(records, i, j, text, sep)
                                   for i, j in suspect[:1]], source=str(path))
    counts = pd.Series([len(r) if any(c != "" for c in r) or len(r) > 1 else 0
                        for r in records], dtype="int64")
    extra = pd.Series([any(c.strip() for c in r[width:]) for r in records], dtype=bool)
    problems = _width_problems(counts, extra, width)
    if problems:
        long_rows = [r for r in records if len(r) > width and any(c.strip() for c in r[width:])]
        raise ValidationError(problems + _width_hint(long_rows, width, sep, records[:10]),
                              source=str(path))
    body = [(r + [""] * (width - len(r)))[:width] for r in records]
    return pd.DataFrame(body, columns=range(width), dtype=object).astype(str)


def _quote_problem(records: list[list[str]], i: int, j: int, text: str, sep: str) -> Problem:
    cell = records[i][j].replace("\r\n", "\n").replace("\r", "\n")
    lines = cell.count("\n")
    return Problem(spreadsheet_row(i), header_at(text, sep, j),
                   message("csv_unclosed_quote", lines=lines))


def header_at(text: str, sep: str, position: int) -> str | None:
    """The header of column ``position`` (None if it has none)."""
    first = next(csv.reader(_io.StringIO(text.partition("\n")[0].rstrip("\r"), newline=""),
                            delimiter=sep), [])
    return first[position] if position < len(first) and first[position].strip() else None


def unique_headers(header: list[str]) -> list[str]:
    """Headers made unique the way pandas does (``id``, ``id.1``) so every column is kept;
    validation then reports the repeated meaning."""
    seen: dict[str, int] = {}
    out = []
    for name in (str(h).strip() for h in header):
        if name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def _read_xlsx(path: Path) -> RawTable:
    """The first sheet, every cell as Excel stores it (dtype object), read by calamine
    (python-calamine, a Rust reader pandas supports as an engine): 13x faster than openpyxl on
    a 20,000-person workbook, with the same values and Python types cell for cell
    (tests/test_xlsx_engines.py compares the two on dates, times, durations, the 1904 calendar,
    numbers, booleans, errors, formulas and empty cells). openpyxl still writes workbooks and
    looks for CPR numbers outside the table (:func:`workbook_cpr_places`)."""
    try:
        with pd.ExcelFile(path, engine=XLSX_ENGINE) as book:
            sheets = tuple(str(s) for s in book.sheet_names)
            frame = pd.read_excel(book, sheet_name=0, dtype=object)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise file_problem(path, message("xlsx_unreadable",
                                         reason=type(exc).__name__)) from None
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.astype(object).where(frame.notna(), None)
    problems = _workbook_cpr_problems(path)
    if problems:
        raise ValidationError(problems, source=str(path))
    return RawTable(frame=frame, fmt=TableFormat(kind="xlsx"), path=str(path), sheets=sheets)


XLSX_ENGINE = "calamine"


def _workbook_cpr_problems(path: Path) -> list[Problem]:
    """CPR-like values anywhere in a workbook that the table reader does not look at (see
    :func:`workbook_cpr_places`). The first sheet's cells are the table every reader (cohort,
    groups, mapping, progression) checks cell by cell, naming the row and column. Every reader
    of XLSX input goes through :func:`read_table`, so this holds for all of them; a workbook
    that cannot be opened for this check is refused (fail closed).
    """
    places = workbook_cpr_places(path)
    if places is None:
        return [Problem(None, None, message("xlsx_uncheckable"))]
    # Cells of other sheets: say why they matter although only the first sheet is read.
    return [Problem(None, None, message("xlsx_sheet_cells_cpr_unread", **place.values)
                    if place.key == "xlsx_sheet_cells_cpr" else place)
            for place in places]


def workbook_cpr_places(path: Path) -> list[Message] | None:
    """Where a workbook holds CPR-like values outside the first sheet's cells: every other
    sheet (cells, formulas and cached results alike), every sheet's name, cell comments of
    any sheet, page headers and footers, and defined names. Places and counts only, never a
    value; ``None`` when the workbook cannot be opened. Shared by the readers and by
    ``pseudonymize``, which edits only the first sheet's CPR column and must say what it left.
    """
    import openpyxl  # lazy: heavy

    try:
        if not _needs_full_load(path):
            return _streamed_cpr_places(path)
        # Formula text and cached results: a formula on another sheet can spell a CPR number
        # (="0101901234") with no cached value when a script wrote the file.
        books = [openpyxl.load_workbook(path, data_only=flag) for flag in (False, True)]
    except Exception:  # openpyxl raises many types
        return None
    places = []
    for index, sheets in enumerate(zip(*(b.worksheets for b in books), strict=True)):
        ws = sheets[0]
        where = index + 1
        if contains_cpr(ws.title):
            places.append(message("xlsx_sheet_name_cpr", sheet=where))
        cells = comments = 0
        # Formula text and cached value of one cell side by side: a cell counts once when
        # either looks like a CPR number (sheet 1's cells are the table, checked elsewhere).
        for formulas, cached in zip(*(s.iter_rows() for s in sheets), strict=True):
            for cell, value in zip(formulas, cached, strict=True):
                if index > 0 and any(v is not None and contains_cpr(v)
                                     for v in (cell.value, value.value)):
                    cells += 1
                if cell.comment is not None and contains_cpr(cell.comment.text):
                    comments += 1
        if cells:
            places.append(message("xlsx_sheet_cells_cpr", sheet=where, cells=cells))
        if comments:
            places.append(message("xlsx_comments_cpr", sheet=where, comments=comments))
        margins = [getattr(getattr(ws, hf), part).text
                   for hf in ("oddHeader", "oddFooter", "evenHeader", "evenFooter")
                   for part in ("left", "center", "right")]
        if any(t and contains_cpr(t) for t in margins):
            places.append(message("xlsx_margins_cpr", sheet=where))
    return places + _defined_name_places(books[0])


# Comments (legacy and threaded; Excel writes xl/comments1.xml, openpyxl
# xl/comments/comment1.xml) are parts of their own; a page header or footer sits in its
# sheet's XML. Only a full load of the workbook tells which sheet they belong to.
_COMMENT_PART = re.compile(r"comment", re.I)
_HEADER_FOOTER = re.compile(rb"<(?:\w+:)?headerFooter\b.*?</(?:\w+:)?headerFooter>", re.S)


def _needs_full_load(path: Path) -> bool:
    """Has the workbook comments, or a page header/footer with a CPR-like value? Then the
    check loads it whole (openpyxl's full load: every cell an object, slow for a large
    table); else :func:`_streamed_cpr_places` gives the same answer far faster."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if _COMMENT_PART.search(name):
                return True
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                for found in _HEADER_FOOTER.finditer(archive.read(name)):
                    if contains_cpr(found.group().decode("utf-8", "replace")):
                        return True
    return False


def _streamed_cpr_places(path: Path) -> list[Message]:
    """:func:`workbook_cpr_places` for a workbook without comments and without CPR-like page
    margins: sheet names, defined names and the cells of every sheet but the first (the table,
    checked cell by cell by its reader), formula text and cached result side by side, read by
    openpyxl's streaming mode. A 20,000-person table took 49 s in the full load."""
    import openpyxl  # lazy: heavy

    books = [openpyxl.load_workbook(path, read_only=True, data_only=flag)
             for flag in (False, True)]
    try:
        places = []
        for index, sheets in enumerate(zip(*(b.worksheets for b in books), strict=True)):
            where = index + 1
            if contains_cpr(sheets[0].title):
                places.append(message("xlsx_sheet_name_cpr", sheet=where))
            if index == 0:
                continue
            cells = sum(
                any(v is not None and contains_cpr(v) for v in pair)
                for formulas, cached in zip(*(s.iter_rows(values_only=True) for s in sheets),
                                            strict=True)
                for pair in zip(formulas, cached, strict=True))
            if cells:
                places.append(message("xlsx_sheet_cells_cpr", sheet=where, cells=cells))
        return places + _defined_name_places(books[0])
    finally:
        for book in books:
            book.close()


def _defined_name_places(book: object) -> list[Message]:
    """A CPR-like value in a defined name (its name or what it stands for): both the full and
    the streamed check look here."""
    names = book.defined_names  # type: ignore[attr-defined]
    if any(contains_cpr(str(n)) or contains_cpr(str(getattr(d, "attr_text", "")))
           for n, d in names.items()):
        return [message("xlsx_defined_name_cpr")]
    return []


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and friends
        raise file_problem(path, message("parquet_unreadable",
                                         reason=type(exc).__name__)) from None
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(frame=frame, fmt=TableFormat(kind="parquet"), path=str(path))


def read_table(path: str | Path, categories: bool = False) -> RawTable:
    """Read a CSV, XLSX or Parquet table without converting its cells (see module docstring).

    ``categories``: a CSV read by Arrow gives its columns of few distinct cells as pandas
    ``Categorical`` (:func:`~fastholdelse_eval.data.csv_lines.read_arrow`); for cohort files,
    whose validation works on the distinct cells. Other readers ignore it.

    Raises :class:`ValidationError` for a missing, empty or unreadable file.
    """
    path = Path(path)
    kind = table_kind(path)
    if not path.exists():
        raise file_problem(path, message("file_not_found"))
    if path.is_dir():
        raise file_problem(path, message("file_is_folder"))
    if path.stat().st_size == 0:
        raise file_problem(path, message("file_empty"))
    note_input(path)
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "parquet": _read_parquet}[kind]
    table = _read_csv(path, categories) if kind == "csv" else reader(path)
    if table.frame.shape[1] == 0:
        raise file_problem(path, message("file_no_columns"))
    return table


def cells_as_text(series: pd.Series) -> pd.Series:
    """Every cell as stripped text ("" for empty), whatever the source format.

    Datetimes become ISO dates, integral floats lose their ``.0`` (Excel stores 12 as 12.0).
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").fillna("").astype(str)
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Each distinct cell once, the rows by their codes; stripping may merge two cells.
        distinct = cells_as_text(pd.Series(series.cat.categories))
        if (pd.api.types.is_string_dtype(series.cat.categories.dtype)
                and distinct.equals(pd.Series(series.cat.categories))
                and not (series.cat.codes.to_numpy() < 0).any()):
            return series  # already stripped text (Arrow's reader): nothing to redo per row
        texts = np.append(distinct.to_numpy(dtype=object), "")  # code -1 (missing) → ""
        merged, uniques = pd.factorize(texts)
        return pd.Series(pd.Categorical.from_codes(merged[series.cat.codes.to_numpy()],
                                                   categories=uniques), index=series.index)

    def one(v: object) -> str:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NaT or v is pd.NA:
            return ""
        if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
            try:
                return pd.Timestamp(v).strftime("%Y-%m-%d")
            except (ValueError, TypeError):
                return str(v).strip()
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    if series.dtype == object or not pd.api.types.is_string_dtype(series):
        return pd.Series([one(v) for v in series.tolist()], index=series.index, dtype=str)
    if series.hasnans:
        series = series.fillna("")
    series = series.astype(str)
    return series.str.strip() if may_need_strip(series) else series


def write_table(frame: pd.DataFrame, path: str | Path, fmt: TableFormat) -> None:
    """Write ``frame`` to ``path`` in the dialect ``fmt``, atomically.

    The data go to a temporary file in the destination folder that replaces ``path`` only once
    complete, so an interrupted run leaves no partial file.
    """
    def write(tmp: Path) -> None:
        if fmt.kind == "csv":
            encoding = "utf-8-sig" if fmt.bom else fmt.encoding
            frame.to_csv(tmp, sep=fmt.sep, index=False, encoding=encoding,
                         lineterminator=fmt.lineterminator, decimal=fmt.decimal)
        elif fmt.kind == "xlsx":
            frame.to_excel(tmp, index=False, engine="openpyxl")
        elif fmt.kind == "parquet":
            frame.to_parquet(tmp, index=False)
        else:  # pragma: no cover - TableFormat is built by this module
            raise ValueError(f"unknown table kind {fmt.kind!r}")

    atomic_write(path, write)
