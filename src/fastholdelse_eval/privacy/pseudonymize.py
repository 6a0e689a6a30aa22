"""Pseudonymise a whole file (CSV, XLSX, Parquet) in place of its CPR column, every other byte,
cell or column unchanged, written atomically.

The keys, the CPR validation and the HMAC pseudonym are in
:mod:`fastholdelse_eval.privacy.pseudonyms` (re-exported here, so
``from fastholdelse_eval.privacy.pseudonymize import new_key, pseudonym, pseudonymize`` keeps
working); this module adds the file formats. CSV fields are rewritten one per record, XLSX cells
edited with openpyxl, Parquet columns replaced in Arrow; those libraries load only when a file of
their kind is read.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.core.cpr import contains_cpr, cpr_mask
from fastholdelse_eval.core.errors import ConfigError, safe_name
from fastholdelse_eval.core.files import atomic_write
from fastholdelse_eval.data.io import (
    file_problem,
    read_table,
    table_kind,
    workbook_cpr_places,
    write_table,
)
from fastholdelse_eval.data.localize import is_message, message
from fastholdelse_eval.privacy.pseudonyms import (
    _CPR_SHAPE,
    _ZERO_FORMAT,
    KEY_BYTES,
    KEY_HEADER,
    MAX_LISTED_PROBLEMS,
    PSEUDONYM_BITS,
    PSEUDONYM_LENGTH,
    PSEUDONYM_PREFIX,
    KeyFileError,
    MalformedCprError,
    _pseudonyms_for,
    _resolve_column,
    _text_cells,
    new_key,
    normalize_cpr,
    pseudonym,
    pseudonymize,
    read_key,
)

# The in-memory API is re-exported: callers import everything about pseudonyms from here.
__all__ = [
    "KEY_BYTES", "KEY_HEADER", "MAX_LISTED_PROBLEMS", "PSEUDONYM_BITS", "PSEUDONYM_LENGTH",
    "PSEUDONYM_PREFIX", "KeyFileError", "MalformedCprError", "PseudonymizeSummary", "new_key",
    "normalize_cpr", "pseudonym", "pseudonymize", "pseudonymize_file", "read_key",
]


@dataclass
class PseudonymizeSummary:
    """What :func:`pseudonymize_file` did (counts and names only, no values)."""

    out: Path
    column: str
    rows: int
    persons: int
    kind: str
    other_cpr_like_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Source:
    kind: str
    columns: list[str]  # headers as written
    column_at: Callable[[int], pd.Series]  # cells of the column at a position, as read
    rows: np.ndarray  # spreadsheet row number of each data row
    blank: np.ndarray  # rows with every cell empty (left as they are)
    write: Callable[[Path, str, pd.Series], list[str]]  # (tmp path, column, new values) -> notes
    text: Callable[[str], pd.Series] | None = None  # a column's cells as the user sees them
    # False when a column cannot hold a CPR number (a cheap check before reading it in full)
    may_hold_cpr: Callable[[int], bool] = lambda pos: True
    # CPR-like values outside the table's cells (other sheets, comments), as place descriptions
    findings: Callable[[], list[str]] = lambda: []

    def text_of(self, column: str) -> pd.Series:
        if self.text is not None:
            return self.text(column)
        return _text_cells(self.column_at(self.columns.index(column))).reset_index(drop=True)


def pseudonymize_file(
    path: str | Path,
    key_file: str | Path,
    out: str | Path,
    column: str | None = None,
) -> PseudonymizeSummary:
    """Pseudonymise the CPR column of a CSV, XLSX or Parquet file into ``out``.

    Works on cohort, groups and register-panel files (long or wide): only the CPR column is
    rewritten; every other cell and the file's format are kept (CSV: byte for byte; XLSX: cell
    types, number formats, styles and other sheets; Parquet: column types). ``out`` must have
    the input's format and may not be the input itself. The file is written atomically: a
    temporary file in the destination folder replaces ``out`` only when complete.
    """
    path, out, key_file = (Path(p).expanduser() for p in (path, out, key_file))
    key = read_key(key_file)
    kind = table_kind(path)
    if table_kind(out) != kind:
        raise ConfigError(message("pse_out_kind", kind=kind, suffix=out.suffix))
    if not out.parent.is_dir():
        raise ConfigError(message("pse_out_folder_missing", folder=str(out.parent)))
    for protected, what in ((path, message("pse_the_input_file")),
                            (key_file, message("pse_the_key_file"))):
        if _same_file(out, protected):
            raise ConfigError(message("pse_out_is_input", what=what))

    reader = {"csv": _csv_source, "xlsx": _xlsx_source, "parquet": _parquet_source}[kind]
    src = reader(path)
    col = _resolve_column(src.columns, column)
    text = src.text_of(col)
    try:
        new = _pseudonyms_for(text, key, src.rows, col, skip=src.blank)
    except MalformedCprError as exc:
        raise MalformedCprError(exc.problems, source=str(path), total=exc.total) from None

    notes: list[str] = []
    atomic_write(out, lambda tmp: notes.extend(src.write(tmp, col, new)))
    if os.path.realpath(key_file.parent) == os.path.realpath(out.parent):
        warnings.warn(message("pse_key_beside_output"), UserWarning, stacklevel=2)
    others = _cpr_like_columns(src, exclude=col)
    for finding in src.findings():
        warnings.warn(message("pse_left_unchanged", finding=finding), UserWarning,
                      stacklevel=2)
    for name in others:
        warnings.warn(message("pse_other_cpr_column", column=name), UserWarning,
                      stacklevel=2)
    kept = ~src.blank
    return PseudonymizeSummary(
        out=out, column=col, rows=int(kept.sum()), persons=int(new[kept].nunique()),
        kind=kind, other_cpr_like_columns=others, notes=notes,
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _cpr_like_columns(src: _Source, exclude: str) -> list[str]:
    """Other columns with at least one value that is a valid CPR number (names made safe)."""
    found = []
    blank = src.blank
    for pos, name in enumerate(src.columns):
        # By position: spreadsheets may repeat a header (or leave several empty).
        if name == exclude or not src.may_hold_cpr(pos):
            continue
        column = src.column_at(pos)
        if pd.api.types.is_string_dtype(column) and column.dtype != object:
            # A CPR number has at least 10 characters: one cheap pass rules out code columns
            # (a wide panel's weeks) before the full check.
            if not (column.str.len() >= 10).any():
                continue
        text = _text_cells(column).reset_index(drop=True)[~blank]
        # The one rule of core.cpr: a CPR number inside free text, or 9 digits (Excel's lost
        # leading zero), counts too.
        if len(text) and bool(cpr_mask(text).any()):
            found.append(_safe_column_name(str(name), pos))
    return found


def _safe_column_name(name: str, position: int) -> str:
    """A header fit for a message: a header that itself looks like a CPR number is not shown."""
    if not name.strip() or _CPR_SHAPE.search(name) or contains_cpr(name) or len(name) > 60:
        return f"column {position + 1}"
    return safe_name(name)


def _workbook_findings(path: Path, first_columns: list[str]) -> list[str]:
    """CPR-like values the first sheet's pseudonymisation leaves: the first sheet's header and
    every place :func:`workbook_cpr_places` looks (other sheets, comments, headers and
    footers, defined names). Places only."""
    found = [message("pse_header_cpr", position=pos + 1)
             for pos, name in enumerate(first_columns) if contains_cpr(name)]
    places = workbook_cpr_places(path)
    if places is None:  # the workbook opened a moment ago for editing; say so, never guess
        return found + [message("pse_workbook_unchecked")]
    return found + [message("pse_first_sheet_only", place=p)
                    if is_message(p, "xlsx_sheet_cells_cpr") else p for p in places]


# --- CSV: rewrite one field per record, leave every other byte alone ------------------------


def _csv_source(path: Path) -> _Source:
    raw = read_table(path)
    frame = raw.frame
    blank = (frame == "").all(axis=1).to_numpy() if frame.shape[1] else np.zeros(0, bool)
    rows = np.arange(len(frame)) + 2

    def write(tmp: Path, col: str, new: pd.Series) -> list[str]:
        index = [str(c) for c in frame.columns].index(col)
        expected = frame[col].to_numpy(dtype=object)
        data = path.read_bytes()
        spliced = _splice_csv(data, raw.fmt, index, expected, new.to_numpy(dtype=object))
        if spliced is not None:
            tmp.write_bytes(spliced)
            return []
        # The byte-level reader disagreed with the table reader (an unusual quoting style):
        # write the table back in its dialect instead; values are the same, quoting may differ.
        out_frame = frame.copy()
        out_frame[col] = pd.Series(new.to_numpy(dtype=object), index=frame.index, dtype=str)
        write_table(out_frame, tmp, raw.fmt)
        return [message("pse_csv_rewritten")]

    return _Source("csv", [str(c) for c in frame.columns], lambda pos: frame.iloc[:, pos], rows,
                   blank, write)


def _splice_csv(data: bytes, fmt, index: int, expected: np.ndarray,
                new: np.ndarray) -> bytes | None:
    """Replace field ``index`` of every data record in the raw bytes; None if unsure.

    Works on bytes: in UTF-8, cp1252 and latin-1 the separator, quote and line breaks are
    single ASCII bytes that never occur inside another character, so nothing else is re-encoded.
    Returns None (caller falls back) unless every field read here equals ``expected``.
    """
    encoding = fmt.encoding
    if encoding.lower().replace("_", "-") not in {"utf-8", "cp1252", "latin-1", "iso-8859-1"}:
        return None
    if b"\x00" in data:
        return None  # NUL is the bulk-decoding separator below
    start = 3 if fmt.bom and data.startswith(b"\xef\xbb\xbf") else 0
    sep = re.escape(fmt.sep.encode("ascii"))
    # Runs of ordinary bytes are matched in one step, and possessively (``++``, ``*+``): a
    # record that does not match (a stray quote) fails at once instead of backtracking
    # exponentially.
    field = rb'"(?:[^"]++|"")*+"|[^"\r\n' + sep + rb"]*+"
    rest = rb'(?:[^"\r\n]++|"(?:[^"]++|"")*+")*+'
    # One record: ``index`` fields and separators, the target field, the rest, a line break.
    record = re.compile(rb"(?:(?:" + field + rb")" + sep + rb"){" + str(index).encode()
                        + rb"}(" + field + rb")" + rest + rb"(?:\r\n|\n|\r|\Z)")
    blank = re.compile(rb"\r\n|\n|\r")
    n = len(data)

    header = record.match(data, start)
    if header is None:
        return None
    pos = header.end()
    spans: list[tuple[int, int] | None] = []  # target field of each data record
    match = record.match
    for _ in range(len(expected)):
        if pos >= n:
            return None
        m = match(data, pos)
        if m is None or m.end() == pos:
            b = blank.match(data, pos)
            if b is None:
                return None
            spans.append(None)  # an empty line: a row of empty cells to the table reader
            pos = b.end()
            continue
        spans.append(m.span(1))
        pos = m.end()
    if data[pos:].strip(b"\r\n"):
        return None  # records left over: the two readers disagree

    # Check every field against the table reader in one decode.
    raw = [data[a:b] if sp is not None else b"" for sp in spans for a, b in [sp or (0, 0)]]
    quoted = [r[:1] == b'"' for r in raw]
    unquoted = [r[1:-1].replace(b'""', b'"') if q else r for r, q in zip(raw, quoted,
                                                                          strict=True)]
    try:
        values = b"\x00".join(unquoted).decode(encoding).split("\x00")
    except UnicodeDecodeError:
        return None
    if values != [str(v) for v in expected]:
        return None

    pieces = [data[:header.end()]]
    last = header.end()
    for sp, q, old, value in zip(spans, quoted, expected.tolist(), new.tolist(), strict=True):
        if sp is None or value == old:
            continue  # blank lines and skipped rows stay as they are
        rep = value.encode("ascii")
        pieces += [data[last:sp[0]], b'"' + rep + b'"' if q else rep]
        last = sp[1]
    pieces.append(data[last:])
    return b"".join(pieces)


# --- XLSX: edit the cells in place with openpyxl --------------------------------------------


def _xlsx_source(path: Path) -> _Source:
    import openpyxl

    keep_vba = path.suffix.lower() == ".xlsm"
    try:
        wb = openpyxl.load_workbook(path, keep_vba=keep_vba)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise file_problem(path, message("xlsx_unreadable",
                                         reason=type(exc).__name__)) from None
    ws = wb.worksheets[0]
    grid = list(ws.iter_rows(values_only=True))
    # Trailing empty rows (formatting only) are not data.
    while grid and all(v is None or str(v).strip() == "" for v in grid[-1]):
        grid.pop()
    if not grid:
        raise file_problem(path, message("first_sheet_empty"))
    header_row = 1  # iter_rows starts at A1 whatever the sheet's used range
    header = ["" if v is None else str(v) for v in grid[0]]
    frame = pd.DataFrame(grid[1:], columns=range(len(header)), dtype=object)
    frame.columns = header
    blank = frame.map(lambda v: v is None or str(v).strip() == "").all(axis=1).to_numpy() \
        if len(frame) else np.zeros(0, bool)
    rows = np.arange(len(frame)) + header_row + 1

    def write(tmp: Path, col: str, new: pd.Series) -> list[str]:
        cidx = header.index(col) + 1
        for r, value, skip in zip(rows.tolist(), new.tolist(), blank.tolist(), strict=True):
            if skip:
                continue
            cell = ws.cell(row=r, column=cidx)
            cell.value = value
            if cell.number_format != "General":
                cell.number_format = "@"
        wb.save(tmp)
        return []

    def text(col: str) -> pd.Series:
        # A CPR column stored as numbers and shown with a 10-zero format ("0000000000" or
        # "000000-0000", a common Excel habit) is read as displayed, leading zero included.
        cidx = header.index(col) + 1
        cells = [ws.cell(row=r, column=cidx) for r in rows.tolist()]
        values = _text_cells(pd.Series([c.value for c in cells], dtype=object))
        padded = [
            f"{int(c.value):010d}"
            if isinstance(c.value, int | float) and not isinstance(c.value, bool)
            and float(c.value).is_integer() and 0 <= c.value < 10**10
            and _ZERO_FORMAT.fullmatch(c.number_format or "")
            else v
            for c, v in zip(cells, values.tolist(), strict=True)
        ]
        return pd.Series(padded, dtype=str)

    return _Source("xlsx", header, lambda pos: frame.iloc[:, pos], rows, blank, write, text,
                   findings=lambda: _workbook_findings(path, header))


def _arrow_codec(name: str) -> str:
    name = name.lower()
    return "none" if name == "uncompressed" else name


# --- Parquet: replace one Arrow column, keep the others and the file's settings --------------


def _parquet_source(path: Path) -> _Source:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        table = pf.read()
    except Exception as exc:  # pyarrow raises ArrowInvalid and friends
        raise file_problem(path, message("parquet_unreadable",
                                         reason=type(exc).__name__)) from None
    names = [str(n) for n in table.column_names]
    blank = np.zeros(table.num_rows, dtype=bool)
    rows = np.arange(table.num_rows) + 2

    def column_at(pos: int) -> pd.Series:
        return table.column(pos).to_pandas()

    def may_hold_cpr(pos: int) -> bool:
        # Text columns whose values are all shorter than a CPR number (a wide panel's weekly
        # codes) are ruled out in Arrow, without converting them to pandas.
        col = table.column(pos)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            longest = pc.max(pc.utf8_length(col)).as_py()
            return longest is not None and longest >= 10
        return True

    def write(tmp: Path, col: str, new: pd.Series) -> list[str]:
        i = names.index(col)
        old = table.schema.field(i)
        new_field = pa.field(old.name, pa.string(), nullable=old.nullable, metadata=old.metadata)
        arr = pa.array(new.to_numpy(dtype=object), type=pa.string())
        out = table.set_column(i, new_field, arr)
        meta = dict(out.schema.metadata or {})
        if b"pandas" in meta:
            # Keep pandas' own record of the columns in step with the new type.
            pmeta = json.loads(meta[b"pandas"])
            for c in pmeta.get("columns", []):
                if c.get("name") == old.name:
                    c.update(pandas_type="unicode", numpy_type="object", metadata=None)
            meta[b"pandas"] = json.dumps(pmeta).encode()
            out = out.replace_schema_metadata(meta)
        md = pf.metadata
        kwargs = {}
        if md.num_row_groups:
            rg = md.row_group(0)
            kwargs["compression"] = {
                rg.column(j).path_in_schema: _arrow_codec(rg.column(j).compression)
                for j in range(rg.num_columns)
            }
            kwargs["row_group_size"] = max(rg.num_rows, 1)
        pq.write_table(out, tmp, **kwargs)
        return []

    return _Source("parquet", names, column_at, rows, blank, write, None, may_hold_cpr)
