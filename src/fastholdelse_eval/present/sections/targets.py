"""Targets: each target of the study in words, what was observed, and whether it was met."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fastholdelse_eval.core.metric_types import ARMS
from fastholdelse_eval.present.context import Context, Fmt, finite, kind_of
from fastholdelse_eval.present.document import Paragraph, Section, Table
from fastholdelse_eval.present.labels import Labels


def section(ctx: Context) -> Section | None:
    L, v = ctx.L, ctx.v
    target_rows = v.t[v.t["metric"].str.startswith("target:")]
    if not len(target_rows):
        return None
    sec = Section("targets", L("sections.targets"), [Paragraph(L("targets.intro"))])
    # targets on a level ("at least 50 %", analysis.absolute_targets) are judged per group
    levels = [t for t in ctx.cleared.meta.targets if getattr(t, "per_group", False)]
    unused = [t for t in ctx.cleared.meta.targets if t not in levels]
    rows = [_level_row(r, levels, ctx.F, L) if r["group"] in ARMS
            else _target_row(r, unused, ctx.F, L) for _, r in target_rows.iterrows()]
    notes = [L("targets.note")] if (~target_rows["group"].isin(ARMS)).any() else []
    if target_rows["group"].isin(ARMS).any():  # a level ("at least 50 %"), judged per group
        notes.append(L("target_levels.note"))
    ctx.add_table(sec, Table("table-targets", L("sections.targets"),
                             [L("columns.target"), L("columns.observed"), L("columns.status")],
                             rows, [False, True, False], notes=notes))
    return sec


def _target_row(r: pd.Series, unused: list[Any], F: Fmt, L: Labels) -> list[str]:
    """[target in words, observed (CI), status] for one ``target:<metric>`` row."""
    judged = r["metric"].split(":", 1)[1]
    relative = r["group"] == "ratio"
    spec = next((t for t in unused if t.judged_metric == judged
                 and (t.absolute is None) == relative), None)
    if spec is not None:
        unused.remove(spec)
    name = (spec.label if spec is not None and spec.label else
            L.metric(spec.metric if spec is not None and L.metric(spec.metric) != spec.metric
                     else judged))
    direction = spec.direction if spec is not None else "higher"
    if spec is not None and spec.relative:
        goal = L(f"targets.relative_{direction}", amount=L.percent(spec.relative, 0))
    elif spec is not None and spec.absolute:
        amount = (L.fmt["points"].format(value=L.number(100 * spec.absolute, 1))
                  if kind_of(judged) == "rate" else
                  L("targets.weeks", value=L.number(spec.absolute, 1))
                  if kind_of(judged) == "weeks" else L.number(spec.absolute, 2))
        goal = L(f"targets.absolute_{direction}", amount=amount)
    else:
        goal = L(f"targets.any_{direction}")
    if r.get("suppressed", ""):
        observed, status = F.hidden, "hidden"
    else:
        if relative:
            observed = L.percent(r["estimate"], 1, sign=True) if finite(r["estimate"]) \
                else F.na
            if finite(r["ci_low"]) and finite(r["ci_high"]):
                observed += " (" + L.interval(L.number(100 * r["ci_low"], 1),
                                              L.number(100 * r["ci_high"], 1)) + ")"
        else:
            observed = F.est_ci(pd.Series({**r.to_dict(), "metric": judged}))
        met_point, met_ci = r.get("met_point", pd.NA), r.get("met_ci", pd.NA)
        if pd.isna(met_point):
            status = "not_available"
        elif not pd.isna(met_ci) and bool(met_ci):
            status = "met_confidently"
        else:
            status = "met" if bool(met_point) else "not_met"
    return [f"{name}: {goal}", observed, L(f"targets.{status}")]


def _level_row(r: pd.Series, levels: list[Any], F: Fmt, L: Labels) -> list[str]:
    """[target in words (group), observed (CI; one-sided p), status] for a target on a level
    judged in one group (see docs/targets.md)."""
    judged = r["metric"].split(":", 1)[1]
    spec = next((t for t in levels if t.judged_metric == judged
                 and t.value == r.get("target_value")), None)
    value = float(r.get("target_value", float("nan")))
    amount = (L.percent(value, 0) if kind_of(judged) == "rate"
              else L("targets.weeks", value=L.number(value, 0 if value == int(value) else 1)))
    direction = spec.direction if spec is not None else "at_least"
    name = spec.label if spec is not None and spec.label else L.metric(
        spec.metric if spec is not None and L.metric(spec.metric) != spec.metric else judged)
    group = L("groups." + r["group"]).lower()
    goal = f"{name}: {L('target_levels.' + direction, amount=amount)} ({group})"
    if r.get("suppressed", ""):
        return [goal, F.hidden, L("targets.hidden")]
    verdict = r.get("verdict", "")
    if not verdict or pd.isna(verdict):
        return [goal, F.na, L("targets.not_available")]
    observed = F.est_ci(pd.Series({**r.to_dict(), "metric": judged}))
    if finite(r["p_value"]):
        observed += "; " + L("target_levels.p", p=L.p_phrase(r["p_value"]))
    status = {"met with confidence": "targets.met_confidently",
              "possibly met": "targets.met"}.get(verdict, "targets.not_met")
    # not met by the estimate, yet the interval still reaches the target: say so
    open_end = r["ci_high"] if direction == "at_least" else r["ci_low"]
    if status == "targets.not_met" and finite(open_end) and (
            open_end >= value if direction == "at_least" else open_end <= value):
        status = "target_levels.not_met_open"
    return [goal, observed, L(status)]
