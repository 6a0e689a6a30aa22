"""Data quality: the notes of loading, validation and analysis, in the reader's words."""

from __future__ import annotations

from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Bullets, Paragraph, Section


def section(ctx: Context) -> Section | None:
    L = ctx.L
    sec = Section("data_quality", L("sections.data_quality"))
    notes = ctx.cleared.meta.notes
    if notes:
        sec.blocks += [Paragraph(L("data_quality.intro")), Bullets(list(notes))]
    else:
        sec.blocks.append(Paragraph(L("data_quality.none")))
    return sec
