"""The SQL of :mod:`~fastholdelse_eval.data.register`: the portable rules (:data:`MARKS_SQL`,
:data:`CORE_SQL`) and the DuckDB-specific reading of a panel into coded person-weeks.

DuckDB is imported only when a connection is opened (a heavy dependency that only the
``register`` command needs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fastholdelse_eval.core.cpr import contains_cpr
from fastholdelse_eval.core.errors import ConfigError, Problem, ValidationError, safe_name
from fastholdelse_eval.core.files import note_input
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.register_inputs import (
    _CODE_COLUMNS,
    _MAX_LISTED,
    _WEEK_COLUMNS,
    STATES,
    _find_column,
    iso_label,
    parse_week,
    wide_label_week,
)
from fastholdelse_eval.data.schema import normalize_label

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
    kind = text.split(":", 1)[0].strip() if ":" in text else type(exc).__name__
    return ValidationError(
        [Problem(None, None, message("panel_unreadable_at_line", line=int(m.group(1)), kind=kind)
                 if m else message("panel_unreadable", kind=kind))],
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
        raise ConfigError(message("reg_panel_not_found", path=str(path)))
    note_input(path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return f"read_parquet({_lit(str(path))})", str(path)
    if suffix in (".csv", ".txt", ".tsv"):
        # Every cell as text: codes and ids keep leading zeros; the sniffer finds , ; or tab.
        return f"read_csv({_lit(str(path))}, all_varchar = true, header = true)", str(path)
    raise ConfigError(message("reg_panel_suffix", file=path.name))


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
    cpr_headers = [Problem(None, message("column_at", position=i + 1),
                           message("header_looks_like_cpr"))
                   for i, c in enumerate(columns) if contains_cpr(c)]
    if cpr_headers:
        raise ValidationError(cpr_headers, source=source)
    types = {str(r[0]): str(r[1]).upper() for r in described}
    keys = {normalize_label(c): c for c in columns}
    pid = _find_column(columns, "person_id")
    grp = _find_column(columns, "group")
    week_col = next((keys[k] for k in _WEEK_COLUMNS if k in keys), None)
    code_col = next((keys[k] for k in _CODE_COLUMNS if k in keys), None)
    if pid is None:
        raise ValidationError([Problem(None, "person_id",
                                       message("missing_column", column="person_id"))],
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
        raise ConfigError(message("reg_group_column_and_file", source=source))
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
            [Problem(None, pid, message("panel_rows_without_id", n=n_null))],
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
        raise ValidationError([Problem(None, None, message("panel_empty_rows"))],
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
        raise ValidationError([Problem(None, week_col, _bad_labels_message(bad))],
                              source=source)
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


# A week label is a cell's text: it is shown only when it can be nothing but a mistyped week
# or date (digits, separators and the words W, uge, week, wk; short, no long run of digits) —
# never a name or an id.
_WEEK_LIKE = re.compile(r"(?i)(?=.{1,12}\Z)(?:[0-9\-./ ]|uge|week|wk|w)+")
_LONG_DIGITS = re.compile(r"[0-9]{7}")


def _bad_labels_message(bad: dict[str, int]) -> str:
    """The problem of the long panel's unreadable week labels (label → rows)."""
    rows = sum(bad.values())
    showable = sorted(b for b in bad if b == "(empty)" or (
        _WEEK_LIKE.fullmatch(b) and not _LONG_DIGITS.search(b)))
    if not showable:
        return message("panel_bad_week_labels_hidden", n=rows, kinds=len(bad))
    shown = ", ".join(f"'{safe_name(b)}'" for b in showable[:_MAX_LISTED])
    more = len(bad) - min(len(showable), _MAX_LISTED)
    if more:
        return message("panel_bad_week_labels_more", n=rows, labels=shown, more=more)
    return message("panel_bad_week_labels", n=rows, labels=shown)


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
            dup.append(f"'{safe_name(c)}' = '{safe_name(weeks[wk])}'")  # no English 'and'
        weeks[wk] = c
    problems = []
    if bad:
        problems.append(Problem(None, None, message(
            "panel_bad_week_columns", columns=", ".join(f"'{safe_name(b)}'" for b in bad))))
    if dup:
        problems.append(Problem(None, None, message("panel_same_week_columns",
                                                    pairs=", ".join(dup))))
    if not weeks and not bad:
        problems.append(Problem(None, None, message("panel_no_week_columns")))
    if weeks and not problems:
        first, last = min(weeks), max(weeks)
        missing = [w for w in range(first, last + 1) if w not in weeks]
        if missing:
            shown = ", ".join(iso_label(w) for w in missing[:_MAX_LISTED])
            problems.append(Problem(None, None, message("panel_weeks_skipped", n=len(missing),
                                                        weeks=shown)))
    if problems:
        raise ValidationError(problems, source=source)
    info = PanelInfo("wide", source, min(weeks), max(weeks), grp is not None, ignored)
    n_rows, n_ids = con.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT {_q(pid)}) FROM {src}").fetchone()
    if n_rows == 0:
        raise ValidationError([Problem(None, None, message("panel_empty_persons"))],
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
        raise ValidationError([Problem(None, pid, message("panel_wide_ids_repeat", n=n_dup))],
                              source=source)
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


def _connect(memory_limit: str | None, temp_directory: str | os.PathLike | None, progress: bool):
    import duckdb

    config: dict[str, object] = {"preserve_insertion_order": False}
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:  # pragma: no cover
        raise ConfigError(message("reg_duckdb_failed", error=str(exc))) from None
    if memory_limit is not None:
        try:
            con.execute(f"SET memory_limit = {_lit(str(memory_limit))}")
        except duckdb.Error:
            con.close()
            raise ConfigError(message("reg_memory_limit", value=repr(memory_limit))) from None
    if temp_directory is not None:
        Path(temp_directory).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {_lit(str(temp_directory))}")
    if progress:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = true")
    return con
