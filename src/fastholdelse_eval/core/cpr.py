"""What looks like a CPR number, wherever it sits: a cell, a header, a sheet name, a comment.

One rule for every reader (cohort, aggregate, register panel and groups files) and for
``pseudonymize``'s report of cells it did not replace:

- 10 digits ``DDMMYYXXXX`` or ``DDMMYY-XXXX`` whose date part names a real day (29 February is
  allowed whatever the year: the century is not known from six digits), not inside a longer run
  of digits;
- a whole cell of 9 digits ``DMMYYXXXX`` with a valid date part: a CPR number of a person born
  on the 1st–9th stored as a number, whose leading zero Excel dropped.

Only the shape and the date part are checked (the modulus-11 check was given up by CPR in 2007).
Messages about a match never include the value: callers report a row and a column.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from fastholdelse_eval.core.arrow_text import text_buffers

# Digits 0-9 only: ``\d`` would also match Arabic-Indic and full-width digits.
_TEN = r"(?<![0-9])(?P<d>[0-3][0-9])(?P<m>[01][0-9])[0-9]{2}-?[0-9]{4}(?![0-9])"
_NINE = r"^\s*(?P<d>[1-9])(?P<m>[01][0-9])[0-9]{2}[0-9]{4}(?:\.0+)?\s*$"
TEN_PATTERN = re.compile(_TEN)
NINE_PATTERN = re.compile(_NINE)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_day(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]


def contains_cpr(text: object) -> bool:
    """Does ``text`` hold something that looks like a CPR number (see module docstring)?"""
    if text is None:
        return False
    s = str(text)
    if len(s) < 9:
        return False
    for m in TEN_PATTERN.finditer(s):
        if _valid_day(int(m["d"]), int(m["m"])):
            return True
    m = NINE_PATTERN.match(s)
    return bool(m) and _valid_day(int(m["d"]), int(m["m"]))


def redact(text: str) -> str:
    """``text`` with every CPR-like number replaced by ``[CPR]`` (for names that are shown)."""
    s = TEN_PATTERN.sub(lambda m: "[CPR]" if _valid_day(int(m["d"]), int(m["m"])) else m[0],
                        str(text))
    return "[CPR]" if contains_cpr(s) else s


_SLICE = 1 << 20  # bytes per step: the masks of a slice stay in cache and their memory is reused


def _no_nine_digits(cells: Any) -> bool:
    """True when no cell of an Arrow-backed text Series holds 9 digits in a row (a dash
    allowed as the 7th), so none can look like a CPR number. Checked on Arrow's byte buffer
    with numpy (a window that does not cross the start of a cell), far cheaper than a regex on
    every cell; False when unsure (other storage). The bytes are looked at a megabyte at a
    time: masks of the whole buffer (five of them, each as large as the text) cost more in
    fresh memory than the arithmetic."""
    parts = text_buffers(cells)
    if parts is None:
        return False
    for offsets, data in parts:
        cell_starts = offsets[1:-1] - offsets[0]
        for lo in range(0, len(data), _SLICE):
            # A window starting in this slice reads up to 8 bytes past its end.
            hi = min(lo + _SLICE + 8, len(data))
            inside = cell_starts[np.searchsorted(cell_starts, lo):
                                 np.searchsorted(cell_starts, hi)] - lo
            if _nine_digits_in(data[lo:hi], inside):
                return False
    return True


def _nine_digits_in(data: np.ndarray, cell_starts: np.ndarray) -> bool:
    """Does some window of 9 bytes within one cell fit "DDMMYY", then a digit or "-", then two
    digits — the first 9 bytes of every CPR form (DDMMYYXXXX, DDMMYY-XXXX, DMMYYXXXX)?

    Runs of digits are built by doubling (pairs, then fours), ten array operations instead of
    one per byte of the window."""
    if len(data) < 9:
        return False
    digit = (data >= 48) & (data <= 57)
    inner = np.ones(len(data), dtype=bool)  # the byte continues a cell (does not start one)
    inner[cell_starts] = False
    more = digit & inner
    more_or_dash = (digit | (data == 45)) & inner
    pairs = more[:-1] & more[1:]  # pairs[q]: bytes q and q+1
    fours = pairs[:-2] & pairs[2:]  # fours[q]: bytes q .. q+3
    m = len(data) - 8  # windows start at 0 .. len - 9
    window = (digit[:m] & fours[1:1 + m] & more[5:5 + m] & more_or_dash[6:6 + m]
              & pairs[7:7 + m])
    return bool(window.any())


# A cheap screen for cpr_mask, run by Arrow's regex engine (RE2: no look-around) on every
# cell: a run of 9 or 10 digits (a dash allowed before the last four) whose first digits could
# be a day and a month. Every cell contains_cpr accepts passes it; the few that pass are checked
# by contains_cpr itself.
_SCREEN = (r"(?:^|[^0-9])(?:(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}"
           r"|[1-9](?:0[1-9]|1[0-2])[0-9]{6})(?:[^0-9]|$)")


def cpr_mask(cells: Any) -> Any:
    """Boolean mask over a pandas Series of text: which cells look like a CPR number.

    Vectorised: no cell with 9 digits in a row (:func:`_no_nine_digits`) → none; else a regex
    screen on every cell (a shape only a few cells have), and the exact check on the distinct
    cells that pass it."""
    import pandas as pd  # lazy: this module is imported by commands that need no pandas

    text = cells.astype(str)
    if _no_nine_digits(text):
        return pd.Series(False, index=text.index, dtype=bool)
    candidate = text.str.contains(_SCREEN, regex=True, na=False)
    mask = candidate.copy()
    if candidate.any():
        values = text[candidate]
        hits = {v: contains_cpr(v) for v in values.unique()}
        mask.loc[candidate] = values.map(hits).astype(bool)
    return mask.fillna(False).astype(bool)
