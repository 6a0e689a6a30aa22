"""The SQL of :mod:`~fastholdelse_eval.data.register_match`: sickness runs, risk sets, the
seeded draw without replacement, and the controls' outcomes from their index week.

Portable SQL (window functions, joins, ``md5``) over the ``marks`` table of
:data:`~fastholdelse_eval.data.register_sql.MARKS_SQL` and the coded person-weeks; the Python
side (:mod:`~fastholdelse_eval.data.register_match`) fills in the numbers.
"""

from __future__ import annotations

from fastholdelse_eval.data.register_sql import STATE_IDS

# Every maximal run of sick weeks, from the marks table (run starts and ends alternate per
# person; a one-week run is both). A run that is already going in the panel's first week has an
# unknown start, hence an unknown duration: ``known`` = 0, never eligible.
RUNS_SQL = """
CREATE TEMP TABLE runs AS
WITH se AS (
    SELECT person_id, wk, is_start, is_end, after_sid,
           LEAD(wk) OVER (PARTITION BY person_id ORDER BY wk) AS next_wk,
           LEAD(after_sid) OVER (PARTITION BY person_id ORDER BY wk) AS next_after
    FROM marks WHERE is_start = 1 OR is_end = 1
)
SELECT person_id, wk AS run_start,
       CASE WHEN is_end = 1 THEN wk ELSE next_wk END AS run_end,
       CASE WHEN is_end = 1 THEN after_sid ELSE next_after END AS after_sid,
       CASE WHEN wk > {first_wk} THEN 1 ELSE 0 END AS known
FROM se WHERE is_start = 1
"""

# Weeks on any public benefit (sick, partial, unemployed, other benefit, pension) in the
# ``history_weeks`` weeks before each run's first week; ``history_complete`` = 0 when that
# window starts before the panel does (the count would be too low).
HISTORY_SQL = """
CREATE TEMP TABLE history AS
SELECT r.person_id, r.run_start,
       COUNT(b.wk) AS history,
       CASE WHEN r.run_start - {history_weeks} >= {first_wk} THEN 1 ELSE 0 END
           AS history_complete
FROM runs r
LEFT JOIN (SELECT person_id, wk FROM coded
           WHERE sid IN ({sick}, {sick_partial}, {unemployed}, {other_benefit}, {pension})) b
       ON b.person_id = r.person_id
      AND b.wk >= r.run_start - {history_weeks} AND b.wk < r.run_start
WHERE r.known = 1
GROUP BY r.person_id, r.run_start
"""

# Participants at their intake week: the run that covers it and the duration so far
# (intake week = week ``d`` of the run). ``sets`` keeps those that can be matched.
PARTICIPANT_RUNS_SQL = """
CREATE TEMP TABLE part_runs AS
SELECT p.row_no, p.person_id, p.t, r.run_start, r.run_end, r.after_sid, r.known,
       p.t - r.run_start + 1 AS d, h.history, h.history_complete
FROM part p
LEFT JOIN runs r ON r.person_id = p.person_id AND r.run_start <= p.t AND r.run_end >= p.t
LEFT JOIN history h ON h.person_id = r.person_id AND h.run_start = r.run_start
"""

# Everyone at risk in a week some participant enters: on sickness benefit in week t, in a run of
# known start, and not a participant at or before t (a later participant is eligible until its
# own intake). ``u`` is the person's seeded random key in week t (md5 of seed, week and id:
# portable and reproducible); {columns} adds the exact-matching columns and the history.
ATRISK_SQL = """
CREATE TEMP TABLE atrisk AS
SELECT w.t, r.person_id AS c, r.run_start,
       md5('{seed}:' || CAST(w.t AS VARCHAR) || ':' || r.person_id) AS u{columns}
FROM (SELECT t, COUNT(*) AS n FROM sets GROUP BY t) w
JOIN runs r ON r.known = 1 AND r.run_start <= w.t AND r.run_end >= w.t
{joins}
WHERE NOT EXISTS (SELECT 1 FROM part q WHERE q.person_id = r.person_id AND q.t <= w.t)
{where}
"""

# A participant's controls are the first k (k × the participants of its week, without
# replacement) by key among its eligible ones, and its eligible ones are a union of cells
# (week, run start, strata): keeping each cell's first that many loses no possible pick.
PRUNE_SQL = """
CREATE OR REPLACE TEMP TABLE atrisk AS
SELECT a.* FROM atrisk a JOIN (SELECT t, COUNT(*) AS n FROM sets GROUP BY t) w ON w.t = a.t
QUALIFY ROW_NUMBER() OVER (PARTITION BY a.t, a.run_start{strata} ORDER BY a.u, a.c)
        <= {per_participant} * (CASE WHEN {replace} THEN 1 ELSE w.n END)
"""

# Eligible controls of each participant: at risk in its week t with a duration at t within
# ``tol`` weeks of its own, plus the exact and history conditions filled in by Python. With
# replacement the key is the pair's own (md5 of seed, participant and control): otherwise
# participants of the same week and duration would all draw the same controls.
CANDIDATES_SQL = """
CREATE TEMP TABLE cand AS
SELECT s.set_id, s.t, s.pr, a.c, a.run_start,
       {key} AS u
FROM sets s
JOIN atrisk a ON a.t = s.t
             AND a.run_start BETWEEN s.t - s.d + 1 - {tol} AND s.t - s.d + 1 + {tol}
WHERE a.c <> s.person_id
  {conditions}
"""

# With replacement: every participant takes its k best keys.
PROPOSE_SQL = """
CREATE OR REPLACE TEMP TABLE prop AS
SELECT set_id, t, c FROM cand
QUALIFY ROW_NUMBER() OVER (PARTITION BY set_id ORDER BY u, c) <= {k}
"""

# Without replacement, the serial dictatorship one priority rank at a time: the participants
# of rank {rank} in their week (one per week, all weeks at once) take their k best keys among
# the controls nobody in that week has taken yet.
TAKE_SQL = """
INSERT INTO prop
SELECT set_id, t, c FROM cand x
WHERE x.rank = {rank}
  AND NOT EXISTS (SELECT 1 FROM prop p WHERE p.t = x.t AND p.c = x.c)
QUALIFY ROW_NUMBER() OVER (PARTITION BY set_id ORDER BY u, c) <= {k}
"""

# Outcomes from the index week t of ``rows(row_id, person_id, t, run_start, run_end, after_sid,
# cap)``: the rules of the register module (end by the week after the run, follow-up to the
# first censor week after it, partial return in the run — from t on — and relapse after a
# return), with ``cap`` (a control's own later intake) ending follow-up there: a spell still
# going at ``cap`` is censored (end_detail ``later_participant``).
OUTCOME_SQL = """
WITH base AS (
    SELECT r.*,
           (SELECT MIN(m.wk) FROM marks m WHERE m.person_id = r.person_id
                AND m.wk > r.run_end AND m.sid = {censor}) AS censor_wk,
           (SELECT MIN(m.wk) FROM marks m WHERE m.person_id = r.person_id
                AND m.wk >= r.t AND m.wk <= r.run_end AND m.sid = {sick_partial}) AS partial_wk
    FROM rows r
),
ended AS (
    SELECT *,
           CASE WHEN cap IS NOT NULL AND cap <= run_end THEN 'later_participant'
                WHEN run_end >= {last_wk} THEN 'panel_end'
                WHEN after_sid IS NULL OR after_sid = {self_support} THEN 'self_support'
                WHEN after_sid = {unemployed} THEN 'unemployed'
                WHEN after_sid = {other_benefit} THEN 'other_benefit'
                WHEN after_sid = {pension} THEN 'pension'
                ELSE 'censor' END AS end_detail,
           LEAST(COALESCE(censor_wk, {last_wk} + 1), COALESCE(cap, {last_wk} + 1))
               AS followup_wk
    FROM base
)
SELECT e.row_id,
       CASE WHEN e.end_detail IN ('censor', 'panel_end', 'later_participant') THEN NULL
            ELSE e.run_end + 1 END AS end_wk,
       CASE WHEN e.end_detail IN ('self_support', 'unemployed') THEN 'rtw'
            WHEN e.end_detail IN ('other_benefit', 'pension') THEN 'other_benefit'
            ELSE 'censored' END AS end_reason,
       e.end_detail,
       CASE WHEN e.partial_wk < e.followup_wk THEN e.partial_wk END AS partial_wk,
       CASE WHEN e.end_detail IN ('self_support', 'unemployed') THEN
           (SELECT MIN(m.wk) FROM marks m WHERE m.person_id = e.person_id AND m.is_start = 1
                AND m.wk > e.run_end + 1 AND m.wk < e.followup_wk) END AS relapse_wk,
       e.followup_wk
FROM ended e
"""


def fill(sql: str, **values: object) -> str:
    """The SQL with the state ids and ``values`` filled in."""
    return sql.format(**STATE_IDS, **values)
