"""Software: the package version and the input files with their checksums."""

from __future__ import annotations

from pathlib import Path

from fastholdelse_eval.core.version import __version__
from fastholdelse_eval.present.context import Context
from fastholdelse_eval.present.document import Paragraph, Section, Table


def section(ctx: Context) -> Section | None:
    L = ctx.L
    sec = Section("software", L("sections.software"),
                  [Paragraph(L("software.version", version=__version__))])
    sources = ctx.cleared.meta.sources
    if sources:
        sec.blocks.append(Paragraph(L("software.files")))
        ctx.add_table(sec, Table("table-files", L("sections.software"),
                                 [L("columns.file"), L("columns.sha256")],
                                 [[Path(s.path).name, s.sha256] for s in sources],
                                 [False, False]))
    else:
        sec.blocks.append(Paragraph(L("software.none")))
    return sec
