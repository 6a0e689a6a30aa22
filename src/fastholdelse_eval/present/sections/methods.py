"""Methods: the design, every metric shown with its definition, the estimators cited."""

from __future__ import annotations

from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Definitions, Paragraph, Section
from fastholdelse_eval.present.labels import in_language
from fastholdelse_eval.present.sections import baseline, business_case, municipalities
from fastholdelse_eval.privacy.cross_site import SITES_LEVEL


def section(ctx: Context) -> Section | None:
    L, v = ctx.L, ctx.v
    meta = ctx.cleared.meta
    sec = Section("methods", L("sections.methods"))
    description = in_language(meta.description, L.lang)
    if description:
        sec.blocks.append(Paragraph(f"{L('methods.design')}: {description}"))
    if v.one_group:
        sec.blocks.append(Paragraph(L("one_group.methods")))
    sec.blocks.append(Paragraph(L("methods.intro")))
    # baseline rows get one entry below; target rows are explained in their own section
    shown = [m for m in v.metrics()
             if not m.startswith(("baseline_", "target_", "target:", "balance_"))]
    own = business_case.definitions(ctx)
    defs = [(L.metric(m), d) for m in shown
            if (d := own.get(m) or L.definition(m, **ctx.values))]
    if baseline.metrics(ctx):
        defs.append((L.metric("baseline"), L.definition("baseline")))
    sec.blocks.append(Paragraph(L("methods.metrics_heading"), "heading"))
    sec.blocks.append(Definitions(defs))
    methods: list[str] = []
    own_rows = v.t[v.t["level"] != SITES_LEVEL]  # the comparison's estimators: see below
    for code in dict.fromkeys(m for m in own_rows["method"] if m):
        methods += L.method_keys(code) or [code]
        if code == "newcombe" and ((own_rows["method"] == code)
                                   & own_rows["p_value"].notna()).any():
            methods.append("fisher")  # p-values of Newcombe differences are Fisher's exact
    if ctx.sites_shown:
        methods += list(municipalities.METHODS)
    refs = []
    for code in dict.fromkeys(methods):
        entry = L.method(code)
        if entry is None:
            refs.append((code, ""))
        elif entry[1] or code not in ("count", "proportion", "mean", "target"):
            refs.append(entry)
    sec.blocks.append(Paragraph(L("methods.estimators_heading"), "heading"))
    sec.blocks.append(Definitions(refs))
    sec.blocks.append(Paragraph(L("methods.level")))
    if "newcombe" in methods:  # one interval per number: say which one, and where
        sec.blocks.append(Paragraph(L("methods.intervals_sites" if ctx.sites_shown
                                      else "methods.intervals")))
    return sec
