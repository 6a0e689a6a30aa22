"""Comparison with a reference: the participants against reference figures or a historic
cohort — labelled as a comparison with a reference, not a controlled effect."""

from __future__ import annotations

import pandas as pd

from fastholdelse_eval.plots.words import Words
from fastholdelse_eval.present.context import Context, finite
from fastholdelse_eval.present.document import Paragraph, Section, Table
from fastholdelse_eval.present.labels import Labels

HISTORIC = "historic reference"  # the ``comparison`` column's value (analysis/reference.py)


def relabel(L: Labels, table: pd.DataFrame) -> None:
    """Name the control group "Historic reference" in tables when it is one, and put the
    historic reference's words in place of the control group's in the running text
    (``[reference.historic_words]``: ``"table.key" = text``); figures follow through
    :func:`rename_groups`, which reads the same label."""
    if "comparison" in table.columns and bool((table["comparison"] == HISTORIC).any()):
        # copies: L.data is the language's cached words, shared by every later report
        data = {**L.data, "groups": {**L.data["groups"],
                                     "control": L("reference.group_historic")}}
        for dotted, text in L.data["reference"]["historic_words"].items():
            table_name, key = dotted.split(".")
            data[table_name] = {**data[table_name], key: text}
        L.data = data


def rename_groups(ax, L: Labels) -> None:
    """Name a historic cohort drawn as "Control" "Historic reference" in a drawn figure's
    legend and numbers-at-risk labels, as :func:`relabel` names it in the tables. Words only;
    nothing is drawn again."""
    historic = L("reference.group_historic")
    if L.group("control") != historic:  # the plot words stand (they may be shorter on purpose)
        return
    swaps = {Words(L.lang).group("control"): historic}
    legend = ax.get_legend()
    texts = [*(legend.get_texts() if legend else []), *ax.texts]
    for text in texts:
        label = text.get_text()
        for old, new in swaps.items():
            if label == old or label.startswith(old + " ("):
                text.set_text(new + label[len(old):])


def section(ctx: Context) -> Section | None:
    L, F, v = ctx.L, ctx.F, ctx.v
    t = v.t
    rows = t[t["metric"].str.startswith("reference:")]
    historic = "comparison" in t.columns and bool((t["comparison"] == HISTORIC).any())
    if rows.empty and not historic:
        return None
    labels = [x for x in (t["reference_label"] if "reference_label" in t.columns else [])
              if isinstance(x, str) and x]
    label = labels[0] if labels else L("reference.unnamed")
    sec = Section("reference", L("sections.reference"),
                  [Paragraph(L("reference.historic" if historic else "reference.numbers",
                               label=label))])
    if rows.empty:
        return sec
    body = []
    for metric in dict.fromkeys(rows["metric"]):
        base = metric.split(":", 1)[1]
        mine = rows[rows["metric"] == metric].set_index("group")
        own = t[(t["metric"] == base) & (t["group"] == "intervention")]

        def shown(row: pd.Series | None, group: str, base: str = base) -> str:
            if row is None:
                return F.na
            return F.est_ci(pd.Series({**row.to_dict(), "metric": base, "group": group}))

        ref = mine.loc["reference"] if "reference" in mine.index else None
        if ref is not None:  # as a group's figure (a share, not points)
            ref = pd.Series({**ref.to_dict(), "group": "reference"})
        diff = mine.loc["difference"] if "difference" in mine.index else None
        p = diff["p_value"] if diff is not None and not diff.get("suppressed", "") else None
        body.append([L.metric(base),
                     shown(own.iloc[0], "intervention") if len(own) else F.na,
                     shown(ref, "intervention"),
                     shown(diff, "difference"),
                     L.p_value(p) if p is not None and finite(p) else F.na])
    ctx.add_table(sec, Table(
        "table-reference", L("reference.caption", label=label),
        [L("reference.metric"), L("reference.participants"), L("reference.reference"),
         L("reference.difference"), "p"],
        body, [False, True, True, True, True], notes=[L("reference.note")]))
    return sec
