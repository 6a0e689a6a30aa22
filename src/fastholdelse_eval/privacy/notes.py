"""Disclosure control of the report's free-text notes.

Notes are written by the loaders and analyses for the analyst ("3 row(s) without municipality
set to 'unknown'", "2 person(s) measured at baseline but not at follow-up"); they are not rows
of the tidy table, so small-cell suppression never saw them. In a published report a count
from 1 to ``threshold − 1`` in a note is shown as ``<threshold``, like in the tables. Numbers
that are not counts of persons or rows are kept: decimals, weeks, percentages, years and
dates, row numbers in a list (``rows 4, 7``) and counts of municipalities.
"""

from __future__ import annotations

import re

# A whole number not part of a decimal, date, identifier or list of row numbers ...
_NUMBER = re.compile(r"(?<![\w.,/:–-])(\d+)(?![\w.,/:–%×-])")
# ... and what may follow a number that is not a count of persons or rows.
_NOT_A_COUNT = re.compile(r"\s*(?:weeks?|uger?|days?|dage?|months?|måneder|years?|år|"
                          r"municipalit|kommune|sites?|%|×|pp|percentage)", re.IGNORECASE)
_ROW_LIST = re.compile(r"rows?\s+[\d, ]*$|rækker?\s+[\d, ]*$", re.IGNORECASE)


def clear_note(note: str, threshold: int) -> str:
    """``note`` with each small count (1 to threshold − 1) written ``<threshold``."""
    def one(m: re.Match[str]) -> str:
        value = int(m[1])
        if not 0 < value < threshold:
            return m[0]
        if _NOT_A_COUNT.match(note, m.end()) or _ROW_LIST.search(note, 0, m.start()):
            return m[0]
        return f"<{threshold}"

    return _NUMBER.sub(one, note)


def clear_notes(notes: list[str], threshold: int) -> list[str]:
    """Every note through :func:`clear_note`."""
    return [clear_note(n, threshold) for n in notes]
