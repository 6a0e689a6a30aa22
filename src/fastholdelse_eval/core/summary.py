"""The terminal and notebook view of a tidy table: metric × group text cells.

Pure formatting of the tidy table (no statistics): shared by ``Evaluation.summary()`` and the
readable output of ``evaluate`` (:mod:`fastholdelse_eval.present.output`), so that the report
layer does not depend on the analyses. Numbers are plain ASCII (see
:mod:`fastholdelse_eval.core.formatting`); whether a metric is a share comes from the registry.
"""

from __future__ import annotations

import pandas as pd

from fastholdelse_eval.core import metrics
from fastholdelse_eval.core.formatting import Formatter

# The terminal and notebook view: plain ASCII numbers (see core.formatting).
TERMINAL = Formatter("plain")
# A one-group business case's columns: the stated reference and the comparison with it, named
# so in the output (an assumption, not an effect; analysis.business_case).
VS_REFERENCE = "vs_assumed_reference"
ONE_GROUP = ("assumed_reference", VS_REFERENCE)
# A group's median that its curve never reaches (the reports' words, present/*.toml
# [estimates]); the terminal's words are English, the Danish workbook sheet's Danish.
NOT_REACHED = {"da": "ikke nået"}


def _format_cell(metric: str, row: pd.Series, f: Formatter = TERMINAL,
                 not_reached: str = "not reached") -> str:
    est, low, high = row["estimate"], row["ci_low"], row["ci_high"]
    suppressed = row.get("suppressed", "")
    if isinstance(suppressed, str) and suppressed:
        return "suppressed (small count)" if suppressed == "primary" else "suppressed"
    if pd.isna(est):
        # a group's median is missing only when its curve never gets to one half (as in
        # present.context.Fmt.est_ci); an empty cell would read as "not computed"
        if str(metric).startswith("median_") and row["group"] in ("intervention", "control"):
            return not_reached
        return ""
    is_rate = _is_proportion(metric) and row["group"] in ("intervention", "control",
                                                           "difference", VS_REFERENCE)
    if metric == "n":
        return f.integer(est)
    if is_rate and row["group"] == "difference" and not _is_probability(metric):
        # A difference of two percentages is in percentage points, not per cent.
        text = f.points(est)
        if not pd.isna(low):
            text += f" ({f.interval(f.number(100 * low, 1, True), f.number(100 * high, 1, True))})"
    elif is_rate:
        text = f.percent(est)
        if not pd.isna(row["numerator"]):
            text = f"{f.integer(row['numerator'])}/{f.integer(row['denominator'])} = " + text
        if not pd.isna(low):
            text += f" ({f.interval(100 * low, 100 * high, 1)})"
    else:
        text = f.number(est, 2)
        if not pd.isna(low):
            text += f" ({f.interval(low, high, 2)})"
    if not pd.isna(row["p_value"]):
        text += "; " + p_text(row["p_value"])
    return text


def p_text(p: float) -> str:
    """``p = 0.012``, ``p < 0.001`` (never 6.38e-33: that precision is noise, not evidence)."""
    return "p < 0.001" if float(p) < 0.001 else f"p = {TERMINAL.fixed(float(p), 3)}"


def _is_proportion(metric: str) -> bool:
    found = metrics.lookup(metrics.target_base(metric))
    return found is not None and found.kind is metrics.Kind.PROPORTION


def _is_probability(metric: str) -> bool:
    # A probability reported in the difference column (the chance that the project saves
    # money) is a share in per cent, not a difference of two shares in points.
    found = metrics.lookup(metrics.target_base(metric))
    return found is not None and found.unit == "probability"


def _label(r: pd.Series) -> str:
    """The row's name: a sensitivity row also says which input was set how (one line each)."""
    parameter = r.get("parameter")
    if isinstance(parameter, str) and parameter:
        setting = r.get("setting")
        setting = f" {setting}" if isinstance(setting, str) and setting != parameter else ""
        value = r.get("value")
        value = "" if pd.isna(value) else f" = {TERMINAL.number(value, 2)}"
        return f"{r['metric']}: {parameter}{setting}{value}"
    return str(r["metric"])


def summary_frame(table: pd.DataFrame, style: str = "plain") -> pd.DataFrame:
    """Format a tidy table (one municipality) as metric × group text cells; ``style``: the
    number style of :mod:`fastholdelse_eval.core.formatting` (``plain``, ``da``, ``en``).

    A metric estimated twice for a group (e.g. an unadjusted and an adjusted hazard ratio)
    gets one line per estimator, the later ones labelled with their method.
    """
    f = TERMINAL if style == "plain" else Formatter(style)
    cells: dict[str, dict[str, str]] = {}
    # targets are judged, not estimated: their own view (see present.notebook)
    table = table[~table["metric"].astype(str).str.startswith(("target:", "target_"))]
    for _, r in table.iterrows():
        label = _label(r)
        if r["group"] in cells.get(label, {}):
            label = f"{r['metric']} ({r['method']})"
        cells.setdefault(label, {})[r["group"]] = _format_cell(
            r["metric"], r, f, NOT_REACHED.get(style, "not reached"))
    groups = [g for g in ("intervention", "control", "difference", "ratio", *ONE_GROUP)
              if any(g in v for v in cells.values())]
    # Rows in the table's order, whatever from_dict does with rows of different keys (pandas
    # 3.0.0 put the rows that have only a difference or a ratio last).
    out = pd.DataFrame.from_dict(cells, orient="index").reindex(index=list(cells),
                                                                columns=groups)
    out.index.name = "metric"
    return out.fillna("")
