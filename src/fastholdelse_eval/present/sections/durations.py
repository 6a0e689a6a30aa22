"""Durations: time on benefit (censoring-aware), its comparison, and the survival curves.

A group's curve is drawn only if disclosure control cleared every row it reveals (see
:mod:`fastholdelse_eval.privacy.figures`); a note under the figure names the groups left out,
and a figure with no group left is replaced by a note.
"""

from __future__ import annotations

from fastholdelse_eval.core import metrics
from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Paragraph, Section
from fastholdelse_eval.present.figures import Draw
from fastholdelse_eval.present.inputs import ClearedFigure
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.present.sections.reference import rename_groups
from fastholdelse_eval.present.tables import compare_table, group_table

METRICS = metrics.in_section("durations")


def _draw(fig: ClearedFigure, labels: Labels) -> Draw:
    spec = fig.spec

    def draw(ax):
        spec.plot(list(fig.groups), ax=ax, coarsen=fig.coarsen, title="", lang=labels.lang,
                  xlabel=labels(f"{spec.labels}_x"),
                  ylabel=labels(f"{spec.labels}_y"))
        rename_groups(ax, labels)

    return draw


def section(ctx: Context) -> Section | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    durations = [m for m in METRICS if v.has(m)]
    figs = [f for f in ctx.cleared.figures if f.spec.section == "durations"]
    if not durations and not any(f.groups for f in figs):
        return None
    sec = Section("durations", L("sections.durations"), [Paragraph(L("durations.intro"))])
    for t in (group_table(v, F, L, durations, "table-durations", L("sections.durations")),
              compare_table(v, F, L, durations, "table-durations-comparison",
                            L("sections.durations"))):
        if t is not None:
            ctx.add_table(sec, t)
    for f in figs:
        title = L(f"{f.spec.labels}_title")
        if not f.groups:
            sec.blocks.append(Paragraph(L("durations.figure_hidden", title=title), "note"))
            continue
        ctx.add_figure(sec, ctx.render_figure(f.spec.id, title, L(f"{f.spec.labels}_desc"),
                                              _draw(f, L)))
        if f.hidden:
            groups = ", ".join(L.group(g) for g in f.hidden)
            sec.blocks.append(Paragraph(L("durations.figure_groups_hidden", groups=groups),
                                        "note"))
    return sec
