"""Large CSV files without quotes, on their bytes: line widths counted with numpy and the cells
read by Arrow's CSV reader, so loading a million persons costs about what a plain
``pandas.read_csv(engine="pyarrow")`` costs (benchmarks/bench_load.py).

Every step works on UTF-8 bytes in slices of :data:`CHUNK` bytes, so its memory beyond the file
itself stays small (a boolean mask of the whole file would be as large as the file again). Lines
end at ``\\r\\n``, ``\\n`` or ``\\r`` — the rule of :func:`fastholdelse_eval.data.io.read_table`.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

CHUNK = 1 << 23  # 8 MB: masks and positions of one slice stay small

UTF8_BOM = b"\xef\xbb\xbf"


def plain_start(path: Path) -> int | None:
    """Where the text of a file that may be plain UTF-8 without quotes starts (3 after a BOM,
    else 0); None for UTF-16, which the general reader handles. Only the first bytes are
    looked at: a quote or a NUL byte further on is found in the cells Arrow reads
    (:func:`read_arrow`), and whether the bytes really are UTF-8 is checked by Arrow as it
    reads — one pass over a large file instead of two."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    return 3 if head.startswith(UTF8_BOM) else 0


def is_utf8(data: bytes, start: int) -> bool:
    """Are the bytes from ``start`` on UTF-8? Checked slice by slice with an incremental
    decoder whose output is dropped at once, so a large file is never held twice."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for lo in range(start, len(data), CHUNK):
            decoder.decode(view[lo:lo + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class LineWidths:
    """Cells per line and line length in bytes, for every line after the header (0-based data
    rows; a final empty piece after the last line end is not a line)."""

    cells: np.ndarray  # int64; 0 for an empty line
    starts: np.ndarray  # byte offset of each line
    lengths: np.ndarray  # bytes, without the line end

    def line(self, data: bytes, i: int) -> str:
        lo = int(self.starts[i])
        return data[lo:lo + int(self.lengths[i])].decode("utf-8")


def line_widths(data: bytes, start: int, sep: str) -> LineWidths:
    """Count the cells of every line after the first, from byte ``start`` on (vectorised)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    sep_byte = ord(sep)
    header_end = _first_line_end(data, start)
    cells, starts, lengths = [], [], []
    lo = header_end
    while lo < len(data):
        # Slices end right after a "\n", so no "\r\n" is cut in two.
        cut = data.find(b"\n", min(lo + CHUNK, len(data)) - 1)
        hi = len(data) if cut < 0 else cut + 1
        c, s, n = _slice_widths(arr[lo:hi], sep_byte, final=hi == len(data))
        cells.append(c)
        starts.append(s + lo)
        lengths.append(n)
        lo = hi
    if not cells:
        empty = np.zeros(0, dtype=np.int64)
        return LineWidths(empty, empty, empty)
    return LineWidths(np.concatenate(cells), np.concatenate(starts), np.concatenate(lengths))


def _first_line_end(data: bytes, start: int) -> int:
    """Byte offset where the second line starts."""
    ends = [i for i in (data.find(b"\r", start), data.find(b"\n", start)) if i >= 0]
    if not ends:
        return len(data)
    end = min(ends)
    return end + (2 if data[end:end + 2] == b"\r\n" else 1)


def _slice_widths(part: np.ndarray, sep: int, final: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells, starts and lengths of the lines of one slice that starts at a line start."""
    is_lf = part == 10
    if (part == 13).any():
        is_cr = part == 13
        # A line ends at each CR, and at each LF not right after a CR.
        term = is_cr.copy()
        term[1:] |= is_lf[1:] & ~is_cr[:-1]
        term[:1] |= is_lf[:1]
        ends = np.flatnonzero(term)
        nxt = np.minimum(ends + 1, len(part) - 1)
        after = ends + 1 + (is_cr[ends] & is_lf[nxt] & (ends + 1 < len(part)))
    else:
        ends = np.flatnonzero(is_lf)
        after = ends + 1
    starts = np.empty(len(ends), dtype=np.int64)
    starts[:1] = 0
    starts[1:] = after[:-1]
    if final and (not len(ends) or after[-1] < len(part)):
        # The last line has no line end.
        starts = np.append(starts, after[-1] if len(ends) else 0)
        ends = np.append(ends, len(part))
    # Separators per line: how many lie before its end minus how many before its start.
    seps = np.flatnonzero(part == sep)
    per_line = np.searchsorted(seps, ends) - np.searchsorted(seps, starts)
    lengths = (ends - starts).astype(np.int64)
    cells = np.where(lengths == 0, 0, per_line + 1).astype(np.int64)
    return cells, starts, lengths


def surplus_filled(data: bytes, widths: LineWidths, sep: str, width: int) -> np.ndarray:
    """For lines with more cells than the header: is any surplus cell filled (not blank)?"""
    filled = np.zeros(len(widths.cells), dtype=bool)
    for i in np.flatnonzero(widths.cells > width):
        tail = widths.line(data, int(i)).split(sep, width)[width]
        filled[i] = tail.replace(sep, "").strip() != ""
    return filled


def read_arrow(path: Path, sep: str, width: int, categories: bool = False
               ) -> pd.DataFrame | None:
    """Every cell as text (Arrow-backed ``str``; empty cells ``""``) of a file without quotes
    whose every line after the header has ``width`` cells. Columns are numbered.

    ``categories``: a column with few distinct cells (at most half as many as rows: labels,
    dates, ages) comes as a pandas ``Categorical`` of its distinct cells, so the text of a
    million rows is never held (about 4 bytes a cell instead of 20). Arrow encodes every
    column while it reads; a column with many distinct cells (person ids) is decoded back to
    plain text, which costs less than keeping a dictionary as long as the column.

    None when a cell holds a quote or a NUL byte: only the general reader knows where such a
    cell ends. Raises :class:`pyarrow.ArrowInvalid` when a line has another number of cells (an
    empty line has one) or a cell is not UTF-8: the caller then finds and reports those lines,
    or reads the file with the general reader."""
    names = [str(i) for i in range(width)]
    options = {
        "read_options": pa_csv.ReadOptions(column_names=names, skip_rows=1),  # skips the header
        "parse_options": pa_csv.ParseOptions(delimiter=sep, quote_char=False,
                                             ignore_empty_lines=False),
    }

    def convert(types: dict[str, pa.DataType]) -> pa_csv.ConvertOptions:
        return pa_csv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                     quoted_strings_can_be_null=False)

    types = dict.fromkeys(names, pa.large_string())
    if categories:
        types = _cell_types(path, options, convert(types))
    table = pa_csv.read_csv(str(path), **options, convert_options=convert(types))
    if _quote_or_nul(table):
        return None
    if not categories:
        frame = table.to_pandas()
        frame.columns = range(width)
        return frame
    columns = {}
    for i in range(width):
        column = table.column(0)
        table = table.remove_column(0)  # each column's memory goes as soon as it is converted
        # Each chunk has its own dictionary: their sizes add up to at least the distinct cells.
        if pa.types.is_dictionary(column.type) and sum(
                len(chunk.dictionary) for chunk in column.chunks) > len(column) // 2:
            column = column.cast(pa.large_string())
        columns[i] = column.to_pandas()
        del column
    return pd.DataFrame(columns, copy=False)  # a dict-built frame copies by default


def _quote_or_nul(table: pa.Table) -> bool:
    """Does any cell hold ``"`` or a NUL byte? Searched in the bytes of the cells as Arrow holds
    them (a dictionary column's distinct cells only), without a Python string per cell."""
    for column in table.columns:
        for chunk in column.chunks:
            cells = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
            if not (pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)):
                continue  # read_arrow reads text only; nothing else holds a quote
            data = cells.buffers()[2]  # validity, offsets, then the cells' bytes end to end
            if data is None:
                continue
            view = np.frombuffer(data, dtype=np.uint8)
            # A slice at a time: a mask as large as a million ids would be fresh memory.
            for lo in range(0, len(view), CHUNK >> 3):
                part = view[lo:lo + (CHUNK >> 3)]
                if (part == ord('"')).any() or not part.all():
                    return True
    return False


_DICTIONARY = pa.dictionary(pa.int32(), pa.large_string())
SAMPLE_BYTES = 1 << 18  # the first rows, a few thousand of them


def _cell_types(path: Path, options: dict, plain: pa_csv.ConvertOptions
                ) -> dict[str, pa.DataType]:
    """Per column: dictionary-encoded text when the first rows (a quarter of a megabyte)
    have few distinct cells, plain text when it does not (ids: a dictionary as long as the
    column only costs). A guess from the first rows; :func:`read_arrow` still decodes a column
    that turns out to have many distinct cells further down, so the result never depends on it."""
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if len(head) == SAMPLE_BYTES:  # whole lines only
        head = head[:max(head.rfind(b"\n"), head.rfind(b"\r")) + 1]
    first = pa_csv.read_csv(pa.BufferReader(head), **options, convert_options=plain)
    types = {}
    for name in plain.column_types:
        few = len(first) < 2 or (
            pc.count_distinct(first.column(name)).as_py() <= len(first) // 2)
        types[name] = _DICTIONARY if few else pa.large_string()
    return types
