"""Study cohorts from DREAM-style weekly register panels, computed in embedded DuckDB.

A *panel* has one benefit code per person per week, either wide (``person_id, y_YYWW, …`` — the
DREAM layout) or long (``person_id, week, code``), as CSV or Parquet. A *mapping* (``code,state``)
turns codes into states; a *groups* table (``person_id, group``) assigns study arms. The result is
the canonical cohort table of DESIGN.md, one row per person with an index spell.

States: ``sick``, ``sick_partial``, ``self_support``, ``unemployed``, ``other_benefit``,
``pension``, ``censor``.

**An empty cell (wide) or a missing person-week (long) means "no public benefit" in that week.**
In DREAM that is self-support (the person is working or otherwise supports themselves), so such a
week has state ``self_support``, exactly as if it held a code mapped to ``self_support``; an index
spell followed by an empty week ends with ``end_reason = rtw``, ``end_detail = self_support``. A
blank code, or a long-panel row without a code, is an empty week too. Codes are text and compared
after trimming surrounding blanks; integral float codes (``890.0``, as pandas stores integer
columns with gaps) are read as ``890``.

Rules (issue 6; the numbering is used in the tests):

1. A week is *sick* if its state is ``sick`` or ``sick_partial``. The **index spell** is the
   person's first maximal run of sick weeks that starts inside the intake window and not in the
   panel's first week (a run already going in the first week has an unknown start and is skipped).
   Persons with no index spell are not in the cohort.
2. ``start_date`` = Monday of the run's first week. ``weeks_on_benefit`` = the run's length in
   weeks.
3. The week right after the run decides the end: ``self_support`` or ``unemployed`` →
   ``end_reason = rtw`` (``end_detail`` keeps which); ``other_benefit`` or ``pension`` →
   ``other_benefit``; ``censor`` → censored; no week after (panel ends) → censored. ``end_date`` =
   Monday of that week; empty when censored.
4. ``followup_date`` = Monday of the first ``censor`` week after the run if there is one, else the
   Monday after the panel's last week.
5. ``partial_rtw_date`` = Monday of the first ``sick_partial`` week inside the run.
6. ``relapse_date`` (only after ``rtw``) = Monday of the first sick week after the end and before
   follow-up.

``end_detail`` is the state of the deciding week (``self_support``, ``unemployed``,
``other_benefit``, ``pension``, ``censor``) or ``panel_end``. ``weeks_on_benefit`` is kept as an
extra column for checking; it always equals the canonical duration derived from the dates
(``end_date`` or, when censored, ``followup_date`` minus ``start_date``, in weeks). It is an
outcome, never a covariate.

Weeks are ISO 8601 weeks (Monday–Sunday). The panel's weeks run from its first to its last week:
in a wide panel the ``y_YYWW`` columns must cover every week in between (a gap is an error); in a
long panel the period is the first to the last week that has any row, and weeks a person has no
row for are weeks without benefit. Wide labels have a two-digit ISO year: ``91``–``99`` →
1991–1999 (DREAM starts in 1991), ``00``–``90`` → 2000–2090. Long labels: ``2009-W05``,
``2009W05``, ``200905`` (year and week), or any date in the week (``2009-01-28``, Danish
``28-01-2009``/``28.01.2009``). Columns of a wide panel that neither are weeks (``y_…``) nor
``person_id``/``group`` are ignored, and the notes say which.

Engine: DuckDB, embedded. Reading, the wide→long ``UNPIVOT`` and the code→state join are the
DuckDB-specific part (:func:`_panel_relation`); the rules are portable SQL in two steps, window
functions and joins only: :data:`MARKS_SQL` makes one ordered pass (``LAG``/``LEAD`` per person)
over the coded person-weeks ``coded(person_id, wk, sid)`` (states as small integers,
:data:`STATE_IDS`) and keeps only the weeks the rules need (first and last weeks of sick runs,
partial and censor weeks); :data:`CORE_SQL` applies rules 1–6 to that small table. Weeks are
integers (``wk``, consecutive across ISO years), turned into Monday dates at the end.
``memory_limit`` and ``temp_directory`` let DuckDB spill to disk when a panel does not fit in
memory; a CSV panel is parsed once into a DuckDB table, Parquet is scanned in place.

No error or log message ever contains a person id: problems are reported as counts, codes,
column names, week labels and row numbers of the mapping and groups files.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from fastholdelse_eval.core.errors import ConfigError, Problem, ValidationError, is_code_like
from fastholdelse_eval.data.schema import COLUMN_LOOKUP, GROUP_LOOKUP, normalize_label

log = logging.getLogger(__name__)

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


def parse_intake(intake: object) -> tuple[int | None, int | None]:
    """``"2009W01..2009W26"`` (either end may be empty) or a (from, to) pair → week numbers."""
    if intake is None:
        return None, None
    if isinstance(intake, str):
        if ".." not in intake:
            raise ConfigError(f"--intake must look like FROM..TO (ISO weeks), got {intake!r}")
        parts: tuple[object, object] = tuple(intake.split("..", 1))  # type: ignore[assignment]
    else:
        try:
            parts = tuple(intake)  # type: ignore[assignment]
        except TypeError:
            raise ConfigError("intake must be 'FROM..TO' or a (from, to) pair") from None
        if len(parts) != 2:
            raise ConfigError("intake must be 'FROM..TO' or a (from, to) pair")
    out: list[int | None] = []
    for p in parts:
        if p is None or (isinstance(p, str) and not p.strip()):
            out.append(None)
            continue
        try:
            out.append(parse_week(p.isoformat() if isinstance(p, date) else p))
        except ValueError:
            raise ConfigError(
                f"intake: {p!r} is not an ISO week (2009-W05, 2009W05, 200905) or a date"
            ) from None
    lo, hi = out
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"intake: {iso_label(lo)} is after {iso_label(hi)}")
    return lo, hi


# --- mapping and groups ---------------------------------------------------------------------

def _read_text_table(source: object, what: str) -> tuple[pd.DataFrame, str]:
    """A small table (mapping/groups) as text cells (NA when empty), from a path or DataFrame."""
    from fastholdelse_eval.data.io import cells_as_text, read_table

    if isinstance(source, pd.DataFrame):
        frame, name = source, what
    else:
        path = Path(str(source))
        if not path.exists():
            raise ConfigError(f"{what} file not found: {path}")
        frame, name = read_table(path).frame, str(path)
    def as_text(col: pd.Series) -> pd.Series:
        if pd.api.types.is_string_dtype(col) and not pd.api.types.is_object_dtype(col):
            return col.astype("string").str.strip()  # already text: vectorised
        return cells_as_text(col).astype("string")

    text = pd.DataFrame({str(c): as_text(frame[c]) for c in frame.columns})
    return text.replace("", pd.NA), name


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
        problems.append(Problem(None, "code", "missing column 'code'"))
    if state_col is None:
        problems.append(Problem(None, "state", "missing column 'state'"))
    if problems:
        raise ValidationError(problems, source=source)
    seen: dict[str, tuple[int, str]] = {}
    codes, states = [], []
    for i, (code, state) in enumerate(zip(frame[code_col], frame[state_col], strict=True)):
        row = i + 2
        if _blank(code) and _blank(state):
            continue
        if _blank(code):
            problems.append(Problem(row, code_col, "empty code"))
            continue
        code_s = str(code).strip()
        key = _STATE_ALIASES.get(normalize_label(state)) if not _blank(state) else None
        if key is None:
            problems.append(Problem(row, state_col, f"state must be one of {', '.join(STATES)}"))
            continue
        if code_s in seen:
            first_row, first_state = seen[code_s]
            what = "repeats" if first_state == key else "conflicts with"
            problems.append(Problem(row, code_col, f"code '{code_s}' {what} row {first_row}"))
            continue
        seen[code_s] = (row, key)
        codes.append(code_s)
        states.append(key)
    if not codes and not problems:
        problems.append(Problem(None, None, "the mapping has no codes"))
    if problems:
        raise ValidationError(problems, source=source)
    return pd.DataFrame({"code": codes, "state": states})


def _capped(problems: list[Problem], limit: int = 100) -> list[Problem]:
    """At most ``limit`` problems, plus one saying how many more there were."""
    if len(problems) <= limit:
        return problems
    rest = len(problems) - limit
    return problems[:limit] + [Problem(None, None, f"... and {rest} more problems")]


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
        problems.append(Problem(None, "person_id", "missing column 'person_id'"))
    if grp is None:
        problems.append(Problem(None, "group", "missing column 'group'"))
    if problems:
        raise ValidationError(problems, source=source)
    ids = frame[pid].astype("string").str.strip().replace("", pd.NA).reset_index(drop=True)
    raw = frame[grp].astype("string").str.strip().replace("", pd.NA).reset_index(drop=True)
    norm = _normalize_groups(raw)
    rows = pd.Series(np.arange(2, len(frame) + 2))
    for r in rows[ids.isna()]:
        problems.append(Problem(int(r), pid, "empty person_id"))
    dup = ids.notna() & ids.duplicated(keep="first")
    if dup.any():
        first = rows[ids.notna() & ~ids.duplicated(keep="first")]
        first_row = pd.Series(first.to_numpy(), index=ids[first.index].to_numpy())
        for r, person in zip(rows[dup], ids[dup], strict=True):
            problems.append(Problem(int(r), pid, f"person_id repeats row {first_row[person]}"))
    for r in rows[norm.isna() & raw.notna()]:
        problems.append(Problem(int(r), grp, "unknown group (use intervention/deltager or "
                                             "control/kontrol)"))
    if problems:
        raise ValidationError(_capped(problems), source=source)
    out = frame.drop(columns=[pid, grp]).reset_index(drop=True)
    out.insert(0, "group", norm)
    out.insert(0, "person_id", ids)
    return out


# --- the portable core query ----------------------------------------------------------------

# States travel through the queries as small integers (cheaper to sort and compare than text);
# the SQL names them through the {placeholders} filled in by :func:`_states_sql`.
STATE_IDS = {state: i for i, state in enumerate(STATES, start=1)}

# Step 1: one ordered pass over the coded person-weeks ``coded(person_id, wk, sid)`` (``sid``
# NULL = a code the mapping lacks). Each week learns its neighbours (LAG/LEAD) and only the weeks
# the rules need are kept: first and last weeks of sick runs (with the state of the week right
# after), partial weeks, censor weeks, unmapped weeks, and weeks a person has twice (an error).
# An empty cell / missing person-week has no row: it is a gap, i.e. a non-sick week.
MARKS_SQL = """
WITH nb AS (
    SELECT person_id, wk, sid,
           LAG(wk) OVER (PARTITION BY person_id ORDER BY wk) AS prev_wk,
           LAG(sid) OVER (PARTITION BY person_id ORDER BY wk) AS prev_sid,
           LEAD(wk) OVER (PARTITION BY person_id ORDER BY wk) AS next_wk,
           LEAD(sid) OVER (PARTITION BY person_id ORDER BY wk) AS next_sid
    FROM coded
),
flagged AS (
    SELECT person_id, wk, sid,
           CASE WHEN sid IN ({sick}, {sick_partial})
                 AND NOT (COALESCE(prev_wk, -1) = wk - 1
                          AND COALESCE(prev_sid, 0) IN ({sick}, {sick_partial}))
                THEN 1 ELSE 0 END AS is_start,
           CASE WHEN sid IN ({sick}, {sick_partial})
                 AND NOT (COALESCE(next_wk, -1) = wk + 1
                          AND COALESCE(next_sid, 0) IN ({sick}, {sick_partial}))
                THEN 1 ELSE 0 END AS is_end,
           CASE WHEN next_wk = wk + 1 THEN next_sid END AS after_sid,
           CASE WHEN next_wk = wk THEN 1 ELSE 0 END AS is_dup
    FROM nb
)
SELECT person_id, wk, sid, is_start, is_end, after_sid, is_dup
FROM flagged
WHERE is_start = 1 OR is_end = 1 OR sid IN ({sick_partial}, {censor}) OR sid IS NULL
   OR is_dup = 1
"""

# Step 2: the rules over the (small) marks table. The first sick week after a spell's end is
# always the start of a run, so relapses are looked up among run starts.
CORE_SQL = """
WITH starts AS (
    SELECT person_id, wk FROM marks WHERE is_start = 1
),
ends AS (
    SELECT person_id, wk, after_sid FROM marks WHERE is_end = 1
),
first_start AS (
    SELECT person_id, MIN(wk) AS run_start
    FROM starts
    WHERE wk > {first_wk} AND wk >= {intake_from} AND wk <= {intake_to}
    GROUP BY person_id
),
idx AS (
    SELECT f.person_id, f.run_start, MIN(e.wk) AS run_end
    FROM first_start f JOIN ends e ON e.person_id = f.person_id AND e.wk >= f.run_start
    GROUP BY f.person_id, f.run_start
),
partial AS (
    SELECT i.person_id, MIN(m.wk) AS partial_wk
    FROM idx i JOIN marks m ON m.person_id = i.person_id
         AND m.wk >= i.run_start AND m.wk <= i.run_end
    WHERE m.sid = {sick_partial}
    GROUP BY i.person_id
),
first_censor AS (
    SELECT i.person_id, MIN(m.wk) AS censor_wk
    FROM idx i JOIN marks m ON m.person_id = i.person_id AND m.wk > i.run_end
    WHERE m.sid = {censor}
    GROUP BY i.person_id
),
ended AS (
    SELECT i.person_id, i.run_start, i.run_end, p.partial_wk,
           CASE WHEN i.run_end >= {last_wk} THEN 'panel_end'
                WHEN e.after_sid IS NULL THEN 'self_support'
                WHEN e.after_sid = {self_support} THEN 'self_support'
                WHEN e.after_sid = {unemployed} THEN 'unemployed'
                WHEN e.after_sid = {other_benefit} THEN 'other_benefit'
                WHEN e.after_sid = {pension} THEN 'pension'
                ELSE 'censor' END AS end_detail,
           COALESCE(c.censor_wk, {last_wk} + 1) AS followup_wk
    FROM idx i
    JOIN ends e ON e.person_id = i.person_id AND e.wk = i.run_end
    LEFT JOIN partial p ON p.person_id = i.person_id
    LEFT JOIN first_censor c ON c.person_id = i.person_id
),
relapse AS (
    SELECT e.person_id, MIN(s.wk) AS relapse_wk
    FROM ended e JOIN starts s ON s.person_id = e.person_id
         AND s.wk > e.run_end + 1 AND s.wk < e.followup_wk
    WHERE e.end_detail IN ('self_support', 'unemployed')
    GROUP BY e.person_id
)
SELECT e.person_id,
       e.run_start AS start_wk,
       CASE WHEN e.end_detail IN ('censor', 'panel_end') THEN NULL
            ELSE e.run_end + 1 END AS end_wk,
       CASE WHEN e.end_detail IN ('self_support', 'unemployed') THEN 'rtw'
            WHEN e.end_detail IN ('other_benefit', 'pension') THEN 'other_benefit'
            ELSE 'censored' END AS end_reason,
       e.end_detail,
       e.partial_wk,
       r.relapse_wk,
       e.followup_wk,
       e.run_end - e.run_start + 1 AS weeks_on_benefit
FROM ended e LEFT JOIN relapse r ON r.person_id = e.person_id
"""


def marks_sql() -> str:
    """Step 1 (portable SQL) over ``coded(person_id, wk, sid)``."""
    return MARKS_SQL.format(**STATE_IDS)


def core_sql(first_wk: int, last_wk: int, intake_from: int | None, intake_to: int | None) -> str:
    """The rules (step 2) as one portable SQL query over the ``marks`` table of step 1."""
    lo = first_wk if intake_from is None else intake_from
    hi = last_wk if intake_to is None else intake_to
    return CORE_SQL.format(first_wk=int(first_wk), last_wk=int(last_wk),
                           intake_from=int(lo), intake_to=int(hi), **STATE_IDS)


# --- DuckDB-specific reading ----------------------------------------------------------------

def _q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


@dataclass
class PanelInfo:
    """What was learnt about the panel while reading it (no personal values)."""

    layout: str  # "wide" or "long"
    source: str
    first_wk: int
    last_wk: int
    has_group_column: bool
    ignored_columns: list[str] = field(default_factory=list)
    week_column: str | None = None  # long panels: the week column as named in the file

    @property
    def n_weeks(self) -> int:
        return self.last_wk - self.first_wk + 1


def _duck_error(exc: Exception, source: str) -> ValidationError:
    """A DuckDB read error without echoing file contents (CSV errors quote the offending line)."""
    text = str(exc)
    m = re.search(r"[Ll]ine:? (\d+)", text)
    where = f" near line {m.group(1)}" if m else ""
    kind = text.split(":", 1)[0].strip() if ":" in text else type(exc).__name__
    return ValidationError(
        [Problem(None, None, f"could not read the panel{where} ({kind}); "
                             "is it a valid CSV or Parquet file?")],
        source=source,
    )


def _register(con, name: str, frame: pd.DataFrame) -> None:
    """Expose a DataFrame to DuckDB through Arrow (older DuckDB releases do not know pandas 3's
    string dtype)."""
    import pyarrow as pa

    con.register(name, pa.Table.from_pandas(frame, preserve_index=False))


def _source_sql(panel: object, con) -> tuple[str, str]:
    """SQL table expression for the panel and a printable name for messages."""
    if isinstance(panel, pd.DataFrame):
        _register(con, "panel_df", panel)
        return "panel_df", "panel"
    path = Path(str(panel))
    if not path.exists():
        raise ConfigError(f"panel file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return f"read_parquet({_lit(str(path))})", str(path)
    if suffix in (".csv", ".txt", ".tsv"):
        # Every cell as text: codes and ids keep leading zeros; the sniffer finds , ; or tab.
        return f"read_csv({_lit(str(path))}, all_varchar = true, header = true)", str(path)
    raise ConfigError(f"panel must be a .csv or .parquet file, got '{path.name}'")


def _panel_relation(con, panel: object, mapping: pd.DataFrame, groups_given: bool):
    """Create view ``coded(person_id, wk, sid)`` (+ table ``panel_groups`` when the
    panel has a group column) inside DuckDB and run the input checks. The DuckDB-specific SQL
    (readers, UNPIVOT) lives here and in the two layout helpers."""
    src, source = _source_sql(panel, con)
    try:
        if src.startswith("read_csv("):
            # Parse a CSV once; the checks and the rules then read the table (which spills to
            # temp_directory under memory_limit). Parquet is scanned in place.
            con.execute(f"CREATE TEMP TABLE panel_csv AS SELECT * FROM {src}")
            src = "panel_csv"
        described = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
    except Exception as exc:  # duckdb.Error and friends
        raise _duck_error(exc, source) from None
    columns = [str(r[0]) for r in described]
    types = {str(r[0]): str(r[1]).upper() for r in described}
    keys = {normalize_label(c): c for c in columns}
    pid = _find_column(columns, "person_id")
    grp = _find_column(columns, "group")
    week_col = next((keys[k] for k in _WEEK_COLUMNS if k in keys), None)
    code_col = next((keys[k] for k in _CODE_COLUMNS if k in keys), None)
    if pid is None:
        raise ValidationError([Problem(None, "person_id", "missing column 'person_id'")],
                              source=source)
    con.execute("CREATE TEMP TABLE mapping (code VARCHAR, sid TINYINT)")
    con.executemany("INSERT INTO mapping VALUES (?, ?)",
                    [(c, STATE_IDS[st]) for c, st in zip(mapping["code"], mapping["state"],
                                                          strict=True)])

    if week_col is not None and code_col is not None:
        info, raw = _long_raw(con, src, source, columns, types, pid, grp, week_col, code_col)
    else:
        info, raw = _wide_raw(con, src, source, columns, types, pid, grp)

    if info.has_group_column and groups_given:
        raise ConfigError(f"{source} has a 'group' column and a groups file was given too; "
                          "use one of them")
    # Codes → state ids; a code the mapping lacks gets NULL (listed by _unknown_codes).
    con.execute(f"CREATE TEMP VIEW raw_codes AS {raw}")
    # Surrounding blanks (padded fixed-width exports) are ignored: a code that does not match
    # as it is is matched again trimmed, which costs far less than trimming every cell; a blank
    # cell is an empty one.
    # A blank code (or an explicit row without one in a long panel) is an empty week: state
    # self_support, kept as a row so that a week given twice is still seen as a duplicate.
    con.execute(f"""
        CREATE TEMP VIEW coded AS
        SELECT r.person_id, r.wk,
               CASE WHEN m.code IS NOT NULL THEN m.sid
                    WHEN r.code IS NULL OR TRIM(r.code) = '' THEN {STATE_IDS["self_support"]}
                    ELSE t.sid END AS sid
        FROM raw_codes r
        LEFT JOIN mapping m ON r.code = m.code
        LEFT JOIN mapping t ON t.code = CASE WHEN m.code IS NULL THEN TRIM(r.code) END
    """)
    return info


def _unknown_codes(con) -> list[str]:
    """The panel's codes that the mapping lacks (an extra pass, run only when there are some)."""
    return [r[0] for r in con.execute("""
        SELECT DISTINCT TRIM(code) FROM raw_codes
        WHERE TRIM(code) <> '' AND TRIM(code) NOT IN (SELECT code FROM mapping) ORDER BY 1
    """).fetchall()]


def _check_ids(con, source: str, relation: str, pid: str) -> None:
    n_null = con.execute(f"SELECT COUNT(*) FROM {relation} WHERE person_id IS NULL").fetchone()[0]
    if n_null:
        raise ValidationError(
            [Problem(None, pid, f"{n_null} row{'s' if n_null != 1 else ''} without a person_id")],
            source=source)


def _code_text(column: str, sql_type: str) -> str:
    """A code column as text. Codes are text; integer codes read as floats (a pandas column with
    gaps is float64) become ``890``, not ``890.0``."""
    if sql_type in ("FLOAT", "DOUBLE", "REAL") or sql_type.startswith("DECIMAL"):
        c = _q(column)
        return (f"CASE WHEN {c} = FLOOR({c}) THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({c} AS VARCHAR) END")
    return f"CAST({_q(column)} AS VARCHAR)"


def _long_raw(con, src, source, columns, types, pid, grp, week_col, code_col):
    gsel = f", NULLIF(TRIM(CAST({_q(grp)} AS VARCHAR)), '') AS grp" if grp else ""
    con.execute(f"""
        CREATE TEMP VIEW long_src AS
        SELECT NULLIF(TRIM(CAST({_q(pid)} AS VARCHAR)), '') AS person_id,
               TRIM(CAST({_q(week_col)} AS VARCHAR)) AS week_label,
               {_code_text(code_col, types[code_col])} AS code{gsel}
        FROM {src}
    """)
    try:
        labels = con.execute(
            "SELECT week_label, COUNT(*) FROM long_src GROUP BY week_label").fetchall()
    except Exception as exc:
        raise _duck_error(exc, source) from None
    if not labels:
        raise ValidationError([Problem(None, None, "the panel is empty (no rows)")],
                              source=source)
    good: list[tuple[str, int]] = []
    bad: dict[str, int] = {}
    for label, n in labels:
        try:
            if label is None or label == "":
                raise ValueError
            good.append((label, parse_week(label)))
        except ValueError:
            bad["(empty)" if label in (None, "") else label] = n
    if bad:
        shown = ", ".join(f"'{b}'" for b in sorted(bad)[:_MAX_LISTED])
        more = f" and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
        rows = sum(bad.values())
        raise ValidationError([Problem(
            None, week_col,
            f"{rows} row{'s' if rows != 1 else ''} with a week label that is not an ISO week "
            f"(2009-W05, 2009W05, 200905) or a date: {shown}{more}")], source=source)
    con.execute("CREATE TEMP TABLE week_labels (week_label VARCHAR, wk INTEGER)")
    con.executemany("INSERT INTO week_labels VALUES (?, ?)", good)
    wks = [w for _, w in good]
    info = PanelInfo("long", source, min(wks), max(wks), grp is not None, week_column=week_col)
    con.execute("""
        CREATE TEMP VIEW long_rows AS
        SELECT s.*, w.wk FROM long_src s JOIN week_labels w ON s.week_label = w.week_label
    """)
    _check_ids(con, source, "long_src", pid)
    if grp:
        con.execute("""
            CREATE TEMP TABLE panel_groups AS
            SELECT person_id, MIN(grp) AS grp_min, MAX(grp) AS grp_max
            FROM long_src GROUP BY person_id
        """)
    return info, "SELECT person_id, wk, code FROM long_rows"


def _wide_raw(con, src, source, columns, types, pid, grp):
    weeks: dict[int, str] = {}
    bad, dup, ignored = [], [], []
    for c in columns:
        if c in (pid, grp):
            continue
        if not c.strip().lower().startswith("y_"):
            ignored.append(c)
            continue
        try:
            wk = wide_label_week(c)
        except ValueError:
            bad.append(c)
            continue
        if wk in weeks:
            dup.append(f"'{c}' and '{weeks[wk]}'")
        weeks[wk] = c
    problems = []
    if bad:
        problems.append(Problem(None, None, "week columns must be named y_YYWW with a valid ISO "
                                            "week: " + ", ".join(f"'{b}'" for b in bad)))
    if dup:
        problems.append(Problem(None, None, "columns name the same week: " + ", ".join(dup)))
    if not weeks and not bad:
        problems.append(Problem(None, None, "no week columns: expected a long panel (person_id, "
                                            "week, code) or a wide one (person_id, y_YYWW, ...)"))
    if weeks and not problems:
        first, last = min(weeks), max(weeks)
        missing = [w for w in range(first, last + 1) if w not in weeks]
        if missing:
            shown = ", ".join(iso_label(w) for w in missing[:_MAX_LISTED])
            problems.append(Problem(None, None, f"week columns skip {len(missing)} week"
                                                f"{'s' if len(missing) != 1 else ''}: {shown}"))
    if problems:
        raise ValidationError(problems, source=source)
    info = PanelInfo("wide", source, min(weeks), max(weeks), grp is not None, ignored)
    n_rows, n_ids = con.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT {_q(pid)}) FROM {src}").fetchone()
    if n_rows == 0:
        raise ValidationError([Problem(None, None, "the panel is empty (no persons)")],
                              source=source)
    # Columns are renamed to their week number so UNPIVOT's name column is the week itself.
    cols = ", ".join(f"{_code_text(c, types[c])} AS {_q(str(wk))}"
                     for wk, c in sorted(weeks.items()))
    gsel = f", NULLIF(TRIM(CAST({_q(grp)} AS VARCHAR)), '') AS grp" if grp else ""
    con.execute(f"""
        CREATE TEMP VIEW wide_src AS
        SELECT NULLIF(TRIM(CAST({_q(pid)} AS VARCHAR)), '') AS person_id{gsel}, {cols}
        FROM {src}
    """)
    _check_ids(con, source, "wide_src", pid)
    if n_ids != n_rows:
        n_dup = n_rows - n_ids
        raise ValidationError([Problem(
            None, pid, f"{n_dup} row{'s' if n_dup != 1 else ''} repeat a person_id "
                       "(one row per person in a wide panel)")], source=source)
    if grp:
        con.execute("""
            CREATE TEMP TABLE panel_groups AS
            SELECT person_id, grp AS grp_min, grp AS grp_max FROM wide_src
        """)
    on = ", ".join(_q(str(wk)) for wk in sorted(weeks))
    # UNPIVOT drops empty (NULL) cells: an empty week is "no public benefit" = self-support.
    raw = f"""
        SELECT person_id, CAST(wk AS INTEGER) AS wk, code
        FROM (UNPIVOT (SELECT person_id, {on} FROM wide_src) ON {on}
              INTO NAME wk VALUE code) u
    """
    return info, raw


# --- the pipeline ---------------------------------------------------------------------------

@dataclass
class RegisterResult:
    """The derived cohort table and what happened on the way (counts only, no ids)."""

    frame: pd.DataFrame
    notes: list[str]
    info: PanelInfo
    seconds: float


class _Stages:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        log.info(message)
        if self.enabled:
            print(f"[register {time.perf_counter() - self.t0:7.1f}s] {message}", file=sys.stderr,
                  flush=True)


def _connect(memory_limit: str | None, temp_directory: str | os.PathLike | None, progress: bool):
    import duckdb

    config: dict[str, object] = {"preserve_insertion_order": False}
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:  # pragma: no cover
        raise ConfigError(f"could not start DuckDB: {exc}") from None
    if memory_limit is not None:
        try:
            con.execute(f"SET memory_limit = {_lit(str(memory_limit))}")
        except duckdb.Error:
            con.close()
            raise ConfigError(
                f"memory limit {memory_limit!r} is not a size like 2GB or 500MB") from None
    if temp_directory is not None:
        Path(temp_directory).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {_lit(str(temp_directory))}")
    if progress:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = true")
    return con


def _monday_series(wk: pd.Series) -> pd.Series:
    """Week numbers → Monday dates (datetime64, NaT for missing), vectorised."""
    days = wk.astype("Float64") * 7 + 1 - _EPOCH_ORDINAL
    return pd.to_datetime(days.astype("float64"), unit="D").astype("datetime64[ns]")


def register_frame(
    panel: object,
    *,
    mapping: object,
    groups: object = None,
    intake: object = None,
    memory_limit: str | None = None,
    temp_directory: str | os.PathLike | None = None,
    progress: bool = False,
) -> RegisterResult:
    """Derive the canonical cohort table from a weekly panel (see the module docstring).

    Parameters
    ----------
    panel : path to a wide or long CSV/Parquet panel, or a pandas DataFrame in either layout.
    mapping : path, DataFrame (``code, state``) or dict code → state.
    groups : path or DataFrame (``person_id, group`` + optional columns such as
        ``municipality`` or covariates, carried over); ``None`` if the (long) panel has a
        ``group`` column.
    intake : ``"2009W01..2009W26"`` or a (from, to) pair of week labels/dates; ``None`` = whole
        panel.
    memory_limit, temp_directory : DuckDB memory cap (``"2GB"``) and spill directory.
    progress : print stage messages to stderr (and let DuckDB show its progress bar for long
        queries).
    """
    stage = _Stages(progress)
    t0 = time.perf_counter()
    lo, hi = parse_intake(intake)
    mapping_df = read_mapping(mapping)
    groups_df = read_groups(groups) if groups is not None else None
    notes: list[str] = []
    con = _connect(memory_limit, temp_directory, progress)
    try:
        stage("reading panel")
        info = _panel_relation(con, panel, mapping_df, groups_df is not None)
        if groups_df is None and not info.has_group_column:
            raise ConfigError("no groups: give a groups file (person_id, group) or a long panel "
                              "with a 'group' column")
        if info.ignored_columns:
            notes.append(f"ignored {len(info.ignored_columns)} column(s) that are not weeks: "
                         + ", ".join(info.ignored_columns[:_MAX_LISTED]))
        if (hi is not None and hi < info.first_wk) or (lo is not None and lo > info.last_wk):
            shown = (f"{'' if lo is None else iso_label(lo)}.."
                     f"{'' if hi is None else iso_label(hi)}")
            raise ConfigError(f"intake {shown} lies outside the panel "
                              f"({iso_label(info.first_wk)}..{iso_label(info.last_wk)})")
        stage(f"{info.layout} panel, {info.n_weeks} weeks "
              f"{iso_label(info.first_wk)}..{iso_label(info.last_wk)}; mapping codes to states")
        # One pass over the panel: read, unpivot, map, window; only the marked weeks are kept
        # (they spill to temp_directory if they do not fit under memory_limit).
        con.execute(f"CREATE TEMP TABLE marks AS {marks_sql()}")
        # Duplicate person-weeks (two rows, or two dates in one week), counted — never listed.
        n_dup = con.execute("SELECT COUNT(*) FROM (SELECT DISTINCT person_id, wk FROM marks "
                            "WHERE is_dup = 1) d").fetchone()[0]
        if n_dup:
            raise ValidationError([Problem(
                None, info.week_column,
                f"{n_dup} person-week{'s' if n_dup != 1 else ''} appear more than once "
                "(a person may have one code per week)")], source=info.source)
        has_unknown = con.execute("SELECT COUNT(*) FROM marks WHERE sid IS NULL").fetchone()[0]
        if has_unknown:
            unknown = _unknown_codes(con)
            # Codes are not personal, but a mis-mapped column could hold names or CPR numbers:
            # only values that look like benefit codes are shown.
            listable = [c for c in unknown if is_code_like(c)]
            shown = ", ".join(f"'{c}'" for c in listable[:50])
            hidden = len(unknown) - min(len(listable), 50)
            more = (f"{' and ' if shown else ''}{hidden} more (not shown: only short codes are "
                    "listed)") if hidden else ""
            raise ValidationError([Problem(
                None, "code", f"{len(unknown)} code{'s' if len(unknown) != 1 else ''} in the "
                              f"panel {'are' if len(unknown) != 1 else 'is'} not in the mapping: "
                              f"{shown}{more}")], source=info.source)
        stage("deriving index spells")
        con.execute("CREATE TEMP TABLE spells AS "
                    + core_sql(info.first_wk, info.last_wk, lo, hi))
        stage("attaching groups")
        spells, group_notes = _attach_groups(con, groups_df, info)
        notes += group_notes
    finally:
        con.close()

    frame = _finish(spells)
    cpr = frame["person_id"].str.fullmatch(r"\d{6}-?\d{4}").fillna(False)
    if cpr.any():
        raise ValidationError([Problem(
            None, "person_id", f"{int(cpr.sum())} person ids in the cohort look like CPR "
                               "numbers; replace them with pseudonyms first (fastholdelse-eval "
                               "pseudonymize)")], source=info.source)
    if frame.empty:
        raise ValidationError([Problem(None, None, "no person with a group has an index spell "
                                                   "(check the mapping and the intake window)")],
                              source=info.source)
    window = (f"{iso_label(lo if lo is not None else info.first_wk)}.."
              f"{iso_label(hi if hi is not None else info.last_wk)}")
    notes.insert(0, f"register: {len(frame)} persons with an index spell starting in {window} "
                    f"from a {info.layout} panel of {info.n_weeks} weeks "
                    f"({iso_label(info.first_wk)}..{iso_label(info.last_wk)})")
    for n in notes:
        log.info(n)
    seconds = time.perf_counter() - t0
    stage(f"done in {seconds:.1f}s")
    return RegisterResult(frame=frame, notes=notes, info=info, seconds=seconds)


def _attach_groups(con, groups_df: pd.DataFrame | None, info: PanelInfo):
    """Inner-join the spells to their groups inside DuckDB; count (never list) the persons
    left out."""
    notes: list[str] = []
    persons_sql = ("SELECT person_id FROM wide_src" if info.layout == "wide"
                   else "SELECT DISTINCT person_id FROM long_src")
    if groups_df is None:
        pg = con.execute("SELECT person_id, grp_min, grp_max FROM panel_groups").df()
        conflict = pg["grp_min"].notna() & (pg["grp_min"] != pg["grp_max"])
        if conflict.any():
            n = int(conflict.sum())
            raise ValidationError([Problem(None, "group", f"{n} person{'s' if n != 1 else ''} "
                                                          "have more than one group")],
                                  source=info.source)
        raw = pg["grp_min"].astype("string")
        norm = _normalize_groups(raw)
        bad = sorted(set(raw[norm.isna() & raw.notna()].tolist()))
        if bad:
            # Values are not echoed: a mis-named column could hold names.
            raise ValidationError([Problem(
                None, "group", f"{len(bad)} unknown group value{'s' if len(bad) != 1 else ''}; "
                               "expected intervention/deltager or control/kontrol")],
                source=info.source)
        groups_df = pd.DataFrame({"person_id": pg["person_id"].astype("string"),
                                  "group": norm.astype("string")})
    _register(con, "groups_df", groups_df)
    n_panel, n_without, n_not_in_panel, n_spell_without = con.execute(f"""
        WITH persons AS ({persons_sql}),
             grouped AS (SELECT person_id FROM groups_df WHERE "group" IS NOT NULL)
        SELECT (SELECT COUNT(*) FROM persons),
               (SELECT COUNT(*) FROM persons p
                WHERE p.person_id NOT IN (SELECT person_id FROM grouped)),
               (SELECT COUNT(*) FROM groups_df g
                WHERE g.person_id NOT IN (SELECT person_id FROM persons)),
               (SELECT COUNT(*) FROM spells s
                WHERE s.person_id NOT IN (SELECT person_id FROM grouped))
    """).fetchone()
    extra = [c for c in groups_df.columns if c not in ("person_id", "group")]
    extra_sql = "".join(f", g.{_q(c)}" for c in extra)
    merged = con.execute(f"""
        SELECT s.*, g."group"{extra_sql}
        FROM spells s JOIN groups_df g ON g.person_id = s.person_id
        WHERE g."group" IS NOT NULL
    """).df()
    if n_without:
        notes.append(f"{n_without} of {n_panel} persons in the panel have no group and were left "
                     f"out ({n_spell_without} of them had an index spell)")
    if n_not_in_panel:
        notes.append(f"{n_not_in_panel} persons in the groups file do not appear in the panel")
    return merged, notes


_OUT_DATES = {"start_wk": "start_date", "end_wk": "end_date", "partial_wk": "partial_rtw_date",
              "relapse_wk": "relapse_date", "followup_wk": "followup_date"}


def _finish(spells: pd.DataFrame) -> pd.DataFrame:
    """Week numbers → Monday dates, canonical column order, sorted by id for determinism."""
    out = pd.DataFrame({"person_id": spells["person_id"].astype("string"),
                        "group": spells["group"].astype("string")})
    extra = [c for c in spells.columns
             if c not in set(_OUT_DATES) | {"person_id", "group", "end_reason", "end_detail",
                                             "weeks_on_benefit"}]
    if "municipality" in extra:
        out["municipality"] = spells["municipality"]
        extra.remove("municipality")
    for wk_col, date_col in _OUT_DATES.items():
        if date_col == "followup_date":
            continue
        out[date_col] = _monday_series(spells[wk_col])
        if date_col == "end_date":
            out["end_reason"] = spells["end_reason"].astype("string")
            out["end_detail"] = spells["end_detail"].astype("string")
    out["followup_date"] = _monday_series(spells["followup_wk"])
    out["weeks_on_benefit"] = spells["weeks_on_benefit"].astype("int64")
    for c in extra:
        out[c] = spells[c]
    return out.sort_values("person_id", kind="stable").reset_index(drop=True)


def cohort_from_register(
    panel: object,
    *,
    mapping: object,
    groups: object = None,
    intake: object = None,
    memory_limit: str | None = None,
    temp_directory: str | os.PathLike | None = None,
    progress: bool = False,
):
    """Derive a validated :class:`~fastholdelse_eval.data.cohort.Cohort` from a weekly panel.

    Same arguments as :func:`register_frame`; the rules are in the module docstring. The notes
    (counts of persons left out, ignored columns) are kept in ``cohort.notes``.
    """
    from fastholdelse_eval.data.cohort import Cohort, SourceFile

    result = register_frame(panel, mapping=mapping, groups=groups, intake=intake,
                            memory_limit=memory_limit, temp_directory=temp_directory,
                            progress=progress)
    cohort = Cohort.from_frame(result.frame)
    cohort.notes = list(result.notes) + list(cohort.notes)
    for src in (panel, mapping, groups):
        if isinstance(src, str | os.PathLike) and Path(src).is_file():
            cohort.sources.append(SourceFile.of(src))
    return cohort


def check_output_path(out: str | os.PathLike) -> Path:
    """The output path, if it ends in .csv or .parquet (ConfigError otherwise)."""
    path = Path(out)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ConfigError(f"--out must end in .csv or .parquet, got '{path.name}'")
    if path.is_dir():
        raise ConfigError(f"--out is a folder: {path}")
    return path


def write_cohort_frame(frame: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Write the cohort table to ``out`` (.csv or .parquet) atomically: a temporary file in the
    same directory, renamed into place, so a failed run never leaves a half-written file.
    Dates are written as ISO ``YYYY-MM-DD``, empty when missing."""
    path = check_output_path(out)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, date_format="%Y-%m-%d")
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
