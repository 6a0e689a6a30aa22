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
            chunk.offset:chunk.offset + len(chunk) + 1].astype(np.int64, copy=False)
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
        if not len(data) or (data.min() > 32 and data.max() < 128):
            # No whitespace, separator or non-ASCII byte anywhere: two fast reductions.
            continue
        lengths = np.diff(offsets)
        filled = lengths > 0
        first = data[(offsets[:-1] - offsets[0])[filled]]
        last = data[(offsets[1:] - offsets[0])[filled] - 1]
        if _STRIPPABLE[first].any() or _STRIPPABLE[last].any():
            return True
    return False


def empty_cells(cells: Any) -> np.ndarray | None:
    """Which cells are ``""``, from the offsets (a million ids: 1 ms; comparing every cell with
    ``""`` takes ten). None when not Arrow-backed text, or when a cell is missing (its offsets
    look like an empty cell's)."""
    parts = text_buffers(cells)
    if parts is None or cells.hasnans:
        return None
    if not parts:
        return np.zeros(len(cells), dtype=bool)
    return np.concatenate([offsets[1:] == offsets[:-1] for offsets, _ in parts])


def all_ascii(cells: Any) -> bool:
    """Is every cell ASCII? One reduction over the bytes; False when unsure (not Arrow-backed
    text)."""
    parts = text_buffers(cells)
    return parts is not None and all(not len(data) or data.max() < 128 for _, data in parts)


_HASH_MULT = np.uint64(0x9E3779B97F4A7C15)
_MAX_HASHED_BYTES = 64  # longer cells (not ids) take the callers' general route


def text_hashes(cells: Any) -> np.ndarray | None:
    """A 64-bit hash of every cell of an Arrow-backed text Series, computed with numpy on the
    UTF-8 bytes eight at a time (no Python string per cell). Equal cells have equal hashes;
    unequal cells almost never do, so callers compare the strings of colliding cells only.
    None when the Series is not Arrow-backed text or a cell is longer than 64 bytes."""
    parts = text_buffers(cells)
    if parts is None:
        return None
    out = np.empty(sum(len(offsets) - 1 for offsets, _ in parts), dtype=np.uint64)
    done = 0
    for offsets, data in parts:
        if len(offsets) > 1 and np.diff(offsets).max() > _MAX_HASHED_BYTES:
            return None
        # A slice of cells at a time, straight into the result: the temporaries (five arrays
        # of 8 bytes a cell) stay small enough to be reused, where whole-column ones were
        # fresh memory every time.
        for lo in range(0, len(offsets) - 1, _HASHED_CELLS):
            cut = offsets[lo:lo + _HASHED_CELLS + 1] - offsets[0]
            hashes = _hash_cells(data[cut[0]:cut[-1]], cut - cut[0])
            out[done:done + len(hashes)] = hashes
            done += len(hashes)
    return out


_HASHED_CELLS = 1 << 16


def _hash_cells(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """:func:`text_hashes` of the cells ``data[offsets[i]:offsets[i + 1]]``."""
    starts, lengths = offsets[:-1], np.diff(offsets)
    padded = np.zeros(len(data) + 8, dtype=np.uint8)
    padded[:len(data)] = data
    # The eight bytes from any byte position as one number: a uint64 view whose stride is one
    # byte, so a word is one gather (three times faster than gathering eight bytes a cell).
    words_at = np.ndarray(shape=(len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    h = lengths.astype(np.uint64) * _HASH_MULT
    words = int(lengths.max() + 7) // 8 if len(lengths) else 0
    for k in range(words):
        word = words_at[np.minimum(starts + 8 * k, len(data))]
        # Keep only the bytes of this cell (the window runs on into the next cell).
        left = np.clip(lengths - 8 * k, 0, 8).astype(np.uint64)
        keep = np.where(left >= 8, np.uint64(0xFFFFFFFFFFFFFFFF),
                        (np.uint64(1) << (np.uint64(8) * left)) - np.uint64(1))
        mixed = (h ^ (word & keep)) * _HASH_MULT
        mixed ^= mixed >> np.uint64(29)
        # Cells already ended keep their hash, so it does not depend on the slice's longest.
        h = np.where(left > 0, mixed, h)
    return h
