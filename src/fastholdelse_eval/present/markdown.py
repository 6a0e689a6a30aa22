"""Markdown report: GitHub-flavoured tables; figures as SVG files next to the ``.md`` file.

Markdown cannot carry an inline figure portably, so each figure is written as
``<stem>-<figure id>.svg`` beside the report and linked relatively (no URL).
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from fastholdelse_eval.core.files import atomic_write
from fastholdelse_eval.present.document import Document
from fastholdelse_eval.present.labels import Labels

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#])")


def _md(text: object) -> str:
    """Escape Markdown syntax in running text (numbers and words stay readable)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _cell(text: object) -> str:
    return _md(text).replace("|", "\\|").replace("\n", " ")


def _table(table) -> str:
    """A GitHub pipe table; heading-only rows in bold."""
    lines = ["| " + " | ".join(_cell(h) for h in table.header) + " |",
             "|" + "|".join(" ---: " if num else " --- " for num in table.numeric) + "|"]
    for i, row in enumerate(table.rows):
        cells = [_cell(c) for c in row]
        if i in table.subheads and cells[0]:
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _env() -> Environment:
    env = Environment(loader=PackageLoader("fastholdelse_eval.present", "templates"),
                      autoescape=False, undefined=StrictUndefined, trim_blocks=False,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = _md
    env.filters["cell"] = _cell
    return env


def asset_name(stem: str, fig_id: str) -> str:
    return f"{stem}-{fig_id}.svg"


def render_markdown(doc: Document, stem: str = "report") -> str:
    """The Markdown text of a document; figures are referenced as ``asset_name(stem, id)``."""
    labels = Labels(doc.lang)
    text = _env().get_template("report.md.j2").render(
        doc=doc, figure_label=labels("report.figure"),
        asset=lambda fig: asset_name(stem, fig.id), table=_table)
    # Collapse runs of blank lines left by template control blocks.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def write_markdown(doc: Document, path: str | Path) -> list[Path]:
    """Write the report and its figure files; returns every path written."""
    path = Path(path)
    stem = path.stem
    written = []
    for fig in doc.figures():
        written.append(atomic_write(path.with_name(asset_name(stem, fig.id)), fig.svg))
    # The report last: it never points at a figure file that is not there yet.
    return [atomic_write(path, render_markdown(doc, stem)), *written]
