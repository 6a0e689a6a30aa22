"""Design: how the comparison group was made comparable — method and estimand, effective
sample sizes and common support, balance before and after (table and love plot, with a verdict
against |SMD| < 0.1 and variance ratio 0.5–2), the weighted outcomes, and the caveat that
unmeasured differences remain. Present only when the evaluation was weighted or matched."""

from __future__ import annotations

import pandas as pd

from fastholdelse_eval.core import metrics
from fastholdelse_eval.plots.balance import plot_love
from fastholdelse_eval.present.context import ARMS, Context, finite
from fastholdelse_eval.present.document import Paragraph, Section, Table
from fastholdelse_eval.present.tables import compare_table, group_table

OUTCOMES = [m for m in metrics.in_section("design") if m.startswith("weighted_")]
SMD_LIMIT = 0.1
VR_RANGE = (0.5, 2.0)


def _balance_rows(ctx: Context) -> list[pd.Series]:
    t = ctx.v.t
    return [r for _, r in t[t["metric"].str.startswith("balance_")].iterrows()]


def _method(ctx: Context) -> str | None:
    t = ctx.v.t
    if "weighting" not in t.columns:
        return None
    found = [w for w in t["weighting"].dropna().astype(str) if w]
    return found[0] if found else None


def section(ctx: Context) -> Section | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    method = _method(ctx)
    if method is None:
        return None
    bal = _balance_rows(ctx)
    covs = list(dict.fromkeys(str(r["metric"])[len("balance_"):] for r in bal))
    sec = Section("design", L("sections.design"), [
        Paragraph(L(f"design.method_{method}")),
        # Given matched sets (register controls) use no propensity score for the weights.
        Paragraph(L("design.covariates_sets" if method == "sets" else "design.covariates",
                    covariates=", ".join(L.covariate(c) for c in covs))),
    ])
    # Effective sample sizes and common support.
    rows = []
    for g in ARMS:
        ess, out = v.get("effective_n", g), v.get("outside_support_rate", g)
        rows.append([L.group(g), F.count(ess, "denominator") if ess is not None else F.na,
                     F.hidden if ess is not None and ess["suppressed"] else
                     (L.number(ess["estimate"], 0) if ess is not None
                      and finite(ess["estimate"]) else F.na),
                     F.est_ci(out) if out is not None else F.na])
    ctx.add_table(sec, Table("table-design-size", L("design.size_caption"),
                             [L("columns.group"), L("design.col_persons"), L("design.col_ess"),
                              L("design.col_outside")], rows, [False, True, True, True]))
    # Balance before and after.
    table_rows, shown, unbalanced = [], [], []
    for r in bal:
        cov = str(r["metric"])[len("balance_"):]
        level = str(r["level"])
        name = L.covariate(cov) + (f": {F.level(level)}" if level else "")
        if (str(r["metric"]), level) in ctx.rare_levels:
            name = L.covariate(cov) + ": " + L("baseline.rare_level")
        if r["suppressed"]:
            table_rows.append([name, F.hidden, F.hidden, F.hidden, F.hidden])
            continue
        before, after = r.get("smd_before"), r["estimate"]
        vr0, vr1 = r.get("variance_ratio_before"), r.get("variance_ratio")
        table_rows.append([name, _num(L, before), _num(L, after), _num(L, vr0), _num(L, vr1)])
        shown.append({"covariate": L.covariate(cov), "level": F.level(level) if level else "",
                      "smd_before": before, "smd_after": after})
        ok = finite(after) and abs(after) < SMD_LIMIT and (
            not finite(vr1) or VR_RANGE[0] <= vr1 <= VR_RANGE[1])
        if not ok:
            unbalanced.append(name)
    if table_rows:
        ctx.add_table(sec, Table("table-design-balance", L("design.balance_caption"),
                                 [L("columns.characteristic"), L("design.col_smd_before"),
                                  L("design.col_smd_after"), L("design.col_vr_before"),
                                  L("design.col_vr_after")], table_rows,
                                 [False, True, True, True, True]))
    if shown:
        frame = pd.DataFrame(shown)

        def draw(ax):
            plot_love(frame, ax=ax, label_before=L("design.love_before"),
                      label_after=L("design.love_after"), xlabel=L("design.love_x"),
                      lang=L.lang)

        ctx.add_figure(sec, ctx.render_figure("fig-love", L("design.love_title"),
                                              L("design.love_desc"), draw,
                                              size=(7.0, 0.32 * len(frame) + 1.4)))
    sec.blocks.append(Paragraph(
        L("design.verdict_unbalanced", covariates=", ".join(unbalanced)) if unbalanced
        else L("design.verdict_balanced")))
    outcomes = [m for m in OUTCOMES if v.has(m)]
    for t in (group_table(v, F, L, outcomes, "table-design-outcomes", L("sections.design")),
              compare_table(v, F, L, outcomes, "table-design-comparison",
                            L("sections.design"))):
        if t is not None:
            ctx.add_table(sec, t)
    sec.blocks.append(Paragraph(L("design.caveat"), "note"))
    return sec


def _num(L, x: object) -> str:
    return L.number(float(x), 2) if finite(x) else ""
