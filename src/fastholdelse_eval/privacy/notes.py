"""Disclosure control of the report's free-text notes.

Notes are written by the loaders and analyses for the analyst ("3 rows without municipality
set to 'unknown'", "2 persons with a missing covariate left out"); they are not rows
of the tidy table, so small-cell suppression never saw them. In a published report a count
from 1 to ``threshold − 1`` in a note is shown as ``<threshold``, like in the tables. Numbers
that are not counts of persons or rows are kept: decimals, weeks, percentages, years and
dates, row numbers in a list (``rows 4, 7``) and counts of municipalities.

A note built by key (``data.localize.message``) stays keyed, so the report can still write it
in its own language: the value a small count came from is masked and the message rebuilt. The
English text is what masking the plain text gives, but for the words that agree with a masked
count ("1 row" becomes "<5 rows", not "<5 row"); where a rebuilt message would still show a
small count in any language (a count in the template's own words), the masked plain text is
used.
"""

from __future__ import annotations

import re
from typing import Any

from fastholdelse_eval.data.localize import LANGUAGES, Message, message, pieces, translate

# A whole number not part of a decimal, date, identifier or list of row numbers ...
_NUMBER = re.compile(r"(?<![\w.,/:–-])(\d+)(?![\w.,/:–%×-])")
# ... and what may follow a number that is not a count of persons or rows.
_NOT_A_COUNT = re.compile(r"\s*(?:weeks?|uger?|days?|dage?|months?|måneder|years?|år|"
                          r"municipalit|kommune|sites?|%|×|pp|percentage)", re.IGNORECASE)
_ROW_LIST = re.compile(r"rows?\s+[\d, ]*$|rækker?\s+[\d, ]*$", re.IGNORECASE)


def _small_counts(text: str, threshold: int) -> list[re.Match[str]]:
    """The numbers in ``text`` that are small counts (1 to threshold − 1)."""
    return [m for m in _NUMBER.finditer(text) if 0 < int(m[1]) < threshold
            and not _NOT_A_COUNT.match(text, m.end())
            and not _ROW_LIST.search(text, 0, m.start())]


def _masked_text(text: str, threshold: int, starts: list[int] | None = None) -> str:
    """``text`` with the small counts (or the numbers starting at ``starts``) masked."""
    if starts is None:
        starts = [m.start() for m in _small_counts(text, threshold)]
    return _NUMBER.sub(lambda m: f"<{threshold}" if m.start() in starts else m[0], text)


def clear_note(note: str, threshold: int) -> str:
    """``note`` with each small count (1 to threshold − 1) written ``<threshold``; a keyed
    note stays keyed (its values masked)."""
    text = _masked_text(note, threshold)
    if text == note or not isinstance(note, Message):
        return note if text == note else text
    rebuilt = _masked_message(note, threshold)
    if rebuilt is None:
        return text
    if rebuilt == text:
        return rebuilt
    # A masked count may change the words around it ("1 row" → "<5 rows", which masking the
    # plain text cannot do), so the rebuilt message differs from the masked plain text. It is
    # used only if, in every language, it holds no small count and masking finds nothing left.
    for lang in LANGUAGES:
        words = translate(rebuilt, lang)
        if _small_counts(words, threshold) or _masked_text(words, threshold) != words:
            return text
    return rebuilt


def _masked_message(msg: Message, threshold: int) -> Message | None:
    """``msg`` rebuilt with the values that hold a small count masked; None when a count is in
    the template's own words (or a value cannot be rebuilt)."""
    try:
        parts = pieces(msg)
    except (KeyError, ValueError, TypeError):
        return None
    text = "".join(part for _, part in parts)
    starts = [m.start() for m in _small_counts(text, threshold)]
    values = dict(msg.values)
    at = 0
    for name, part in parts:
        hits = [s - at for s in starts if at <= s < at + len(part)]
        at += len(part)
        if not hits:
            continue
        if name is None:
            return None
        new = _masked_value(msg.values[name], part, hits, threshold)
        if new is None:
            return None
        values[name] = new
    try:
        return message(msg.key, **values)
    except (KeyError, ValueError, TypeError):
        return None


def _masked_value(value: Any, text: str, starts: list[int], threshold: int) -> Any:
    # A nested message is masked in its own words; a plain value is replaced by its text with
    # the counts found in the whole note masked (the caller checks the whole note against the
    # masked plain text).
    if isinstance(value, Message):
        return _masked_message(value, threshold)
    if isinstance(value, tuple):
        parts = tuple(_masked_message(v, threshold) if isinstance(v, Message) else v
                      for v in value)
        return None if None in parts else parts
    return _masked_text(text, threshold, starts)


def clear_notes(notes: list[str], threshold: int) -> list[str]:
    """Every note through :func:`clear_note`."""
    return [clear_note(n, threshold) for n in notes]
