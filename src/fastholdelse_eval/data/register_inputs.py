"""Inputs of :mod:`~fastholdelse_eval.data.register`: ISO weeks, the code→state mapping and the
groups table (read and checked in pandas; they are small).

No message here ever contains a person id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.core.cpr import contains_cpr, cpr_mask
from fastholdelse_eval.core.errors import ConfigError, Problem, ValidationError, safe_name
from fastholdelse_eval.data.io import cells_as_text, read_table
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.schema import COLUMN_LOOKUP, GROUP_LOOKUP, normalize_label

STATES = (
    "sick", "sick_partial", "self_support", "unemployed", "other_benefit", "pension", "censor",
)
SICK_STATES = ("sick", "sick_partial")
_STATE_ALIASES = {normalize_label(s): s for s in STATES}

# Week numbers: Monday-based weeks counted from 0001-01-01 (a Monday, proleptic Gregorian), so the
# week after week k is k + 1 across ISO year boundaries (52- and 53-week years alike).
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_WIDE_LABEL = re.compile(r"^y_(\d{2})(\d{2})$", re.IGNORECASE)
_ISO_WEEK = re.compile(r"^(\d{4})-?[wW](\d{1,2})$")
_YEAR_WEEK = re.compile(r"^(\d{4})(\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DK_DATE = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")

_WEEK_COLUMNS = {"week", "uge"}
_CODE_COLUMNS = {"code", "kode"}
_MAX_LISTED = 20


# --- weeks ----------------------------------------------------------------------------------

def week_number(monday: date) -> int:
    """Week number of the week starting on ``monday`` (consecutive across years)."""
    return (monday.toordinal() - 1) // 7


def week_monday(wk: int) -> date:
    """Monday of week number ``wk``."""
    return date.fromordinal(int(wk) * 7 + 1)


def _iso_monday(year: int, week: int) -> date:
    return date.fromisocalendar(year, week, 1)  # ValueError for week 0, 54, or 53 in short years


def wide_label_week(label: str) -> int:
    """Week number of a DREAM column label ``y_YYWW`` (ValueError if malformed)."""
    m = _WIDE_LABEL.match(label.strip())
    if not m:
        raise ValueError(label)
    yy, ww = int(m.group(1)), int(m.group(2))
    year = 1900 + yy if yy >= 91 else 2000 + yy
    return week_number(_iso_monday(year, ww))


def parse_week(label: object) -> int:
    """Week number of a long-panel label: ISO week, ``YYYYWW`` or a date in the week."""
    s = str(label).strip()
    if m := _ISO_WEEK.match(s):
        return week_number(_iso_monday(int(m.group(1)), int(m.group(2))))
    if m := _YEAR_WEEK.match(s):
        return week_number(_iso_monday(int(m.group(1)), int(m.group(2))))
    if m := _ISO_DATE.match(s):
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif m := _DK_DATE.match(s):
        d = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    else:
        raise ValueError(s)
    return week_number(d - timedelta(days=d.weekday()))


def iso_label(wk: int) -> str:
    """``YYYY-Www`` label of a week number (for messages)."""
    y, w, _ = week_monday(wk).isocalendar()
    return f"{y}-W{w:02d}"


def parse_intake(intake: object, name: str = "intake") -> tuple[int | None, int | None]:
    """``"2009W01..2009W26"`` (either end may be empty) or a (from, to) pair → week numbers.
    Errors name the option ``name`` (the command line checks ``--intake`` with it)."""
    if intake is None:
        return None, None
    if isinstance(intake, str):
        if ".." not in intake:
            raise ConfigError(message("reg_intake_text", value=repr(intake)))
        parts: tuple[object, object] = tuple(intake.split("..", 1))  # type: ignore[assignment]
    else:
        try:
            parts = tuple(intake)  # type: ignore[assignment]
        except TypeError:
            raise ConfigError(message("reg_intake_form")) from None
        if len(parts) != 2:
            raise ConfigError(message("reg_intake_form"))
    out: list[int | None] = []
    for p in parts:
        if p is None or (isinstance(p, str) and not p.strip()):
            out.append(None)
            continue
        try:
            out.append(parse_week(p.isoformat() if isinstance(p, date) else p))
        except ValueError:
            raise ConfigError(message("reg_intake_week", name=name,
                                      value=repr(p))) from None
    lo, hi = out
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(message("reg_intake_order", name=name, start=iso_label(lo),
                                  end=iso_label(hi)))
    return lo, hi


# --- mapping and groups ---------------------------------------------------------------------

def _read_text_table(source: object, what: str) -> tuple[pd.DataFrame, str]:
    """A small table (mapping/groups) as text cells (NA when empty), from a path or DataFrame."""
    if isinstance(source, pd.DataFrame):
        frame, name = source, what
    else:
        path = Path(str(source))
        if not path.exists():
            raise ConfigError(message("reg_file_not_found", what=what, path=path))
        frame, name = read_table(path).frame, str(path)
    def as_text(col: pd.Series) -> pd.Series:
        if pd.api.types.is_string_dtype(col) and not pd.api.types.is_object_dtype(col):
            return col.astype("string").str.strip()  # already text: vectorised
        return cells_as_text(col).astype("string")

    text = pd.DataFrame({str(c): as_text(frame[c]) for c in frame.columns})
    _refuse_cpr(text, name)
    return text.replace("", pd.NA), name


def _refuse_cpr(text: pd.DataFrame, source: str) -> None:
    """No CPR number in a header or in any column but the person id (ids are checked, with a
    count, on the cohort): other columns are carried into the cohort as covariates."""
    problems = []
    for pos, header in enumerate(text.columns):
        if contains_cpr(header):
            problems.append(Problem(None, message("column_at", position=pos + 1),
                                    message("header_looks_like_cpr")))
            continue
        if COLUMN_LOOKUP.get(normalize_label(header)) == "person_id":
            continue
        cells = text[header].fillna("").astype(str)
        for i in np.flatnonzero(cpr_mask(cells).to_numpy(dtype=bool)):
            problems.append(Problem(int(i) + 2, header, message("cell_cpr_not_carried")))
    if problems:
        raise ValidationError(_capped(problems), source=source)


def _find_column(columns: list[str], canonical: str, extra: set[str] = frozenset()) -> str | None:
    for c in columns:
        key = normalize_label(c)
        if COLUMN_LOOKUP.get(key) == canonical or key in extra:
            return c
    return None


def _blank(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) \
        or str(v).strip() == ""


def read_mapping(mapping: object) -> pd.DataFrame:
    """The code → state mapping as a DataFrame ``code, state`` (text).

    ``mapping`` is a path (CSV/XLSX/Parquet with columns ``code,state``; Danish ``kode,tilstand``
    accepted; other columns such as a label or a source are ignored), a DataFrame, or a dict.
    """
    if isinstance(mapping, Mapping):
        frame = pd.DataFrame({"code": [str(k) for k in mapping],
                              "state": [str(v) for v in mapping.values()]})
        source = "mapping"
    else:
        frame, source = _read_text_table(mapping, "mapping")
    cols = list(frame.columns)
    code_col = next((c for c in cols if normalize_label(c) in _CODE_COLUMNS), None)
    state_col = next((c for c in cols if normalize_label(c) in {"state", "tilstand"}), None)
    problems = []
    if code_col is None:
        problems.append(Problem(None, "code", message("missing_column", column="code")))
    if state_col is None:
        problems.append(Problem(None, "state", message("missing_column", column="state")))
    if problems:
        raise ValidationError(problems, source=source)
    seen: dict[str, tuple[int, str]] = {}
    codes, states = [], []
    for i, (code, state) in enumerate(zip(frame[code_col], frame[state_col], strict=True)):
        row = i + 2
        if _blank(code) and _blank(state):
            continue
        if _blank(code):
            problems.append(Problem(row, code_col, message("mapping_empty_code")))
            continue
        code_s = str(code).strip()
        key = _STATE_ALIASES.get(normalize_label(state)) if not _blank(state) else None
        if key is None:
            problems.append(Problem(row, state_col,
                                    message("mapping_bad_state", states=", ".join(STATES))))
            continue
        if code_s in seen:
            first_row, first_state = seen[code_s]
            # A code is the mapping's own vocabulary, not a person's value; still made safe.
            problems.append(Problem(row, code_col, message(
                "mapping_code_repeats" if first_state == key else "mapping_code_conflicts",
                code=safe_name(code_s), row=first_row)))
            continue
        seen[code_s] = (row, key)
        codes.append(code_s)
        states.append(key)
    if not codes and not problems:
        problems.append(Problem(None, None, message("mapping_no_codes")))
    if problems:
        raise ValidationError(problems, source=source)
    return pd.DataFrame({"code": codes, "state": states})


def _capped(problems: list[Problem], limit: int = 100) -> list[Problem]:
    """At most ``limit`` problems, plus one saying how many more there were."""
    if len(problems) <= limit:
        return problems
    rest = len(problems) - limit
    return problems[:limit] + [Problem(None, None, message("more_problems", n=rest))]


def _normalize_groups(values: pd.Series) -> pd.Series:
    """Group spellings → ``intervention``/``control``; NA for blank or unknown (vectorised over
    the distinct values)."""
    uniq = pd.unique(values.dropna())
    lookup = {v: GROUP_LOOKUP.get(normalize_label(v)) for v in uniq if not _blank(v)}
    return values.map(lookup).astype("string")


def read_groups(groups: object) -> pd.DataFrame:
    """Groups table ``person_id, group`` (+ any other columns, kept as covariates).

    Group values use the Danish spellings of :data:`~fastholdelse_eval.data.schema.GROUP_VALUES`.
    A row with an empty group means "no group" (the person is left out and counted). Unknown
    groups, empty or repeated ids are errors listing the row numbers.
    """
    frame, source = _read_text_table(groups, "groups")
    cols = list(frame.columns)
    pid = _find_column(cols, "person_id")
    grp = _find_column(cols, "group")
    problems = []
    if pid is None:
        problems.append(Problem(None, "person_id", message("missing_column", column="person_id")))
    if grp is None:
        problems.append(Problem(None, "group", message("missing_column", column="group")))
    if problems:
        raise ValidationError(problems, source=source)
    ids = frame[pid].astype("string").str.strip().replace("", pd.NA).reset_index(drop=True)
    raw = frame[grp].astype("string").str.strip().replace("", pd.NA).reset_index(drop=True)
    norm = _normalize_groups(raw)
    rows = pd.Series(np.arange(2, len(frame) + 2))
    for r in rows[ids.isna()]:
        problems.append(Problem(int(r), pid, message("empty_person_id")))
    dup = ids.notna() & ids.duplicated(keep="first")
    if dup.any():
        first = rows[ids.notna() & ~ids.duplicated(keep="first")]
        first_row = pd.Series(first.to_numpy(), index=ids[first.index].to_numpy())
        for r, person in zip(rows[dup], ids[dup], strict=True):
            problems.append(Problem(int(r), pid,
                                    message("groups_id_repeats_row", row=int(first_row[person]))))
    for r in rows[norm.isna() & raw.notna()]:
        problems.append(Problem(int(r), grp, message("groups_unknown_group")))
    if problems:
        raise ValidationError(_capped(problems), source=source)
    out = frame.drop(columns=[pid, grp]).reset_index(drop=True)
    out.insert(0, "group", norm)
    out.insert(0, "person_id", ids)
    return out


