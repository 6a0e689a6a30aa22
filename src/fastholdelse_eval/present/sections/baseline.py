"""Baseline: the groups' characteristics at start, with standardised mean differences."""

from __future__ import annotations

import numpy as np

from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Paragraph, Section, Table


def metrics(ctx: Context) -> list[str]:
    return [m for m in ctx.v.metrics() if m.startswith("baseline_")]


def section(ctx: Context) -> Section | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    base_metrics = metrics(ctx)
    if not base_metrics:
        return None
    # one group (participants only): its own column, no standardised difference
    arms, smd = v.arms, not v.one_group
    intro = L("one_group.baseline_intro") if v.one_group else L("baseline.intro")
    sec = Section("baseline", L("sections.baseline"), [Paragraph(intro)])
    header = [L("columns.characteristic"), *(L.group(g) for g in arms),
              *([L("columns.smd")] if smd else [])]
    rows, subheads = [], set()
    for m in base_metrics:
        levels = list(dict.fromkeys(v.t.loc[v.t["metric"] == m, "level"]))
        if levels == [""]:
            cells = [L.metric(m)]
            for g in arms:
                r = v.get(m, g)
                if r is None or r["suppressed"]:
                    cells.append(F.hidden if r is not None else F.na)
                else:
                    cells.append(L("baseline.mean_sd", mean=F.value(m, g, r["estimate"]),
                                   sd=L.number(r.get("sd", np.nan), 1)))
            if smd:
                cells.append(F.est_ci(v.get(m, "difference")))
            rows.append(cells)
            continue
        subheads.add(len(rows))
        rows.append([L.metric(m)] + [""] * (len(header) - 1))
        for level in levels:
            arm_rows = [v.get(m, g, level) for g in arms]
            # A category nobody can be counted in may itself identify someone (a rare
            # diagnosis): its name goes too.
            rare = all(r is None or r["numerator_mask"] or r["numerator"] == 0
                       for r in arm_rows)
            if rare:
                ctx.rare_levels.add((m, level))
            cells = [L("baseline.rare_level") if rare else F.level(level)]
            for g in arms:
                r = v.get(m, g, level)
                pct = "" if r is None or r["suppressed"] else f" ({L.percent(r['estimate'])})"
                cells.append(F.count(r) + pct)
            if smd:
                cells.append(F.est_ci(v.get(m, "difference", level)))
            rows.append(cells)
    ctx.add_table(sec, Table("table-baseline", L("sections.baseline"), header, rows,
                             [False] + [True] * (len(header) - 1), subheads=subheads))
    return sec
