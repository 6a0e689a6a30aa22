"""Controls drawn from a register panel by risk-set (sequential) matching, in DuckDB.

Given participants (``person_id``, intake week) and a DREAM-style weekly panel of all sick-listed
citizens in the same municipalities (read as in :mod:`~fastholdelse_eval.data.register`), each
participant gets up to ``k`` controls who, **in the participant's intake week t**:

1. are on sickness benefit (``sick`` or ``sick_partial``) in week t, in a run of sick weeks whose
   start is known (it does not begin in the panel's first week);
2. have been so for as long: the run's duration at t (t is week ``d`` of the run) is within
   ``tolerance`` weeks of the participant's (0 = exact);
3. are not the participant, and are not participants with an intake at or before t. A person
   who becomes a participant *later* is eligible until then (standard sequential matching: at t
   they are untreated, and excluding them would condition on the future). By default
   (``later_participants="censor"``) such a control's follow-up ends at their own intake week
   (a spell still going then is censored, ``end_detail = later_participant``), so a control row
   never holds treated time; ``"keep"`` follows them on (the intention-to-treat contrast of
   "start now" against "not now");
4. optionally agree exactly on ``exact`` columns of the ``persons`` table (e.g.
   ``municipality``; a missing value never matches) and on register history: weeks on any
   public benefit (sick, partial, unemployed, other benefit, pension) in the ``history_weeks``
   (52) weeks before the run's first week, either in the same band (``history_bands``: lower
   edges, e.g. ``(0, 1, 13, 27)``) or within ``history_caliper`` weeks. With history matching a
   person whose window starts before the panel is neither matched nor eligible (counted).

The draw is seeded and reproducible: every eligible control has a random key
``md5("{seed}:{t}:{person_id}")`` (t the internal week number) and every participant a priority
``md5("{seed}:{person_id}")``. Without replacement (default) no person is a control twice in the
same week: in priority order each participant of the week takes its ``k`` controls with the
smallest keys among those not yet taken (the serial dictatorship, computed in SQL one priority
rank at a time, every week at once). Across weeks a person can be drawn again (a new risk set;
their rows are different person-time). ``replace=True`` draws for each participant
independently: its ``k`` eligible controls with the smallest pair keys
``md5("{seed}:{participant id}:{control id}")``.

The result is a cohort table (docs/input.md) that ``evaluate`` reads: one row per participant
and per drawn control, ``start_date`` = the Monday of the **index week** (the participant's
intake week — a control's follow-up starts at the matched week, never at its spell start: that
would count the weeks before t, in which the control had to stay sick to be eligible, as
outcome time of one group only — immortal time), end and follow-up by the register rules from
there. ``matched_set`` (1, 2, … in order of intake week and id) ties a participant to its
controls, so variances can cluster on it (``evaluate(..., weighting="sets")``). Extra columns:
``register_id`` (the panel id; ``person_id`` is unique per row: ``id`` for a participant,
``id@set`` for a control), ``spell_start_date``, ``weeks_sick_at_index``,
``benefit_weeks_prior`` (the history count) and the ``persons`` columns. No message contains a
person id.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fastholdelse_eval.core.cpr import cpr_mask
from fastholdelse_eval.core.errors import ConfigError, Problem, ValidationError, safe_name
from fastholdelse_eval.data.localize import Message, message
from fastholdelse_eval.data.register import _monday_series, _Stages
from fastholdelse_eval.data.register_inputs import (
    _MAX_LISTED,
    _find_column,
    _read_text_table,
    iso_label,
    parse_week,
    read_mapping,
)
from fastholdelse_eval.data.register_match_sql import (
    ATRISK_SQL,
    CANDIDATES_SQL,
    HISTORY_SQL,
    OUTCOME_SQL,
    PARTICIPANT_RUNS_SQL,
    PROPOSE_SQL,
    PRUNE_SQL,
    RUNS_SQL,
    TAKE_SQL,
    fill,
)
from fastholdelse_eval.data.register_sql import (
    _connect,
    _panel_relation,
    _q,
    _register,
    _unknown_codes,
    marks_sql,
)
from fastholdelse_eval.data.schema import normalize_label

DEFAULT_SEED = 20240515
_INTAKE_COLUMNS = {"intake", "intake_week", "intake_date", "index_week", "index_date",
                   "startuge", "start_uge", "indskrivning", "indskrivningsdato", "uge"}
LATER = ("censor", "keep")


@dataclass
class MatchResult:
    """The matched cohort table and what happened on the way (counts only, no ids)."""

    frame: pd.DataFrame
    notes: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    eligible: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    rounds: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class MatchSpec:
    """How controls are drawn (see the module docstring)."""

    k: int = 1
    seed: int = DEFAULT_SEED
    tolerance: int = 0
    exact: tuple[str, ...] = ()
    history_caliper: int | None = None
    history_bands: tuple[int, ...] | None = None
    history_weeks: int = 52
    replace: bool = False
    later_participants: str = "censor"

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.k, int) or self.k < 1:
            problems.append(message("match_spec_k"))
        if not isinstance(self.tolerance, int) or self.tolerance < 0:
            problems.append(message("match_spec_weeks", option="tolerance"))
        if not isinstance(self.seed, int) or self.seed < 0:
            problems.append(message("match_spec_seed"))
        if self.history_caliper is not None and self.history_bands is not None:
            problems.append(message("match_spec_caliper_and_bands", caliper="history_caliper",
                                    bands="history_bands"))
        if self.history_caliper is not None and (not isinstance(self.history_caliper, int)
                                                 or self.history_caliper < 0):
            problems.append(message("match_spec_weeks", option="history_caliper"))
        if self.history_bands is not None:
            b = list(self.history_bands)
            if not b or any(not isinstance(x, int) for x in b) or b != sorted(set(b)) or b[0] != 0:
                problems.append(message("match_spec_bands"))
        if not isinstance(self.history_weeks, int) or self.history_weeks < 1:
            problems.append(message("match_spec_history_weeks"))
        if self.later_participants not in LATER:
            problems.append(message("match_spec_later"))
        if problems:
            raise ConfigError(message("match_spec", problems=tuple(problems)))

    @property
    def uses_history(self) -> bool:
        return self.history_caliper is not None or self.history_bands is not None


def read_participants(participants: object) -> pd.DataFrame:
    """``person_id, t`` (internal week number) and the file's row number, from a path or a
    DataFrame with ``person_id`` and an intake week (``intake``: ISO week or a date in the week).
    Every problem at once, by row and column, never a value."""
    frame, source = _read_text_table(participants, "participants")
    cols = list(frame.columns)
    pid = _find_column(cols, "person_id")
    intake = next((c for c in cols if normalize_label(c) in _INTAKE_COLUMNS), None)
    problems = []
    if pid is None:
        problems.append(Problem(None, "person_id", message("missing_column", column="person_id")))
    if intake is None:
        problems.append(Problem(None, "intake", message("match_missing_intake")))
    if problems:
        raise ValidationError(problems, source=source)
    ids = frame[pid].astype("string").str.strip().reset_index(drop=True)
    raw = frame[intake].astype("string").str.strip().reset_index(drop=True)
    weeks = {}
    for label in pd.unique(raw.dropna()):  # distinct labels only, not persons
        try:
            weeks[label] = parse_week(label)
        except ValueError:
            weeks[label] = None
    wk = raw.map(weeks)
    rows = np.arange(2, len(frame) + 2)
    for r in rows[ids.isna().to_numpy()]:
        problems.append(Problem(int(r), pid, message("empty_person_id")))
    for r in rows[raw.isna().to_numpy()]:
        problems.append(Problem(int(r), intake, message("match_empty_intake")))
    for r in rows[(raw.notna() & wk.isna()).to_numpy()]:
        problems.append(Problem(int(r), intake, message("match_bad_intake")))
    dup = (ids.notna() & ids.duplicated(keep="first")).to_numpy()
    for r in rows[dup]:
        problems.append(Problem(int(r), pid, message("match_participant_twice")))
    n_cpr = int(cpr_mask(ids.fillna("")).sum())
    if n_cpr:
        problems.append(Problem(None, pid, message("match_ids_cpr", n=n_cpr)))
    if problems:
        raise ValidationError(problems[:100], source=source)
    return pd.DataFrame({"row_no": rows.astype("int64"), "person_id": ids.astype(str),
                         "t": wk.astype("int64")}), source


def read_persons(persons: object, needed: Sequence[str]) -> pd.DataFrame:
    """The persons table (``person_id`` + attributes for exact matching and covariates)."""
    frame, source = _read_text_table(persons, "persons")
    cols = list(frame.columns)
    pid = _find_column(cols, "person_id")
    problems = []
    if pid is None:
        problems.append(Problem(None, "person_id", message("missing_column", column="person_id")))
    for c in needed:
        if c not in cols:
            problems.append(Problem(None, c, message("match_missing_exact_column",
                                                     column=safe_name(c))))
    if problems:
        raise ValidationError(problems, source=source)
    out = frame.rename(columns={pid: "person_id"})
    dup = out["person_id"].notna() & out["person_id"].duplicated(keep="first")
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy()) + 2
        raise ValidationError([Problem(int(r), pid, message("match_person_twice"))
                               for r in rows[:100]], source=source)
    reserved = {"group", "matched_set", "register_id", "start_date", "end_date", "end_reason",
                "end_detail", "partial_rtw_date", "relapse_date", "followup_date",
                "spell_start_date", "weeks_sick_at_index", "benefit_weeks_prior"}
    clash = [c for c in out.columns if c in reserved]
    if clash:
        raise ValidationError([Problem(None, c, message("match_reserved_column"))
                               for c in clash],
                              source=source)
    return out.dropna(subset=["person_id"]).reset_index(drop=True)


def _atrisk_sql(spec: MatchSpec) -> tuple[str, str, str, str]:
    """The at-risk query's extra columns, joins and WHERE, and the strata its cells are cut
    by (exact columns, history band)."""
    columns, joins, where, strata = [], [], [], []
    if spec.exact:
        joins.append("JOIN persons pc ON pc.person_id = r.person_id")
        for c in spec.exact:
            columns.append(f"pc.{_q(c)} AS {_q('x_' + c)}")
            where.append(f"AND pc.{_q(c)} IS NOT NULL")  # a missing value never matches
            strata.append(f"a.{_q('x_' + c)}")
    if spec.uses_history:
        joins.append("JOIN history hc ON hc.person_id = r.person_id "
                     "AND hc.run_start = r.run_start AND hc.history_complete = 1")
        columns += ["hc.history", "hc.band"]
        strata.append("a.band")
    return ("".join(", " + c for c in columns), "\n".join(joins),
            "\n".join(where), "".join(", " + s for s in strata))


def _conditions(spec: MatchSpec) -> str:
    """The candidates query's conditions beyond week and duration."""
    cond = [f"AND a.{_q('x_' + c)} = s.{_q('x_' + c)}" for c in spec.exact]
    if spec.history_caliper is not None:
        cond.append(f"AND ABS(a.history - s.history) <= {int(spec.history_caliper)}")
    elif spec.history_bands is not None:
        cond.append("AND a.band = s.band")
    return "\n  ".join(cond)


def _band_sql(bands: Sequence[int] | None, column: str) -> str:
    if not bands:
        return "0"
    cases = " ".join(f"WHEN {column} >= {int(b)} THEN {i}" for i, b in reversed(
        list(enumerate(bands))))
    return f"CASE {cases} END"


def match_controls(
    panel: object,
    participants: object,
    *,
    mapping: object,
    k: int = 1,
    seed: int = DEFAULT_SEED,
    tolerance: int = 0,
    exact: Sequence[str] = (),
    persons: object = None,
    history_caliper: int | None = None,
    history_bands: Sequence[int] | None = None,
    history_weeks: int = 52,
    replace: bool = False,
    later_participants: str = "censor",
    memory_limit: str | None = None,
    temp_directory: str | os.PathLike | None = None,
    progress: bool = False,
) -> MatchResult:
    """Draw ``k`` risk-set matched controls per participant from a weekly panel (see the module
    docstring) and return the matched cohort table.

    Parameters
    ----------
    panel, mapping : as :func:`~fastholdelse_eval.data.register.register_frame`.
    participants : path or DataFrame: ``person_id`` and ``intake`` (ISO week or a date in it).
    persons : path or DataFrame: ``person_id`` + attributes of every person in the panel
        (``municipality``, covariates); needed for ``exact``; its columns are carried over.
    """
    spec = MatchSpec(k=k, seed=seed, tolerance=tolerance, exact=tuple(exact),
                     history_caliper=history_caliper,
                     history_bands=None if history_bands is None else tuple(history_bands),
                     history_weeks=history_weeks, replace=replace,
                     later_participants=later_participants)
    stage = _Stages(progress)
    t0 = time.perf_counter()
    mapping_df = read_mapping(mapping)
    part, part_source = read_participants(participants)
    if spec.exact and persons is None:
        raise ConfigError(message("match_exact_needs_persons", columns=", ".join(spec.exact)))
    persons_df = read_persons(persons, spec.exact) if persons is not None else None
    con = _connect(memory_limit, temp_directory, progress)
    try:
        stage("reading panel")
        info = _panel_relation(con, panel, mapping_df, False)
        outside = part["t"].lt(info.first_wk) | part["t"].gt(info.last_wk)
        if outside.any():
            rows = part.loc[outside, "row_no"].tolist()
            shown = ", ".join(str(r) for r in rows[:_MAX_LISTED])
            raise ValidationError([Problem(None, "intake", message(
                "match_intake_outside_panel", n=len(rows), first=iso_label(info.first_wk),
                last=iso_label(info.last_wk),
                rows=shown + (" …" if len(rows) > _MAX_LISTED else "")))],
                source=part_source)
        stage(f"{info.layout} panel, {info.n_weeks} weeks; sickness runs")
        con.execute(f"CREATE TEMP TABLE marks AS {marks_sql()}")
        _check_marks(con, info)
        con.execute(fill(RUNS_SQL, first_wk=info.first_wk))
        con.execute(fill(HISTORY_SQL, first_wk=info.first_wk,
                         history_weeks=spec.history_weeks))
        if spec.uses_history:
            con.execute("ALTER TABLE history ADD COLUMN band INTEGER")
            con.execute(f"UPDATE history SET band = {_band_sql(spec.history_bands, 'history')}")
        _register(con, "part", part)
        if persons_df is not None:
            _register(con, "persons", persons_df)
        con.execute(fill(PARTICIPANT_RUNS_SQL))
        counts, reasons = _participant_counts(con, spec, persons_df is not None)
        notes = [message("note_register_controls_reason", reason=r) for r in reasons]
        stage("risk sets")
        _make_sets(con, spec)
        columns, joins, where, strata = _atrisk_sql(spec)
        con.execute(fill(ATRISK_SQL, seed=spec.seed, columns=columns, joins=joins,
                         where=where))
        conditions = _conditions(spec)
        eligible = _eligible_counts(con, spec, conditions)
        if spec.history_caliper is None and not spec.replace:
            # (a caliper makes no cells; with replacement the keys are per pair)
            con.execute(PRUNE_SQL.format(strata=strata, per_participant=spec.k,
                                         replace="FALSE"))
        key = (f"md5('{spec.seed}:' || s.person_id || ':' || a.c)" if spec.replace
               else "a.u")
        con.execute(fill(CANDIDATES_SQL, tol=spec.tolerance, conditions=conditions, key=key))
        stage(f"drawing {spec.k} control(s) per participant")
        rounds = _draw(con, spec)
        stage("outcomes from the index week")
        frame = _outcomes(con, spec, info, persons_df)
    finally:
        con.close()

    n_cpr = int(cpr_mask(frame["register_id"].fillna("")).sum())
    if n_cpr:  # the panel's ids: a control's id would be written out
        raise ValidationError([Problem(None, "person_id", message("match_panel_ids_cpr",
                                                                  n=n_cpr))],
                              source=info.source)
    n_sets = len(eligible)
    got = frame.loc[frame["group"] == "control"].groupby("matched_set").size()
    got = got.reindex(eligible.index, fill_value=0)
    counts.update({"participants_matched_full": int((got >= spec.k).sum()),
                   "participants_matched_short": int(((got > 0) & (got < spec.k)).sum()),
                   "participants_without_controls": int((got == 0).sum()),
                   "control_rows": int(got.sum()),
                   "control_persons": int(frame.loc[frame["group"] == "control",
                                                    "register_id"].nunique())})
    if n_sets == 0:
        raise ValidationError([Problem(None, None, message("match_none_because",
                                                           why=tuple(reasons))
                                       if reasons else message("match_none"))],
                              source=part_source)
    notes.insert(0, message("note_register_controls_replace" if spec.replace
                            else "note_register_controls", n=n_sets,
                            rows=counts["control_rows"], persons=counts["control_persons"],
                            k=spec.k, seed=spec.seed, tolerance=spec.tolerance))
    if counts["participants_matched_short"] or counts["participants_without_controls"]:
        notes.append(message("note_register_controls_short",
                             short=counts["participants_matched_short"], k=spec.k,
                             none=counts["participants_without_controls"]))
    seconds = time.perf_counter() - t0
    stage(f"done in {seconds:.1f}s")
    return MatchResult(frame=frame, notes=notes, counts=counts, eligible=eligible,
                       rounds=rounds, seconds=seconds)


def _eligible_counts(con, spec: MatchSpec, conditions: str) -> pd.Series:
    """Eligible controls per matched set, counted before any pruning."""
    rows = con.execute(f"""
        SELECT s.set_id, COUNT(a.c)
        FROM sets s LEFT JOIN atrisk a ON a.t = s.t
             AND a.run_start BETWEEN s.t - s.d + 1 - {int(spec.tolerance)}
                                 AND s.t - s.d + 1 + {int(spec.tolerance)}
             AND a.c <> s.person_id {conditions}
        GROUP BY s.set_id
    """).fetchall()
    return pd.Series(dict(rows), dtype="int64").sort_index()


def _check_marks(con, info) -> None:
    n_dup = con.execute("SELECT COUNT(*) FROM (SELECT DISTINCT person_id, wk FROM marks "
                        "WHERE is_dup = 1) d").fetchone()[0]
    if n_dup:
        raise ValidationError([Problem(None, info.week_column,
                                       message("panel_weeks_twice", n=n_dup))],
                              source=info.source)
    if con.execute("SELECT COUNT(*) FROM marks WHERE sid IS NULL").fetchone()[0]:
        unknown = _unknown_codes(con)
        raise ValidationError([Problem(None, "code", message("panel_unmapped_codes_counted",
                                                             n=len(unknown)))],
                              source=info.source)


def _participant_counts(con, spec: MatchSpec,
                        has_persons: bool) -> tuple[dict, list[Message]]:
    """Why participants cannot be matched, as counts (never ids), and as messages."""
    n_all, not_panel, not_sick, unknown, hist = con.execute("""
        SELECT COUNT(*),
               COUNT(*) FILTER (WHERE person_id NOT IN (SELECT person_id FROM marks)
                                  AND run_start IS NULL),
               COUNT(*) FILTER (WHERE run_start IS NULL),
               COUNT(*) FILTER (WHERE known = 0),
               COUNT(*) FILTER (WHERE known = 1 AND history_complete = 0)
        FROM part_runs
    """).fetchone()
    counts = {"participants": n_all, "participants_not_sick_at_intake": not_sick,
              "participants_spell_start_unknown": unknown}
    reasons = []
    if not_sick:
        reasons.append(message("match_not_sick_at_intake", n=not_sick, absent=not_panel))
    if unknown:
        reasons.append(message("match_spell_before_panel", n=unknown))
    if spec.uses_history and hist:
        counts["participants_history_incomplete"] = hist
        reasons.append(message("match_history_before_panel", n=hist,
                               weeks=spec.history_weeks))
    return counts, reasons


def _make_sets(con, spec: MatchSpec) -> None:
    """One matched set per matchable participant, numbered by intake week then id."""
    keep = ["pr.known = 1"]
    if spec.uses_history:
        keep.append("pr.history_complete = 1")
    xs = "".join(f", pp.{_q(c)} AS {_q('x_' + c)}" for c in spec.exact)
    pjoin = "LEFT JOIN persons pp ON pp.person_id = pr.person_id" if spec.exact else ""
    band = _band_sql(spec.history_bands, "pr.history")
    con.execute(f"""
        CREATE TEMP TABLE sets AS
        SELECT ROW_NUMBER() OVER (ORDER BY pr.t, pr.person_id) AS set_id,
               pr.person_id, pr.t, pr.d, pr.run_start, pr.run_end, pr.after_sid,
               pr.history, {band} AS band,
               md5('{spec.seed}:' || pr.person_id) AS pr,
               ROW_NUMBER() OVER (PARTITION BY pr.t ORDER BY md5('{spec.seed}:' || pr.person_id),
                                  pr.person_id) AS rank{xs}
        FROM part_runs pr {pjoin}
        WHERE {' AND '.join(keep)}
    """)


def _draw(con, spec: MatchSpec) -> int:
    """Pick the controls into table ``prop``; returns the number of rounds (the most
    participants in one week, without replacement)."""
    k = spec.k
    if spec.replace:
        con.execute(PROPOSE_SQL.format(k=k))
        return 1
    # A participant's pick lies among its k × rank best keys (those before it in priority take
    # at most k each): pruning to those keeps each round small. Sorted by rank so a round
    # reads only its own rows.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cand AS
        SELECT c.*, s.rank FROM cand c JOIN sets s ON s.set_id = c.set_id
        QUALIFY ROW_NUMBER() OVER (PARTITION BY c.set_id ORDER BY c.u, c.c) <= {k} * s.rank
        ORDER BY s.rank
    """)
    con.execute("CREATE OR REPLACE TEMP TABLE prop (set_id BIGINT, t INTEGER, c VARCHAR)")
    ranks = con.execute("SELECT COALESCE(MAX(rank), 0) FROM sets").fetchone()[0]
    for rank in range(1, int(ranks) + 1):  # rounds over priority ranks, not persons
        con.execute(TAKE_SQL.format(rank=rank, k=k))
    return int(ranks)


def _outcomes(con, spec: MatchSpec, info, persons_df) -> pd.DataFrame:
    """The cohort rows: participants and drawn controls from the index week on."""
    cap = ("(SELECT q.t FROM part q WHERE q.person_id = p.c)"
           if spec.later_participants == "censor" else "NULL")
    con.execute(f"""
        CREATE TEMP TABLE rows AS
        SELECT ROW_NUMBER() OVER () AS row_id, * FROM (
        SELECT s.set_id, 'intervention' AS grp, s.person_id, s.t,
               s.run_start, s.run_end, s.after_sid, CAST(NULL AS INTEGER) AS cap
        FROM sets s
        UNION ALL
        SELECT p.set_id, 'control', p.c, p.t, r.run_start, r.run_end, r.after_sid, {cap}
        FROM prop p JOIN runs r ON r.person_id = p.c AND r.run_start <= p.t AND r.run_end >= p.t
        ) u
    """)
    out = con.execute(f"""
        SELECT r.set_id, r.grp, r.person_id, r.t, r.run_start,
               CASE WHEN h.history_complete = 1 THEN h.history END AS history, o.*
        FROM rows r
        JOIN ({fill(OUTCOME_SQL, last_wk=info.last_wk)}) o ON o.row_id = r.row_id
        LEFT JOIN history h ON h.person_id = r.person_id AND h.run_start = r.run_start
        ORDER BY r.set_id, r.grp DESC, r.person_id
    """).df()
    ids = out["person_id"].astype(str)
    is_c = out["grp"].eq("control").to_numpy()
    frame = pd.DataFrame({
        "person_id": np.where(is_c, ids + "@" + out["set_id"].astype(str), ids),
        "group": out["grp"].astype("string"),
        "matched_set": out["set_id"].astype("int64"),
        "register_id": ids.astype("string"),
    })
    frame["person_id"] = frame["person_id"].astype("string")
    if persons_df is not None and "municipality" in persons_df.columns:
        frame["municipality"] = ids.map(persons_df.set_index("person_id")["municipality"])
    frame["start_date"] = _monday_series(out["t"])
    frame["end_date"] = _monday_series(out["end_wk"])
    frame["end_reason"] = out["end_reason"].astype("string")
    frame["end_detail"] = out["end_detail"].astype("string")
    frame["partial_rtw_date"] = _monday_series(out["partial_wk"])
    frame["relapse_date"] = _monday_series(out["relapse_wk"])
    frame["followup_date"] = _monday_series(out["followup_wk"])
    frame["spell_start_date"] = _monday_series(out["run_start"])
    frame["weeks_sick_at_index"] = (out["t"] - out["run_start"] + 1).astype("int64")
    frame["benefit_weeks_prior"] = out["history"].astype("Int64")
    if persons_df is not None:
        attrs = persons_df.set_index("person_id")
        for c in attrs.columns:
            if c != "municipality":
                frame[c] = ids.map(attrs[c]).to_numpy()
    return frame.reset_index(drop=True)
