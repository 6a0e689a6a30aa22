"""Progression measurements: repeated questionnaire answers, validated, scored, mapped to visits.

The input is a *long* table, one row per answered item (or one row per already scored
measurement)::

    person_id ; date       ; instrument ; item ; value        (or: score)
    GRV00001  ; 06-01-2009 ; WHO-5      ; 1    ; 3

Danish spellings are accepted (``borger_id``, ``dato``, ``instrument``/``skema``,
``spørgsmål``, ``værdi``/``svar``, ``score``/``point``). Validation works like the cohort's:
every problem at once, each with the spreadsheet row and the column, never a cell's value;
ids that look like CPR numbers are refused; ids that are not in the cohort are one grouped
problem with their count.

Scoring follows each measurement's :class:`~fastholdelse_eval.data.instruments.Instrument`
(built-in WHO-5 or the study's own). Measurements are then mapped to *planned visits* by
windows (:class:`VisitPlan`): real measurements are taken on irregular dates, so

* **baseline** is the first scored measurement within ``baseline_days`` (default 14) days of
  the spell's start, before or after;
* **follow-up visit** *w* (default weeks 13 and 26, about 3 and 6 months) is the scored
  measurement nearest to ``start + w weeks`` within ± ``window_weeks`` (default 4) weeks;
  ties go to the earlier one;
* measurements outside every window are not used (their number is in the notes);
* a visit is **due** when its whole window has passed by the person's follow-up date, or the
  person was measured in it; a due visit without a measurement is a **drop-out** at that visit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.core.cpr import cpr_mask
from fastholdelse_eval.core.errors import ConfigError, Problem, ValidationError
from fastholdelse_eval.data import schema
from fastholdelse_eval.data.cohort import Cohort, SourceFile
from fastholdelse_eval.data.instruments import (
    BUILT_IN_ALIASES,
    Instrument,
    parse_instruments,
    scored_range,
)
from fastholdelse_eval.data.io import read_table, spreadsheet_row
from fastholdelse_eval.data.localize import Items, Message, message
from fastholdelse_eval.data.validation import (
    _prepare,
    parse_dates,
    parse_numbers,
)

PROGRESSION_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": ("person_id", "id", "borger_id", "pseudonym"),
    "date": ("date", "dato", "målingsdato", "maalingsdato", "measurement_date"),
    "instrument": ("instrument", "skema", "spørgeskema", "redskab", "questionnaire"),
    "item": ("item", "spørgsmål", "delspørgsmål"),
    "value": ("value", "værdi", "svar", "answer"),
    "score": ("score", "point", "samlet_score"),
}
PROGRESSION_LOOKUP = {schema.normalize_label(a): k
                      for k, aliases in PROGRESSION_ALIASES.items() for a in aliases}
REQUIRED = ("person_id", "date", "instrument")
DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class VisitPlan:
    """Planned visits and their windows (see the module docstring); days and weeks from the
    spell's start. Set in the study TOML's ``[progression]`` table (``baseline_days``,
    ``visits_weeks``, ``window_weeks``)."""

    baseline_days: int = 14
    visits_weeks: tuple[float, ...] = (13.0, 26.0)
    window_weeks: float = 4.0

    def __post_init__(self) -> None:
        b = self.baseline_days
        if isinstance(b, bool) or not isinstance(b, int) or b < 0:
            raise ConfigError(message("cfg_whole_number_at_least", name="progression.baseline_days",
                                      low=0, value=repr(b)))
        w = self.window_weeks
        if isinstance(w, bool) or not isinstance(w, int | float) or not w > 0:
            raise ConfigError(message("cfg_not_positive", name="progression.window_weeks",
                                      value=repr(w)))
        visits = self.visits_weeks
        if (not isinstance(visits, list | tuple) or not visits
                or any(isinstance(v, bool) or not isinstance(v, int | float) for v in visits)):
            raise ConfigError(message("prg_visits_list", name="progression.visits_weeks"))
        visits = tuple(sorted(float(v) for v in visits))
        # Windows may not overlap: a measurement must belong to one visit at most.
        lows = [v - w for v in visits]
        highs = [v + w for v in visits]
        if lows[0] * DAYS_PER_WEEK <= b or any(lo <= hi for lo, hi in
                                                zip(lows[1:], highs[:-1], strict=True)):
            raise ConfigError(message("prg_windows_overlap", name="progression"))
        object.__setattr__(self, "visits_weeks", visits)
        object.__setattr__(self, "window_weeks", float(w))


def visit_name(weeks: float) -> str:
    """A visit's key in tables: ``"0"`` for baseline, ``"13"`` for week 13."""
    return f"{weeks:g}"


@dataclass
class Progression:
    """Validated, scored progression measurements linked to a cohort.

    ``measurements``: one row per scored measurement (``person_id``, ``instrument``, ``date``,
    ``score``). ``visits``: the measurement used for each person × instrument × visit
    (``visit_weeks`` 0 = baseline, ``date``, ``days``, ``score``). ``persons``: one row per
    cohort person × measured instrument with ``group``, ``start_date``, ``end_date``,
    ``end_reason``, ``followup_date`` and ``due_<w>`` per follow-up visit.
    """

    measurements: pd.DataFrame
    visits: pd.DataFrame
    persons: pd.DataFrame
    instruments: dict[str, Instrument]
    plan: VisitPlan = field(default_factory=VisitPlan)
    notes: list[str] = field(default_factory=list)
    sources: list[SourceFile] = field(default_factory=list)

    @property
    def measured_instruments(self) -> list[str]:
        return list(dict.fromkeys(self.measurements["instrument"]))

    def __repr__(self) -> str:
        return (f"Progression({len(self.measurements)} scored measurements, "
                f"{self.persons['person_id'].nunique() if len(self.persons) else 0} persons, "
                f"instruments={self.measured_instruments})")


def _instrument_keys(instruments: dict[str, Instrument]) -> dict[str, str]:
    out = {schema.normalize_label(k): k for k in instruments}
    out.update({k: v for k, v in BUILT_IN_ALIASES.items() if v in instruments})
    out.update({schema.normalize_label(i.label): k for k, i in instruments.items()})
    return out


def validate_progression_frame(
    df: pd.DataFrame,
    cohort: Cohort,
    instruments: dict[str, Instrument] | None = None,
    decimal_comma: bool = False,
    source: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Validate and score a long measurements table against ``cohort``.

    Returns ``(measurements, notes)``: one row per scored measurement. Raises
    :class:`ValidationError` with every problem found.
    """
    instruments = instruments if instruments is not None else parse_instruments(None)
    problems: list[Problem] = []
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise ValidationError([Problem(None, None, message("table_no_rows"))], source)
    mapping, col, text, notes = _prepare(df, PROGRESSION_LOOKUP, PROGRESSION_ALIASES, REQUIRED,
                                         problems, source)
    if "value" not in mapping and "score" not in mapping:
        col.file(None, message("progression_needs_value_or_score"))
    if "value" in mapping and "item" not in mapping:
        col.file(None, message("progression_value_needs_item"))
    n = len(text)

    def get(name: str) -> pd.Series:
        return text[mapping[name]] if name in mapping else pd.Series([""] * n, index=text.index,
                                                                       dtype=str)

    pid = get("person_id")
    if "person_id" in mapping:
        col.rows(pid == "", "person_id", message("column_empty", column="person_id"))
        # CPR numbers (here and in every other column) are refused by validation.check_cells.
    dates, bad, impossible = parse_dates(get("date"))
    if "date" in mapping:
        col.rows(bad, "date", message("not_a_date"))
        col.rows(impossible, "date", message("impossible_date"))
        col.rows(get("date") == "", "date", message("column_empty", column="date"))

    keys = _instrument_keys(instruments)
    raw_inst = get("instrument")
    codes, uniques = pd.factorize(raw_inst.astype(str), use_na_sentinel=False)
    inst = pd.Series(np.array([keys.get(schema.normalize_label(u), "") for u in uniques],
                              dtype=object)[codes] if n else [], index=text.index, dtype=object)
    if "instrument" in mapping:
        col.rows(raw_inst == "", "instrument", message("column_empty", column="instrument"))
        col.rows((inst == "") & (raw_inst != ""), "instrument",
                 message("progression_unknown_instrument", known=", ".join(sorted(instruments))))

    item_raw, value_raw, score_raw = get("item"), get("value"), get("score")
    values = parse_numbers(value_raw, decimal_comma) if "value" in mapping else None
    if values is None:
        values = _numbers_by_row(value_raw, decimal_comma, col, "value")
    scores = parse_numbers(score_raw, decimal_comma) if "score" in mapping else None
    if scores is None:
        scores = _numbers_by_row(score_raw, decimal_comma, col, "score")
    has_item = (item_raw != "").to_numpy()
    has_score = (score_raw != "").to_numpy()
    col.rows(has_item & has_score, "score", message("progression_item_and_score"))
    col.rows(~has_item & ~has_score & (inst != "").to_numpy(),
             "item" if "item" in mapping else "score",
             message("progression_neither_item_nor_score"))

    item = pd.Series("", index=text.index, dtype=object)
    for key, instrument in instruments.items():
        rows = (inst == key).to_numpy()
        if not rows.any():
            continue
        lookup = instrument.item_lookup()
        part = item_raw[rows]
        pc, pu = pd.factorize(part.astype(str), use_na_sentinel=False)
        mapped = np.array([lookup.get(schema.normalize_label(u), "") for u in pu],
                          dtype=object)[pc]
        item.loc[rows] = mapped
        unknown = rows.copy()
        unknown[rows] = (mapped == "") & (part != "").to_numpy()
        if instrument.items:
            col.rows(unknown, "item", message("progression_not_an_item",
                                              instrument=instrument.label,
                                              items=", ".join(instrument.items)))
        else:
            col.rows(rows & has_item, "item",
                     message("progression_delivered_scored", instrument=instrument.label))
        v = values.to_numpy()
        out = rows & has_item & np.isfinite(v) & ((v < instrument.item_min)
                                                  | (v > instrument.item_max))
        col.rows(out, "value", message("progression_item_range", instrument=instrument.label,
                                       low=f"{instrument.item_min:g}",
                                       high=f"{instrument.item_max:g}"))
        lo, hi = scored_range(instrument)
        s = scores.to_numpy()
        col.rows(rows & np.isfinite(s) & ((s < lo) | (s > hi)), "score",
                 message("progression_score_range", instrument=instrument.label,
                         low=f"{lo:g}", high=f"{hi:g}"))

    # One answer per person, date, instrument and item; scored rows likewise.
    key = pd.DataFrame({"p": pid, "d": dates, "i": inst, "q": item.where(has_item, "")})
    valid_key = (pid != "").to_numpy() & dates.notna().to_numpy() & (inst != "").to_numpy()
    dup = key.duplicated(keep="first").to_numpy() & valid_key
    if dup.any():
        positions = pd.Series(np.arange(n), index=text.index)
        first = positions.groupby([key[c] for c in key.columns], sort=False,
                                  dropna=False).transform("first")
        for i in np.flatnonzero(dup):
            col.problems.append(Problem(
                spreadsheet_row(text.index[i]), mapping.get("person_id"),
                message("progression_second_answer",
                        row=spreadsheet_row(text.index[first.iloc[i]]))))
    mixed = key.assign(s=has_score).groupby(["p", "d", "i"], sort=False, dropna=False)["s"]
    both = (mixed.transform("any").to_numpy(bool) & ~mixed.transform("all").to_numpy(bool)
            & valid_key)
    col.rows(both & has_score, "score", message("progression_items_and_score"))

    # Linked to the cohort: every id must be one of its persons.
    ids = cohort.data["person_id"]
    if ids.duplicated().any():
        col.file(None, message("progression_cohort_ids_repeat"))
    stranger = ~pid.isin(set(ids)).to_numpy() & (pid != "").to_numpy() \
        & ~cpr_mask(pid).to_numpy()
    if stranger.any():
        rows = [spreadsheet_row(i) for i in text.index[stranger]]
        counts = {"n": int(stranger.sum()), "persons": int(pid[stranger].nunique()),
                  "rows": ", ".join(str(r) for r in rows[:10])}
        col.file("person_id", message("progression_ids_not_in_cohort_more",
                                      more=len(rows) - 10, **counts) if len(rows) > 10
                 else message("progression_ids_not_in_cohort", **counts))
    if col.problems:
        raise ValidationError(col.problems, source)

    frame = pd.DataFrame({"person_id": pid.astype(str), "date": dates,
                          "instrument": inst.astype(str), "item": item.astype(str),
                          "value": values.to_numpy(), "score": scores.to_numpy(),
                          "has_score": has_score})
    return _score(frame, instruments, notes)


def _few(count: int, threshold: int = 5) -> int | Message:
    """A count for a free-text note: notes bypass disclosure control, so a small count is
    written as "fewer than 5" (the default threshold)."""
    return count if count >= threshold else message("count_fewer_than", threshold=threshold)


def _numbers_by_row(raw: pd.Series, decimal_comma: bool, col: Any, column: str) -> pd.Series:
    """Numbers of a column where some cells are not numbers: those are problems."""
    s = raw.str.strip()
    if decimal_comma:
        s = s.str.replace(",", ".", regex=False)
    values = pd.to_numeric(s.where(s != ""), errors="coerce").astype("float64")
    col.rows((values.isna() & (raw != "")).to_numpy(), column, message("not_a_number"))
    return values


def _score(frame: pd.DataFrame, instruments: dict[str, Instrument], notes: list[str]
           ) -> tuple[pd.DataFrame, list[str]]:
    """One scored row per person × date × instrument (vectorised per instrument)."""
    parts = [frame.loc[frame["has_score"], ["person_id", "date", "instrument", "score"]]]
    items = frame.loc[~frame["has_score"]]
    for key, grp in items.groupby("instrument", sort=True):
        inst = instruments[str(key)]
        # Duplicates were refused above, so each (person, date, item) has one answer.
        wide = grp.set_index(["person_id", "date", "item"])["value"].unstack("item")
        score, too_many = inst.score(wide)
        if too_many.any():
            notes.append(message("note_progression_not_scored_all" if inst.max_missing == 0
                                 else "note_progression_not_scored_some",
                                 n=_few(int(too_many.sum())), instrument=inst.label,
                                 max_missing=inst.max_missing))
        done = score.dropna().rename("score").reset_index()
        parts.append(done.assign(instrument=str(key)))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else parts[0]
    out = out[["person_id", "instrument", "date", "score"]].astype(
        {"person_id": str, "instrument": str, "score": "float64"})
    return out.sort_values(["person_id", "instrument", "date"]).reset_index(drop=True), notes


def map_visits(measurements: pd.DataFrame, cohort: Cohort, plan: VisitPlan
               ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Map scored measurements to planned visits (see the module docstring).

    Returns ``(visits, persons, notes)``.
    """
    people = cohort.data[["person_id", "group", "start_date", "end_date", "end_reason",
                          "followup_date"]]
    m = measurements.merge(people[["person_id", "start_date"]], on="person_id", how="inner")
    days = (m["date"] - m["start_date"]).dt.days.to_numpy(dtype="float64")
    m = m.assign(days=days)
    chosen = []
    base = m.loc[np.abs(days) <= plan.baseline_days]
    base = base.sort_values(["person_id", "instrument", "date"]).drop_duplicates(
        ["person_id", "instrument"], keep="first")
    chosen.append(base.assign(visit_weeks=0.0))
    used = np.abs(days) <= plan.baseline_days
    for w in plan.visits_weeks:
        target = w * DAYS_PER_WEEK
        inside = np.abs(days - target) <= plan.window_weeks * DAYS_PER_WEEK
        used |= inside
        cand = m.loc[inside].assign(_dist=np.abs(m.loc[inside, "days"] - target))
        cand = cand.sort_values(["person_id", "instrument", "_dist", "date"]).drop_duplicates(
            ["person_id", "instrument"], keep="first")
        chosen.append(cand.drop(columns="_dist").assign(visit_weeks=float(w)))
    visits = pd.concat(chosen, ignore_index=True)[
        ["person_id", "instrument", "visit_weeks", "date", "days", "score"]]
    visits = visits.sort_values(["instrument", "person_id", "visit_weeks"]).reset_index(drop=True)
    notes = []
    if (~used).any():
        notes.append(message(
            "note_progression_outside_windows", n=_few(int((~used).sum())),
            baseline_days=plan.baseline_days,
            visits=Items(visit_name(v) for v in plan.visits_weeks),
            visit_count=len(plan.visits_weeks), window=f"{plan.window_weeks:g}"))
    insts = sorted(measurements["instrument"].unique())
    persons = people.merge(pd.DataFrame({"instrument": insts}), how="cross")
    measured = visits.groupby(["person_id", "instrument"])["visit_weeks"].agg(set)
    index = pd.MultiIndex.from_frame(persons[["person_id", "instrument"]])
    got = measured.reindex(index)
    for w in plan.visits_weeks:
        window_end = persons["start_date"] + pd.to_timedelta(
            (w + plan.window_weeks) * DAYS_PER_WEEK, unit="D")
        was = np.array([isinstance(s, set) and w in s for s in got.tolist()], dtype=bool)
        persons[f"due_{visit_name(w)}"] = (window_end <= persons["followup_date"]).to_numpy() | was
    return visits, persons.reset_index(drop=True), notes


def load_progression(
    path: str | Path,
    cohort: Cohort,
    instruments: dict[str, Any] | None = None,
    plan: VisitPlan | None = None,
) -> Progression:
    """Read, validate, score and map a measurements file (CSV, XLSX, Parquet) for ``cohort``.

    ``instruments``: the study's own instrument tables (``[progression.instruments]``) or
    already parsed :class:`Instrument` objects; WHO-5 is always known.
    """
    if not isinstance(cohort, Cohort):
        raise ConfigError(message("cfg_progression_person_level", name="progression"))
    if instruments and all(isinstance(v, Instrument) for v in instruments.values()):
        known = dict(parse_instruments(None), **instruments)
    else:
        known = parse_instruments(instruments)
    plan = plan or VisitPlan()
    table = read_table(path)
    measurements, notes = validate_progression_frame(
        table.frame, cohort, known, decimal_comma=table.fmt.decimal == ",", source=str(path))
    visits, persons, visit_notes = map_visits(measurements, cohort, plan)
    return Progression(measurements, visits, persons, known, plan, [*notes, *visit_notes],
                       [SourceFile.of(path)])


_SETTINGS = {"file", "instruments", "baseline_days", "visits_weeks", "window_weeks"}


def parse_progression_settings(raw: object) -> tuple[str | None, dict[str, Instrument],
                                                     VisitPlan]:
    """The study TOML's ``progression`` key: a file name (``progression = "m.csv"``) or a
    table (``[progression]`` with ``file``, ``baseline_days``, ``visits_weeks``,
    ``window_weeks`` and ``[progression.instruments.NAME]`` tables). Returns ``(file,
    instruments, plan)``; the file may be None when only settings are given."""
    if raw is None:
        return None, parse_instruments(None), VisitPlan()
    if isinstance(raw, str):
        if not raw.strip():
            raise ConfigError(message("prg_file_name", name="progression"))
        return raw.strip(), parse_instruments(None), VisitPlan()
    if not isinstance(raw, dict):
        raise ConfigError(message("prg_form", name="progression"))
    unknown = sorted(set(raw) - _SETTINGS)
    if unknown:
        raise ConfigError(message("cfg_unknown_setting", name=f"progression.{unknown[0]}",
                                  allowed=", ".join(sorted(_SETTINGS))))
    file = raw.get("file")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        raise ConfigError(message("cfg_not_a_file_name", name="progression.file"))
    defaults = VisitPlan()
    plan = VisitPlan(baseline_days=raw.get("baseline_days", defaults.baseline_days),
                     visits_weeks=raw.get("visits_weeks", defaults.visits_weeks),
                     window_weeks=raw.get("window_weeks", defaults.window_weeks))
    return (file.strip() if file else None), parse_instruments(raw.get("instruments")), plan
