"""Disclosure control: the policy in plain words and the log of every hidden cell."""

from __future__ import annotations

from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Paragraph, Section, Table


def section(ctx: Context) -> Section | None:
    L, F, c = ctx.L, ctx.F, ctx.cleared
    sec = Section("suppression", L("sections.suppression"))
    thr = {"threshold": L.integer(c.threshold), "below": L.integer(c.threshold - 1)}
    if not c.enabled:
        sec.blocks.append(Paragraph(L("suppression.off", **thr), "warning"))
        return sec
    sec.blocks.append(Paragraph(L("suppression.policy", **thr)))
    log = c.log.drop_duplicates(["municipality", "metric", "group", "level", "reason"])
    if not len(log):
        sec.blocks.append(Paragraph(L("suppression.none")))
        return sec
    rows = []
    for _, r in log.iterrows():
        level = r["level"]
        if (r["metric"], level) in ctx.rare_levels or (
                level and r["metric"].startswith("baseline_") and r["municipality"] != ctx.muni):
            level = L("baseline.rare_level")  # never name a rare category
        who = L.metric(r["metric"]) + (f": {F.level(level)}" if level and
                                       not level.startswith("@") else "")
        if r["municipality"] not in ("all", ctx.muni):
            who = f"{r['municipality']} — {who}"
        rows.append([who, L.group(r["group"]), L(f"suppression.{r['reason']}", **thr)])
    ctx.add_table(sec, Table("table-suppression", L("sections.suppression"),
                             [L("columns.cell"), L("columns.group"), L("columns.reason")],
                             rows, [False, False, False]))
    return sec
