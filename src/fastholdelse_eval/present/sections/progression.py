"""Progression: repeated measurements (WHO-5 or the study's own instruments), by visit.

Laid out from the cleared progression rows only (computed by the analysis layer): who was
measured at each visit (drop-out), mean scores, change from baseline, the baseline-adjusted
difference, the share with an important improvement, the mixed model's change per month and
whether improvement predicts return to work. The figure (mean score per visit with intervals)
is drawn from the cleared ``progression_mean`` rows; masked means are not drawn. Individual
trajectories (spaghetti plots) are never put in a report: they show persons' own answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.plots.progression import plot_trajectory
from fastholdelse_eval.present.context import ARMS, Context, finite
from fastholdelse_eval.present.document import Paragraph, Section, Table

METRICS = ("progression_measured", "progression_mean", "progression_change",
           "progression_ancova", "progression_improved", "progression_slope",
           "progression_landmark_hr")


def _instruments(t: pd.DataFrame) -> list[str]:
    if "instrument" not in t.columns:
        return []
    rows = t[t["metric"] == "progression_measured"]
    return list(dict.fromkeys(rows["instrument"].dropna().astype(str)))


def _first(t: pd.DataFrame, column: str) -> Any:
    if column not in t.columns:
        return None
    values = t[column].dropna()
    return values.iloc[0] if len(values) else None


def section(ctx: Context) -> Section | None:
    L, v = ctx.L, ctx.v
    t = v.t
    names = _instruments(t)
    if not names:
        return None
    sec = Section("progression", L("progression.title"), [])
    for name in names:
        _instrument(ctx, sec, t[t["instrument"].astype(str) == name], name)
    sec.blocks.append(Paragraph(L("progression.missing_data"), kind="note"))
    return sec


def _instrument(ctx: Context, sec: Section, t: pd.DataFrame, name: str) -> None:
    L, F, v = ctx.L, ctx.F, ctx.v
    label = str(_first(t, "instrument_label") or name)
    visits = sorted({float(x) for x in t.loc[t["metric"] == "progression_measured",
                                             "visit_weeks"].dropna()})
    follow = [w for w in visits if w > 0]
    window = _first(t, "window_weeks")
    base_days = _first(t, "baseline_days")
    mic = _first(t, "mic")
    width = L.number(float(window), 0) if window is not None else "?"
    sec.blocks.append(Paragraph(L(
        "progression.intro", instrument=label,
        follow_up=L("progression.follow_up_one" if len(follow) == 1 else "progression.follow_up",
                    visits=L.listing([L.number(w, 0) for w in follow]),
                    window=L("progression.window", n=width)),
        baseline_days=L.integer(int(base_days)) if base_days is not None else "?")))

    def cell(row: pd.Series | None, digits: int = 1, sign: bool = False) -> str:
        if row is None:
            return F.na
        if row.get("suppressed", ""):
            return F.hidden
        if not finite(row["estimate"]):
            return F.na
        text = L.number(row["estimate"], digits, sign=sign)
        if finite(row["ci_low"]) and finite(row["ci_high"]):
            text += " (" + L.interval(L.number(row["ci_low"], digits),
                                      L.number(row["ci_high"], digits)) + ")"
        return text

    def pp(row: pd.Series | None) -> str:
        """p in running text: "= 0.012", "< 0.001", or "= ·" when masked."""
        if row is not None and not row.get("suppressed", "") and finite(row["p_value"]):
            return L.p_phrase(row["p_value"])
        return "= " + (F.p(row) or F.na)

    def lv(w: float) -> str:
        return f"{name}:{w:g}"

    visit = L("progression.visit")
    # 1. who was measured, and the mean score
    header = [visit]
    for g in ARMS:
        header += [f"{L.group(g)}: {L('progression.measured')}",
                   f"{L.group(g)}: {L('progression.mean_ci')}"]
    rows = []
    for w in visits:
        name_w = L("progression.baseline") if w == 0 else L("progression.week", week=L.number(w, 0))
        cells = [name_w]
        for g in ARMS:
            m = v.get("progression_measured", g, lv(w))
            cells += [F.n_of(m), cell(v.get("progression_mean", g, lv(w)))]
        rows.append(cells)
    ctx.add_table(sec, Table(f"table-progression-{name}", L("progression.table_visits",
                                                            instrument=label),
                             header, rows, [False, True, True, True, True],
                             notes=[L("progression.table_visits_note")]))
    means = t[t["metric"] == "progression_mean"]
    if len(means) and np.isfinite(means["estimate"].astype(float)).any():
        ctx.add_figure(sec, ctx.render_figure(
            f"fig-progression-{name}", L("progression.figure_title", instrument=label),
            L("progression.figure_desc", instrument=label),
            _draw(means, label, L)))

    # 2. change by each follow-up visit
    header = [visit, *(f"{L.group(g)}: {L('progression.change_ci')}" for g in ARMS),
              L("progression.difference_ci"), L("progression.ancova_ci"), L("columns.p")]
    rows = []
    for w in follow:
        a = v.get("progression_ancova", "difference", lv(w))
        rows.append([L("progression.week", week=L.number(w, 0)),
                     *(cell(v.get("progression_change", g, lv(w)), sign=True) for g in ARMS),
                     cell(v.get("progression_change", "difference", lv(w)), sign=True),
                     cell(a, sign=True), F.p(a)])
    ctx.add_table(sec, Table(f"table-progression-change-{name}",
                             L("progression.table_change", instrument=label), header, rows,
                             [False, True, True, True, True, True],
                             notes=[L("progression.table_change_note")]))

    # 3. important improvement
    if mic is not None and any(v.get("progression_improved", g, lv(w)) is not None
                               for w in follow for g in ARMS):
        header = [visit]
        for g in ARMS:
            header += [f"{L.group(g)}: {L('columns.count')}",
                       f"{L.group(g)}: {L('columns.rate_ci')}"]
        header += [L("columns.difference_ci"), L("columns.p")]
        rows = []
        for w in follow:
            cells = [L("progression.week", week=L.number(w, 0))]
            for g in ARMS:
                r = v.get("progression_improved", g, lv(w))
                cells += [F.n_of(r), F.est_ci(r)]
            d = v.get("progression_improved", "difference", lv(w))
            cells += [F.est_ci(d), F.p(d)]
            rows.append(cells)
        ctx.add_table(sec, Table(f"table-progression-improved-{name}",
                                 L("progression.table_improved", instrument=label,
                                   mic=L.number(float(mic), 0)),
                                 header, rows, [False, True, True, True, True, True, True]))

    # 4. the trajectory (mixed model) and whether progression predicts return to work
    slope = {g: v.get("progression_slope", g, name) for g in (*ARMS, "difference")}
    if any(r is not None for r in slope.values()):
        sec.blocks.append(Paragraph(L(
            "progression.slope", instrument=label, intervention=cell(slope["intervention"], 2),
            control=cell(slope["control"], 2), difference=cell(slope["difference"], 2,
                                                               sign=True),
            p=pp(slope["difference"]))))
    hr = v.get("progression_landmark_hr", "all", name)
    if hr is not None:
        landmark = hr.get("landmark_weeks")
        sec.blocks.append(Paragraph(L(
            "progression.landmark", instrument=label, hr=cell(hr, 2), p=pp(hr),
            persons=F.count(hr, "denominator"), events=F.count(hr, "numerator"),
            landmark=L.number(float(landmark), 0) if finite(landmark) else "?",
            mic=L.number(float(mic), 0) if mic is not None else "?")))


def _draw(means: pd.DataFrame, label: str, L: Any):
    def draw(ax: Any) -> None:
        plot_trajectory(means, ax=ax, ylabel=label, xlabel=L("progression.figure_x"), lang=L.lang,
                        labels={g: L.group(g) for g in ARMS})

    return draw
