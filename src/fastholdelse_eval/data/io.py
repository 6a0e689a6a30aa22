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
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fastholdelse_eval.core.errors import FastholdelseError, Problem, ValidationError
from fastholdelse_eval.core.files import atomic_write
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


def _decode(data: bytes) -> tuple[str, str, bool]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8", True
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        # cp1252 maps every byte but five; latin-1 covers those, so reading never fails here.
        try:
            return data.decode("cp1252"), "cp1252", False
        except UnicodeDecodeError:
            return data.decode("latin-1"), "latin-1", False


def _sniff_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    text, encoding, bom = _decode(data)
    if not text.strip():
        raise file_problem(path, "the file is empty")
    first_line = text.partition("\n")[0].rstrip("\r")
    sep = _sniff_separator(first_line)
    lineterminator = "\r\n" if "\r\n" in text[: len(first_line) + 2] else "\n"
    header = next(csv.reader(_io.StringIO(first_line, newline=""), delimiter=sep), [])
    width = len(header)
    # pandas' C parser builds the frame fast, but with more cells than the header in a row it
    # would drop or shift them; it then warns or fails, and the csv module finds the rows.
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(_io.StringIO(text), sep=sep, header=0,
                                names=list(range(width)), dtype=str, keep_default_na=False,
                                na_filter=False, skip_blank_lines=False, index_col=False)
        suspicious = any(issubclass(w.category, pd.errors.ParserWarning) for w in caught)
    except (pd.errors.ParserError, ValueError):
        frame, suspicious = None, True
    if suspicious:
        frame = _read_csv_checked(text, sep, width, path)
    frame = frame.fillna("")
    frame.columns = unique_headers(header)
    fmt = TableFormat(
        kind="csv",
        sep=sep,
        encoding=encoding,
        bom=bom,
        decimal="," if sep == ";" else ".",
        lineterminator=lineterminator,
    )
    return RawTable(frame=frame, fmt=fmt, path=str(path))


def _read_csv_checked(text: str, sep: str, width: int, path: Path) -> pd.DataFrame:
    """Slow path: the csv module, row by row, reporting rows with surplus cells."""
    try:
        records = list(csv.reader(_io.StringIO(text, newline=""), delimiter=sep))[1:]
    except csv.Error as exc:
        raise file_problem(path, f"not a readable CSV table ({exc})") from None
    long_rows = [(i, r) for i, r in enumerate(records)
                 if len(r) > width and any(cell.strip() for cell in r[width:])]
    too_long = [
        Problem(spreadsheet_row(i), None, f"row has {len(r)} cells but the header has {width}")
        for i, r in long_rows
    ]
    if too_long:
        hint = (separator_hint(sep, [r for _, r in long_rows], width)
                or header_row_hint(pd.DataFrame(records[:10]), COLUMN_LOOKUP))
        raise ValidationError(too_long + ([Problem(None, None, hint)] if hint else []),
                              source=str(path))
    body = [(r + [""] * (width - len(r)))[:width] for r in records]
    return pd.DataFrame(body, columns=range(width), dtype=object).astype(str)


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
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            sheets = tuple(str(s) for s in book.sheet_names)
            frame = book.parse(sheet_name=0, dtype=object)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise file_problem(path, f"not a readable XLSX workbook ({type(exc).__name__})") from None
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.astype(object).where(frame.notna(), None)
    return RawTable(frame=frame, fmt=TableFormat(kind="xlsx"), path=str(path), sheets=sheets)


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and friends
        raise file_problem(path, f"not a readable Parquet file ({type(exc).__name__})") from None
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(frame=frame, fmt=TableFormat(kind="parquet"), path=str(path))


def read_table(path: str | Path) -> RawTable:
    """Read a CSV, XLSX or Parquet table without converting its cells (see module docstring).

    Raises :class:`ValidationError` for a missing, empty or unreadable file.
    """
    path = Path(path)
    kind = table_kind(path)
    if not path.exists():
        raise file_problem(path, "file not found")
    if path.is_dir():
        raise file_problem(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise file_problem(path, "the file is empty")
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "parquet": _read_parquet}[kind]
    table = reader(path)
    if table.frame.shape[1] == 0:
        raise file_problem(path, "the file has no columns")
    return table


def cells_as_text(series: pd.Series) -> pd.Series:
    """Every cell as stripped text ("" for empty), whatever the source format.

    Datetimes become ISO dates, integral floats lose their ``.0`` (Excel stores 12 as 12.0).
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").fillna("").astype(str)

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
    return series.fillna("").astype(str).str.strip()


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
