"""The bytes behind an Arrow-backed text column (pandas ``str``), for checks that numpy can do
on every cell at once without making a Python string per cell (CPR screening, whether any cell
needs stripping)."""

from __future__ import annotations

from typing import Any

import numpy as np

# Bytes that may begin or end a cell that str.strip() would change: ASCII whitespace and the
# file/group/record/unit separators, and any non-ASCII byte (NBSP, U+2028 and friends).
_STRIPPABLE = np.zeros(256, dtype=bool)
_STRIPPABLE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_STRIPPABLE[128:] = True


def text_buffers(cells: Any) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """``(offsets, data)`` per Arrow chunk of a pandas text Series: cell *i* of a chunk is
    ``data[offsets[i] - offsets[0]:offsets[i + 1] - offsets[0]]`` (UTF-8). None when the Series
    is not Arrow-backed text (then the callers take their general route)."""
    to_arrow = getattr(getattr(cells, "array", None), "__arrow_array__", None)
    if to_arrow is None:
        return None
    import pyarrow as pa  # lazy: only reached with Arrow-backed data, where it is loaded

    chunked = to_arrow()
    if isinstance(chunked, pa.Array):
        chunked = pa.chunked_array([chunked])
    large = pa.types.is_large_string(chunked.type)
    if not large and not pa.types.is_string(chunked.type):
        return None
    out = []
    for chunk in chunked.chunks:
        if len(chunk) == 0:
            continue
        offsets_buf, data_buf = chunk.buffers()[1:3]
        offsets = np.frombuffer(offsets_buf, dtype=np.int64 if large else np.int32)[
            chunk.offset:chunk.offset + len(chunk) + 1].astype(np.int64)
        data = (np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[-1]]
                if data_buf is not None else np.zeros(0, dtype=np.uint8))
        out.append((offsets, data))
    return out


def may_need_strip(cells: Any) -> bool:
    """Could ``str.strip()`` change any cell? False only when every cell's first and last byte
    is neither whitespace nor non-ASCII (checked on the bytes); True when unsure."""
    parts = text_buffers(cells)
    if parts is None:
        return True
    for offsets, data in parts:
        lengths = np.diff(offsets)
        filled = lengths > 0
        first = data[(offsets[:-1] - offsets[0])[filled]]
        last = data[(offsets[1:] - offsets[0])[filled] - 1]
        if _STRIPPABLE[first].any() or _STRIPPABLE[last].any():
            return True
    return False
