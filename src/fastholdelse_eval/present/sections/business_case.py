"""What does the intervention save? The business case in plain words: the assumptions, the
savings with their intervals read aloud, the split by payer, the sensitivity table and its
tornado plot, and (several municipalities) what a new municipality can expect.

A study of participants only is compared with an assumed reference (rows of group
``vs_assumed_reference``): the intro, a first assumption and the read-aloud sentence say so, and
the sensitivity table varies the reference instead of the horizon.

Every number comes from the cleared table (the sensitivity rows too, so the tornado plot draws
only cleared values); the assumptions come from the study's options in the report's metadata.
"""

from __future__ import annotations

from fastholdelse_eval.core import metrics
from fastholdelse_eval.plots.tornado import tornado_plot
from fastholdelse_eval.present.context import Context, finite
from fastholdelse_eval.present.document import Bullets, Paragraph, Section, Table
from fastholdelse_eval.privacy.cross_site import SITES_LEVEL

METRICS = metrics.in_section("business_case")
SENSITIVITY = "business_case_sensitivity"
APART = {SENSITIVITY, "probability_saves_money", "net_saving_new_municipality"}
PARAMETERS = ("effect", "horizon", "reference", "rate", "cost")
VS_REFERENCE = "vs_assumed_reference"  # analysis.business_case.VS_REFERENCE (not imported:
# present reads only the cleared table)


def _row_of(v, metric: str, level: str = ""):
    for group in ("difference", VS_REFERENCE, "intervention", "assumed_reference"):
        r = v.get(metric, group, level)
        if r is not None:
            return r
    return None


def _shown(r) -> bool:
    return r is not None and not r.get("suppressed", "") and finite(r["estimate"])


def _reference_assumptions(ctx: Context, opts, horizon: str) -> list[str]:
    """The assumed reference first: the comparison rests on it."""
    L = ctx.L
    out = [L("business_case.assume_reference", weeks=L.number(opts.reference_weeks, 1),
             horizon=horizon)]
    if opts.reference_se:
        out.append(L("business_case.assume_reference_se", se=L.number(opts.reference_se, 1)))
    else:
        out.append(L("business_case.assume_reference_no_se"))
    if opts.reference_low is not None:
        out.append(L("business_case.assume_reference_range", low=L.number(opts.reference_low, 1),
                     high=L.number(opts.reference_high, 1)))
    return out


def _assumptions(ctx: Context, opts, one_group: bool, horizon: str) -> list[str]:
    L = ctx.L
    kr = L.integer
    out = _reference_assumptions(ctx, opts, horizon) if one_group else []
    out += [L("business_case.assume_rate", rate=kr(opts.weekly_benefit),
             year=opts.benefit_year if opts.benefit_year else L("business_case.no_year"))]
    steps = opts.schedule
    if len(steps) == 1:
        out.append(L("business_case.assume_share", share=L.percent(steps[0][1], 0)))
    else:
        parts = [L("business_case.share_step", week=L.number(w, 0), share=L.percent(s, 0))
                 for w, s in steps]
        out.append(L("business_case.assume_schedule", steps="; ".join(parts)))
    out.append(L("business_case.assume_cost", fixed=kr(opts.cost_per_participant),
                 weekly=kr(opts.cost_per_week),
                 payer=L(f"business_case.payer_{opts.cost_payer}")))
    out.append(L("business_case.assume_weeks"))
    if opts.value_of_work_week is not None:
        out.append(L("business_case.assume_societal", value=kr(opts.value_of_work_week)))
    if opts.bootstrap:
        out.append(L("business_case.assume_bootstrap", b=kr(opts.bootstrap), seed=opts.seed))
    return out


def _read_aloud(ctx: Context, horizon: str, one_group: bool) -> list[Paragraph]:
    L, v = ctx.L, ctx.v
    w, net = _row_of(v, "benefit_weeks_saved"), _row_of(v, "net_saving_per_participant")
    cost, gross = _row_of(v, "project_cost_per_participant"), \
        _row_of(v, "gross_saving_per_participant")
    prob = _row_of(v, "probability_saves_money")
    if not all(_shown(r) for r in (w, net, cost, gross)):
        return [Paragraph(L("business_case.hidden"), "note")]
    kr = L.integer
    ci = {"weeks": L.number(w["estimate"], 1), "low": L.number(w["ci_low"], 1),
          "high": L.number(w["ci_high"], 1), "horizon": horizon}
    part, ref = _row_of(v, "participants_benefit_weeks"), \
        _row_of(v, "assumed_reference_benefit_weeks")
    if one_group and _shown(part) and _shown(ref):
        text = L("business_case.read_weeks_reference", **ci,
                 participants=L.number(part["estimate"], 1),
                 reference=L.number(ref["estimate"], 1))
    elif one_group:
        return [Paragraph(L("business_case.hidden"), "note")]
    else:
        text = L("business_case.read_weeks", **ci)
    text += " " + L("business_case.read_money", gross=kr(gross["estimate"]),
                    cost=kr(cost["estimate"]), net=kr(net["estimate"]),
                    low=kr(net["ci_low"]), high=kr(net["ci_high"]))
    if _shown(prob):
        text += " " + L("business_case.read_probability", p=L.percent(prob["estimate"], 1))
        boot = prob.get("bootstrap_estimate")
        if finite(boot):
            text += " " + L("business_case.read_probability_boot", p=L.percent(float(boot), 1))
    return [Paragraph(text)]


def _main_table(ctx: Context, one_group: bool) -> Table | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    first = ["participants_benefit_weeks", "assumed_reference_benefit_weeks"]  # one group
    names = first + [m for m in METRICS if m not in APART and m not in first]
    names += [m for m in v.metrics() if m.startswith("benefit_weeks_saved_weeks_")]
    rows = []
    for m in names:
        r = _row_of(v, m)
        if r is None:
            continue
        boot = ""
        if not r.get("suppressed", "") and finite(r.get("bootstrap_ci_low")) and \
                finite(r.get("bootstrap_ci_high")):
            boot = L.interval(F.bound(m, r["group"], float(r["bootstrap_ci_low"])),
                              F.bound(m, r["group"], float(r["bootstrap_ci_high"])))
        rows.append([L.metric(m), F.est_ci(r), boot])
    if not rows:
        return None
    caption = L("business_case.table_caption_reference" if one_group else
                "business_case.table_caption")
    return Table("table-business-case", caption,
                 [L("columns.outcome"), L("columns.estimate_ci"),
                  L("business_case.column_bootstrap")], rows, [False, True, True])


def _parameter(ctx: Context, p: str, one_group: bool) -> str:
    """An assumption's name; against an assumed reference the effect is weeks saved against
    it (there is no control group)."""
    key = "effect_reference" if one_group and p == "effect" else p
    return ctx.L(f"business_case.parameter_{key}")


def definitions(ctx: Context) -> dict[str, str]:
    """Methods' definitions that this section words differently: a one-group report's weeks
    saved are against the assumed reference (the registry's definition names a control group)."""
    if ctx.v.get("benefit_weeks_saved", VS_REFERENCE) is None:
        return {}
    return {"benefit_weeks_saved": ctx.L("business_case.definition_reference")}


def _sensitivity(ctx: Context, one_group: bool) -> tuple[Table | None, list[dict]]:
    L, v = ctx.L, ctx.v
    shown = [r for r in v.rows(SENSITIVITY) if not r.get("suppressed", "")]
    if not shown:
        return None, []
    records = []
    rows = []
    for r in shown:
        p, s = str(r["parameter"]), str(r["setting"])
        value = r.get("value")
        if p == "rate" or p == "cost":
            text = L.integer(float(value)) + " kr."
        elif p in ("effect", "horizon", "reference"):
            text = L.number(float(value), 1) + " " + L("business_case.weeks")
        else:
            text = ""
        rows.append([_parameter(ctx, p, one_group), L(f"business_case.setting_{s}"), text,
                     L.integer(r["estimate"]) if finite(r["estimate"]) else L.fmt["na"]])
        records.append({"parameter": p, "setting": s, "value": value,
                        "net_saving_per_participant": r["estimate"]})
    table = Table("table-business-case-sensitivity", L("business_case.sensitivity_caption"),
                  [L("business_case.column_parameter"), L("business_case.column_setting"),
                   L("business_case.column_value"), L("business_case.column_net")], rows,
                  [False, False, True, True])
    return table, records


def section(ctx: Context) -> Section | None:
    L, v = ctx.L, ctx.v
    if not any(_row_of(v, m) is not None for m in METRICS):
        return None
    opts = ctx.cleared.meta.business_case
    one_group = _row_of(v, "benefit_weeks_saved") is not None and \
        v.get("benefit_weeks_saved", VS_REFERENCE) is not None
    horizon = ctx.values.get("horizon_weeks", "?")
    if one_group and opts is not None and opts.horizon_weeks is not None:
        horizon = L.number(opts.horizon_weeks, 0)  # the reference's horizon, stated with it
    intro = L("business_case.intro_reference", horizon=horizon) if one_group else \
        L("business_case.intro", **ctx.values)
    sec = Section("business-case", L("sections.business_case"), [Paragraph(intro)])
    if opts is not None:
        sec.blocks.append(Paragraph(L("business_case.assumptions")))
        sec.blocks.append(Bullets(_assumptions(ctx, opts, one_group, horizon)))
    sec.blocks += _read_aloud(ctx, horizon, one_group)
    main = _main_table(ctx, one_group)
    if main is not None:
        ctx.add_table(sec, main)
    table, records = _sensitivity(ctx, one_group)
    if table is not None:
        # ± of rate and cost: the study's own setting (default 25 %)
        pct = L.percent(opts.sensitivity if opts is not None else 0.25, 0)
        key = "sensitivity_intro_reference" if one_group else "sensitivity_intro"
        sec.blocks.append(Paragraph(L(f"business_case.{key}", pct=pct, horizon=horizon)))
        ctx.add_table(sec, table)
        names = {p: _parameter(ctx, p, one_group) for p in PARAMETERS}

        def draw(ax):
            tornado_plot(records, ax=ax, labels=names, xlabel=L("business_case.tornado_x"),
                         low_label=L("business_case.setting_low"),
                         high_label=L("business_case.setting_high"),
                         base_label=L("business_case.setting_base"), lang=L.lang)

        ctx.add_figure(sec, ctx.render_figure("fig-tornado", L("business_case.tornado_title"),
                                              L("business_case.tornado_desc"), draw,
                                              size=(7.0, 3.2)))
    new = v.get("net_saving_new_municipality", "difference", SITES_LEVEL)
    pooled = v.get("net_saving_per_participant", "difference", SITES_LEVEL)
    if _shown(new) and _shown(pooled):
        kr = L.integer
        sec.blocks.append(Paragraph(L(
            "business_case.pooled", net=kr(pooled["estimate"]), low=kr(pooled["ci_low"]),
            high=kr(pooled["ci_high"]), pi_low=kr(new["ci_low"]), pi_high=kr(new["ci_high"]))))
    elif new is not None:
        sec.blocks.append(Paragraph(L("business_case.pooled_hidden"), "note"))
    return sec
