"""Errors the user can cause. The CLI turns these into a short message and a non-zero exit.

Messages never contain a personal value (CPR number, name, id): problems point to a row and a
column, which is enough to find the cell in the user's own file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastholdelse_eval.core.cpr import redact

_CODE_LIKE = re.compile(r"[A-Z0-9]{1,4}")


def is_code_like(value: str) -> bool:
    """May this value appear in a message? Only short codes of capitals and digits (``890``,
    ``A7``, ``XYZ``): never a name (lower-case letters, spaces), a CPR number or a date."""
    return bool(_CODE_LIKE.fullmatch(value))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """``text`` fit for a terminal or a log: control characters (ANSI escape sequences, carriage
    returns, bidirectional overrides) shown as ``\\xNN`` escapes instead of acting. Tabs and
    line breaks are kept."""
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), str(text))


def safe_name(name: object, limit: int = 80) -> str:
    """A user-written name (header, municipality, label) fit for a message: CPR-like numbers
    redacted, control characters escaped, line breaks shown as spaces, cut at ``limit``."""
    text = printable(redact(str(name))).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FastholdelseError(ValueError):
    """Base class for every error caused by input or options (not by a bug).

    A ``ValueError`` so that callers who catch the standard "bad value" error (and code written
    before this package had its own errors) keep working; the CLI catches this class and prints
    the message, never a traceback."""


@dataclass(frozen=True, order=True)
class Problem:
    """One validation finding: spreadsheet row (header = row 1, ``None`` for file-level), column."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            # A header is the user's text: it may itself be a CPR number, or carry terminal
            # control characters.
            where.append(f"column '{safe_name(self.column)}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


SHOWN_ROWS = 5

# How a problem's place is written; core/messages_da.toml has the Danish words ([frame]).
WHERE_EN = {"row": "row {row}", "rows": "rows {rows}",
            "rows_more": "rows {rows} and {more} more ({total} rows)",
            "column": "column '{column}'"}


def grouped_lines(problems: list[Problem], words: dict[str, str] | None = None) -> list[str]:
    """One line per rule and column: the same message in many rows is said once, with its
    first rows and a count ("rows 3, 5, 9, 12, 14 and 13 more (18 rows), column 'x': …").
    ``words``: how places are written (:data:`WHERE_EN` by default)."""
    w = {**WHERE_EN, **(words or {})}

    def place(rows: list[int], column: str | None) -> str:
        shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS])
        more = len(rows) - SHOWN_ROWS
        where = [w["row"].format(row=rows[0]) if len(rows) == 1
                 else w["rows_more"].format(rows=shown, more=more, total=len(rows)) if more > 0
                 else w["rows"].format(rows=shown)] if rows else []
        if column:
            where.append(w["column"].format(column=safe_name(column)))
        return ", ".join(where)

    groups: dict[tuple[str | None, str], list[int]] = {}
    lines: list[Problem | tuple[str | None, str]] = []
    for p in problems:
        if p.row is None:
            lines.append(p)
            continue
        key = (p.column, p.message)
        if key not in groups:
            groups[key] = []
            lines.append(key)
        groups[key].append(p.row)
    out = []
    for item in lines:
        if isinstance(item, Problem):
            where = place([], item.column)
            out.append(f"{where}: {item.message}" if where else item.message)
            continue
        column, message = item
        out.append(f"{place(groups[item], column)}: {message}")
    return out


class ValidationError(FastholdelseError):
    """Input failed validation; ``problems`` lists every finding at once."""

    # The catalogue's [frame] line that heads the problems in another language.
    frame = "problems"

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = sorted(problems, key=lambda p: (p.row or 0, p.column or "", p.message))
        self.source = source
        head = f"{source}: " if source else ""
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found; nothing was loaded."]
        lines += [f"  - {line}" for line in grouped_lines(self.problems)]
        super().__init__("\n".join(lines))


class FilesValidationError(ValidationError):
    """Several input files failed validation (e.g. the intervention and the control file);
    each keeps its own file name and row numbers. ``problems`` holds them all, ``errors`` one
    :class:`ValidationError` per file."""

    def __init__(self, errors: list[ValidationError]):
        self.errors = list(errors)
        self.problems = [p for e in self.errors for p in e.problems]
        self.source = ", ".join(e.source or "?" for e in self.errors)
        FastholdelseError.__init__(self, "\n".join(str(e) for e in self.errors))


class ConfigError(FastholdelseError):
    """A study config or command-line option is wrong."""


class EstimationError(FastholdelseError):
    """An estimator could not produce a result from these data (no convergence, no root)."""
