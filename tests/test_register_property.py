"""Property test: the DuckDB query agrees with a plain per-person loop on random panels.

The loop below is written from the rules in issue 6, independently of the SQL: walk each
person's weeks in order, find the first qualifying run, look at the week after it, and so on.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastholdelse_eval.core.errors import ConfigError, ValidationError
from fastholdelse_eval.data.register import register_frame

# '.' empty, S sick, P sick (partial), W self-support code, U unemployed, O other benefit,
# N pension, C censor
CODES = {"S": "110", "P": "111", "W": "150", "U": "120", "O": "130", "N": "140", "C": "190"}
MAPPING = {"110": "sick", "111": "sick_partial", "150": "self_support", "120": "unemployed",
           "130": "other_benefit", "140": "pension", "190": "censor"}
FIRST_MONDAY = date(2012, 12, 31)  # 2013-W01; 2013 has 52 ISO weeks, 2015 has 53
END = {".": ("rtw", "self_support"), "W": ("rtw", "self_support"), "U": ("rtw", "unemployed"),
       "O": ("other_benefit", "other_benefit"), "N": ("other_benefit", "pension"),
       "C": ("censored", "censor")}


def reference(rows: dict[str, str], lo: int | None, hi: int | None) -> dict[str, tuple]:
    """Rules 1–6, one person at a time; weeks are 0-based positions in the panel."""
    out = {}
    for pid, weeks in rows.items():
        n = len(weeks)
        sick = [w in "SP" for w in weeks]
        start = None
        for i in range(1, n):  # a run going in week 0 has an unknown start
            if sick[i] and not sick[i - 1] and (lo is None or i >= lo) and (hi is None or i <= hi):
                start = i
                break
        if start is None:
            continue
        last = start
        while last + 1 < n and sick[last + 1]:
            last += 1
        if last + 1 == n:
            reason, detail, end = "censored", "panel_end", None
        else:
            reason, detail = END[weeks[last + 1]]
            end = None if reason == "censored" else last + 1
        followup = next((i for i in range(last + 1, n) if weeks[i] == "C"), n)
        partial = next((i for i in range(start, last + 1) if weeks[i] == "P"), None)
        relapse = None
        if reason == "rtw":
            relapse = next((i for i in range(last + 2, followup) if sick[i]), None)
        out[pid] = (start, end, reason, detail, partial, relapse, followup, last - start + 1)
    return out


def monday(i: int | None):
    return pd.NaT if i is None else pd.Timestamp(FIRST_MONDAY + timedelta(weeks=i))


def wide(rows: dict[str, str], n: int) -> pd.DataFrame:
    labels = []
    for j in range(n):
        y, w, _ = (FIRST_MONDAY + timedelta(weeks=j)).isocalendar()
        labels.append(f"y_{y % 100:02d}{w:02d}")
    data = {lab: [CODES.get(s[j]) for s in rows.values()] for j, lab in enumerate(labels)}
    return pd.DataFrame({"person_id": list(rows), **data})


def long(rows: dict[str, str]) -> pd.DataFrame:
    out = [(pid, f"{FIRST_MONDAY + timedelta(weeks=j):%G-W%V}", CODES[c])
           for pid, s in rows.items() for j, c in enumerate(s) if c != "."]
    if not out:  # an all-empty panel; keep one explicit empty row per person
        out = [(pid, f"{FIRST_MONDAY:%G-W%V}", "") for pid in rows]
    return pd.DataFrame(out, columns=["person_id", "week", "code"])


@st.composite
def panels(draw):
    n_weeks = draw(st.integers(1, 14))
    n_persons = draw(st.integers(1, 12))
    cell = st.sampled_from("..SSSSPWUONC")
    rows = {f"id{k}": "".join(draw(st.lists(cell, min_size=n_weeks, max_size=n_weeks)))
            for k in range(n_persons)}
    lo = draw(st.none() | st.integers(0, n_weeks - 1))
    hi = draw(st.none() | st.integers(lo or 0, n_weeks - 1))
    grouped = draw(st.lists(st.booleans(), min_size=n_persons, max_size=n_persons))
    layout = draw(st.sampled_from(["wide", "long"]))
    return rows, n_weeks, lo, hi, grouped, layout


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(panels())
def test_sql_matches_reference_loop(case):
    rows, n_weeks, lo, hi, grouped, layout = case
    groups = pd.DataFrame({"person_id": list(rows),
                           "group": ["deltager" if g else "" for g in grouped]})
    intake = None
    if lo is not None or hi is not None:  # as dates: Monday of `lo`, Sunday of `hi`
        intake = (None if lo is None else str(FIRST_MONDAY + timedelta(weeks=lo)),
                  None if hi is None else str(FIRST_MONDAY + timedelta(weeks=hi, days=6)))
    if layout == "wide":
        panel, first, last = wide(rows, n_weeks), 0, n_weeks - 1
    else:
        # A long panel's weeks run from its first to its last week with any row.
        panel = long(rows)
        used = [j for s in rows.values() for j, c in enumerate(s) if c != "."] or [0]
        first, last = min(used), max(used)
    if (hi is not None and hi < first) or (lo is not None and lo > last):
        with pytest.raises(ConfigError, match="outside the panel"):
            register_frame(panel, mapping=MAPPING, groups=groups, intake=intake)
        return
    seen = {p: s[first:last + 1] for p, s in rows.items()}
    expected = {pid: v for pid, v in reference(seen, None if lo is None else lo - first,
                                               None if hi is None else hi - first).items()
                if grouped[int(pid[2:])]}
    if not expected:
        with pytest.raises(ValidationError, match="no person with a group has an index spell"):
            register_frame(panel, mapping=MAPPING, groups=groups, intake=intake)
        return
    got = register_frame(panel, mapping=MAPPING, groups=groups, intake=intake).frame
    got = got.set_index("person_id")
    assert sorted(got.index) == sorted(expected)

    def at(i: int | None):
        return monday(None if i is None else i + first)

    for pid, (start, end, reason, detail, partial, relapse, followup, weeks) in expected.items():
        row = got.loc[pid]
        assert row["start_date"] == at(start)
        assert pd.isna(row["end_date"]) if end is None else row["end_date"] == at(end)
        assert row["end_reason"] == reason
        assert row["end_detail"] == detail
        assert pd.isna(row["partial_rtw_date"]) if partial is None \
            else row["partial_rtw_date"] == at(partial)
        assert pd.isna(row["relapse_date"]) if relapse is None \
            else row["relapse_date"] == at(relapse)
        assert row["followup_date"] == at(followup)
        assert row["weeks_on_benefit"] == weeks
