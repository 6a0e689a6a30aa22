"""Validation messages a person can act on: the rejected label (when it cannot be personal), the
nearest known label, and one-line hints for the usual causes of a file full of errors.

A label such as ``rasmeldt`` is not personal data, but a cell in a label column may still hold
one (a shifted row puts an id or a name there), so a rejected value is shown only when it is
short, has no run of digits (CPR numbers, dates, ids) and at most three words, *and* it is close
to a known label (a typo: ``rasmeldt`` → "did you mean 'raskmeldt'?"). A label far from every
known one is not shown even when many rows repeat it: the privacy audit found names repeated
in a label column (tests/test_privacy_audit.py). Everything else is described by row and column
only, as elsewhere in validation.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import safe_name
from fastholdelse_eval.data.localize import Message, message
from fastholdelse_eval.data.schema import normalize_label

MAX_SHOWN_LENGTH = 30
_DIGITS = re.compile(r"\d{3,}")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[-./]\d{1,2}[-./]\d{2}$")


def showable(label: str) -> bool:
    """May this cell's text appear in a message (see the module docstring)?"""
    text = label.strip()
    return (0 < len(text) <= MAX_SHOWN_LENGTH and not _DIGITS.search(text)
            and len(text.split()) <= 3)


def nearest(label: str, known: Iterable[str]) -> str | None:
    """The known spelling closest to ``label`` (difflib, on the folded forms), if close."""
    display = {normalize_label(k): k for k in known}
    match = difflib.get_close_matches(normalize_label(label), list(display), n=1, cutoff=0.75)
    return display[match[0]] if match else None


def unknown_label_rows(raw: pd.Series, unknown: np.ndarray, known: Iterable[str],
                       guessed: Callable[[str, str], Message],
                       hidden: Callable[[], Message]) -> list[tuple[np.ndarray, Message]]:
    """``(rows mask, message)`` per distinct rejected label: ``guessed(label, guess)`` for a
    label that may be shown and is close to a known one ("unknown end reason 'rasmeldt'; did you
    mean 'raskmeldt'? expected …"); every other label shares one message, ``hidden()``. The
    caller builds both by key, one pair per label column."""
    if not unknown.any():
        return []
    known = list(known)
    out: list[tuple[np.ndarray, Message]] = []
    hide = np.zeros(len(raw), dtype=bool)
    values = raw.to_numpy(dtype=object)
    for label in pd.unique(values[unknown]):
        rows = unknown & (values == label)
        guess = nearest(str(label), known) if showable(str(label)) else None
        if guess is None:
            hide |= rows
            continue
        out.append((rows, guessed(safe_name(str(label).strip()), guess)))
    if hide.any():
        out.append((hide, hidden()))
    return out


def display_labels(table: Mapping[str, tuple[str, ...]], own: Mapping[str, object]) -> list[str]:
    """Every accepted spelling of a vocabulary, as written, plus a study's own labels."""
    return [*(a for aliases in table.values() for a in aliases), *(str(k) for k in own)]


# --- hints for the usual causes ----------------------------------------------------------------

def two_digit_year_hint(texts: Iterable[pd.Series]) -> str | None:
    """Dates such as 08-10-09: say so once instead of once per cell."""
    for text in texts:
        if text.astype(str).str.match(_TWO_DIGIT_YEAR).any():
            return message("hint_two_digit_year")
    return None


def separator_hint(sep: str, rows: list[list[str]], width: int) -> str | None:
    """Rows with more cells than the header in a ``,``-separated file, where every surplus cell
    can be explained by a decimal comma splitting a number in two (``12,5`` → ``12`` | ``5``)."""
    if sep != "," or not rows:
        return None
    _int = re.compile(r"^-?\d+$")
    _frac = re.compile(r"^\d+$")

    def split_numbers(cells: list[str]) -> int:
        return sum(1 for a, b in zip(cells, cells[1:], strict=False)
                   if _int.match(a.strip()) and _frac.match(b.strip()))

    explained = sum(1 for r in rows if 0 < len(r) - width <= split_numbers(r))
    if explained * 2 >= len(rows):
        return message("hint_separator")
    return None


def header_row_hint(frame: pd.DataFrame, lookup: Mapping[str, object],
                    rows: int = 10) -> str | None:
    """Required columns missing, but a later row looks like the header (a title above it)."""
    head = frame.head(rows)
    for i in range(len(head)):
        cells = [normalize_label(v) for v in head.iloc[i].tolist() if v is not None]
        if sum(1 for c in cells if c and lookup.get(c) is not None) >= 2:
            return message("hint_header_row", row=i + 2)
    return None


def sheet_hint(sheets: list[str]) -> str | None:
    """An XLSX whose first sheet lacks the columns: name the other sheets."""
    if len(sheets) > 1:
        names = ", ".join(f"'{s}'" if showable(s) else "(a sheet)" for s in sheets[1:])
        return message("hint_other_sheets", sheets=names)
    return None
