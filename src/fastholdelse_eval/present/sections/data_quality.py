"""Data quality: the notes of loading, validation and analysis, in the reader's words.

Columns the data did not record come first, each with the metrics left out for it (from
``meta.not_recorded``, which the pipeline takes from the metric registry): a missing column
means *not recorded*, never 0, and the reader must be told which numbers are absent and why.
"""

from __future__ import annotations

from fastholdelse_eval.core import metrics
from fastholdelse_eval.data.localize import translate
from fastholdelse_eval.data.schema import COLUMN_ALIASES
from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Bullets, Paragraph, Section


class _K(dict):
    def __missing__(self, key: str) -> str:
        return "K"


def _label(ctx: Context, name: str) -> str:
    """A metric's display name; a family's parameters (``{weeks}``) shown as "K"."""
    label = metrics.get(name).label(ctx.L.lang)
    return label.format_map(_K({**ctx.L.defaults, **ctx.values}))


def not_recorded_lines(ctx: Context) -> list[str]:
    """One line per column not recorded, naming the metrics left out, in the report's
    language."""
    L, meta = ctx.L, ctx.cleared.meta
    lines = []
    for column, names in meta.not_recorded.items():
        spellings = "/".join(COLUMN_ALIASES.get(column, (column,)))
        key = "data_quality.column_empty" if column in meta.given_columns else \
            "data_quality.column_absent"
        lines.append(L(key, column=spellings,
                       metrics=", ".join(_label(ctx, n) for n in names)))
    return lines


def section(ctx: Context) -> Section | None:
    L = ctx.L
    sec = Section("data_quality", L("sections.data_quality"))
    # Notes are built by key (data/localize), so they are written in the report's language.
    notes = [*not_recorded_lines(ctx), *(translate(n, L.lang) for n in ctx.cleared.meta.notes)]
    if notes:
        sec.blocks += [Paragraph(L("data_quality.intro")), Bullets(list(notes))]
    else:
        sec.blocks.append(Paragraph(L("data_quality.none")))
    return sec
