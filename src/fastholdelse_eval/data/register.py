"""Study cohorts from DREAM-style weekly register panels, computed in embedded DuckDB.

A *panel* has one benefit code per person per week, either wide (``person_id, y_YYWW, …`` — the
DREAM layout) or long (``person_id, week, code``), as CSV or Parquet. A *mapping* (``code,state``)
turns codes into states; a *groups* table (``person_id, group``) assigns study arms. The result is
the canonical cohort table of docs/input.md, one row per person with an index spell.

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
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fastholdelse_eval.core.cpr import cpr_mask
from fastholdelse_eval.core.errors import ConfigError, Problem, ValidationError, is_code_like
from fastholdelse_eval.core.files import atomic_write, format_for, neutralise_formulas
from fastholdelse_eval.data.cohort import Cohort, SourceFile
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.register_inputs import (
    _EPOCH_ORDINAL,
    _MAX_LISTED,
    SICK_STATES,
    STATES,
    _normalize_groups,
    iso_label,
    parse_intake,
    parse_week,
    read_groups,
    read_mapping,
    week_monday,
    week_number,
    wide_label_week,
)
from fastholdelse_eval.data.register_sql import (
    CORE_SQL,
    MARKS_SQL,
    STATE_IDS,
    PanelInfo,
    _connect,
    _panel_relation,
    _q,
    _register,
    _unknown_codes,
    core_sql,
    marks_sql,
)

# The names tests, notebooks and scripts import from here (the module was split in three).
__all__ = [
    "CORE_SQL", "MARKS_SQL", "SICK_STATES", "STATES", "STATE_IDS", "PanelInfo", "RegisterResult",
    "check_output_path", "cohort_from_register", "core_sql", "iso_label", "marks_sql",
    "parse_intake", "parse_week", "read_groups", "read_mapping", "register_frame", "week_monday",
    "week_number", "wide_label_week", "write_cohort_frame",
]

log = logging.getLogger(__name__)


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
            raise ConfigError(message("reg_no_groups"))
        if info.ignored_columns:
            notes.append(message("note_register_ignored_columns", n=len(info.ignored_columns),
                                 columns=", ".join(info.ignored_columns[:_MAX_LISTED])))
        if (hi is not None and hi < info.first_wk) or (lo is not None and lo > info.last_wk):
            shown = (f"{'' if lo is None else iso_label(lo)}.."
                     f"{'' if hi is None else iso_label(hi)}")
            raise ConfigError(message("reg_intake_outside_panel", intake=shown,
                                      first=iso_label(info.first_wk),
                                      last=iso_label(info.last_wk)))
        stage(f"{info.layout} panel, {info.n_weeks} weeks "
              f"{iso_label(info.first_wk)}..{iso_label(info.last_wk)}; mapping codes to states")
        # One pass over the panel: read, unpivot, map, window; only the marked weeks are kept
        # (they spill to temp_directory if they do not fit under memory_limit).
        con.execute(f"CREATE TEMP TABLE marks AS {marks_sql()}")
        # Duplicate person-weeks (two rows, or two dates in one week), counted — never listed.
        n_dup = con.execute("SELECT COUNT(*) FROM (SELECT DISTINCT person_id, wk FROM marks "
                            "WHERE is_dup = 1) d").fetchone()[0]
        if n_dup:
            raise ValidationError([Problem(None, info.week_column,
                                           message("panel_weeks_twice", n=n_dup))],
                                  source=info.source)
        has_unknown = con.execute("SELECT COUNT(*) FROM marks WHERE sid IS NULL").fetchone()[0]
        if has_unknown:
            unknown = _unknown_codes(con)
            # Codes are not personal, but a mis-mapped column could hold names or CPR numbers:
            # only values that look like benefit codes are shown.
            listable = [c for c in unknown if is_code_like(c)]
            shown = ", ".join(f"'{c}'" for c in listable[:50])
            hidden = len(unknown) - min(len(listable), 50)
            raise ValidationError([Problem(None, "code", message(
                "panel_unmapped_codes" if not hidden else
                "panel_unmapped_codes_hidden" if shown else "panel_unmapped_codes_all_hidden",
                n=len(unknown), codes=shown, hidden=hidden))], source=info.source)
        stage("deriving index spells")
        con.execute("CREATE TEMP TABLE spells AS "
                    + core_sql(info.first_wk, info.last_wk, lo, hi))
        stage("attaching groups")
        spells, group_notes = _attach_groups(con, groups_df, info)
        notes += group_notes
    finally:
        con.close()

    frame = _finish(spells)
    cpr = cpr_mask(frame["person_id"].fillna(""))
    if cpr.any():
        raise ValidationError([Problem(None, "person_id",
                                       message("register_ids_cpr", n=int(cpr.sum())))],
                              source=info.source)
    if frame.empty:
        raise ValidationError([Problem(None, None, message("register_no_index_spell"))],
                              source=info.source)
    window = (f"{iso_label(lo if lo is not None else info.first_wk)}.."
              f"{iso_label(hi if hi is not None else info.last_wk)}")
    notes.insert(0, message("note_register_spells_wide" if info.layout == "wide"
                            else "note_register_spells_long", n=len(frame), window=window,
                            weeks=info.n_weeks,
                            span=f"{iso_label(info.first_wk)}..{iso_label(info.last_wk)}"))
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
            raise ValidationError([Problem(None, "group",
                                           message("panel_persons_two_groups", n=n))],
                                  source=info.source)
        raw = pg["grp_min"].astype("string")
        norm = _normalize_groups(raw)
        bad = sorted(set(raw[norm.isna() & raw.notna()].tolist()))
        if bad:
            # Values are not echoed: a mis-named column could hold names.
            raise ValidationError([Problem(
                None, "group", message("panel_unknown_group_values", n=len(bad)))],
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
        notes.append(message("note_register_no_group", n=n_without, total=n_panel,
                             spells=n_spell_without))
    if n_not_in_panel:
        notes.append(message("note_register_not_in_panel", n=n_not_in_panel))
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
        raise ConfigError(message("reg_out_suffix", file=path.name))
    if path.is_dir():
        raise ConfigError(message("reg_out_folder", path=str(path)))
    return path


def write_cohort_frame(frame: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Write the cohort table to ``out`` (.csv or .parquet) atomically: a temporary file in the
    same directory, renamed into place, so a failed run never leaves a half-written file.
    Dates are written as ISO ``YYYY-MM-DD``, empty when missing."""
    path = check_output_path(out)
    if format_for(path, allowed=("csv", "parquet"), option="--out") == "csv":
        safe = neutralise_formulas(frame)  # opened in Excel: no cell runs as a formula
        return atomic_write(path, lambda tmp: safe.to_csv(tmp, index=False,
                                                           date_format="%Y-%m-%d"))
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
