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


def cpr_mask(cells: Any) -> Any:
    """Boolean mask over a pandas Series of text: which cells look like a CPR number.

    Vectorised: a cheap length-and-digit filter first, the date check only on the distinct
    candidates (a cohort has few)."""
    text = cells.astype(str)
    candidate = (text.str.len() >= 9) & text.str.contains(r"[0-9]{5}", regex=True, na=False)
    mask = candidate.copy()
    if candidate.any():
        values = text[candidate]
        hits = {v: contains_cpr(v) for v in values.unique()}
        mask.loc[candidate] = values.map(hits).astype(bool)
    return mask.fillna(False).astype(bool)
