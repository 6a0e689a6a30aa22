"""Targets: each target of the study in words, what was observed, and whether it was met."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fastholdelse_eval.present.context import Context, Fmt, finite, kind_of
from fastholdelse_eval.present.document import Paragraph, Section, Table
from fastholdelse_eval.present.labels import Labels


def section(ctx: Context) -> Section | None:
    L, v = ctx.L, ctx.v
    target_rows = v.t[v.t["metric"].str.startswith("target:")]
    if not len(target_rows):
        return None
    sec = Section("targets", L("sections.targets"), [Paragraph(L("targets.intro"))])
    unused = list(ctx.cleared.meta.targets)
    rows = [_target_row(r, unused, ctx.F, L) for _, r in target_rows.iterrows()]
    ctx.add_table(sec, Table("table-targets", L("sections.targets"),
                             [L("columns.target"), L("columns.observed"), L("columns.status")],
                             rows, [False, True, False], notes=[L("targets.note")]))
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
