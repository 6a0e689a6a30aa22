"""Self-contained HTML report: one file, inline CSS and SVG figures, no URL of any kind."""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from fastholdelse_eval.core.files import atomic_write
from fastholdelse_eval.core.version import __version__
from fastholdelse_eval.present.document import Document
from fastholdelse_eval.present.labels import Labels


def _env() -> Environment:
    env = Environment(loader=PackageLoader("fastholdelse_eval.present", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num_cell"] = num_cell
    env.filters["num_header"] = num_header
    return env


_NB = Markup('<span class="nb">{}</span>')


def num_cell(text: object) -> Markup:
    """A numeric cell as unbreakable parts: the estimate, and its bracket ("(SD 8.8)",
    "(9.2 to 28.3)") if it has one. On a phone the stylesheet lets a cell break only between
    the two, so a table a little too wide for the screen fits by taking two lines in its widest
    cells instead of showing its last column cut in half; nothing breaks inside a number."""
    head, sep, tail = str(text).partition(" (")
    parts = [head, f"({tail}"] if sep else [head]
    return Markup(" ").join(_NB.format(p) for p in parts)


def num_header(text: object) -> Markup:
    """A numeric column's header: its words may break on a phone, its closing bracket
    ("(95% CI)") stays whole, so a line never starts with "CI)"."""
    head, sep, tail = str(text).rpartition(" (")
    if not sep:
        return Markup.escape(text)
    return Markup("{} ").format(head) + _NB.format(f"({tail}")


# The smallest text a reader should meet (CSS px); figures scroll in their box rather than
# shrink their text below it.
MIN_TEXT_PX = 9.0


def min_width(svg: str) -> int:
    """The narrowest width (CSS px) at which every text of an inline SVG is still at least
    :data:`MIN_TEXT_PX` high: the SVG scales with its box, so its text scales with it."""
    box = re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) [\d.]+"', svg)
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]
    if box is None or not sizes:
        return 0
    return math.ceil(float(box.group(1)) * MIN_TEXT_PX / min(sizes))


def render_html(doc: Document) -> str:
    """The complete HTML page of a document (deterministic for the same document)."""
    labels = Labels(doc.lang)
    css = resources.files(__package__).joinpath("templates/report.css").read_text("utf-8")
    return _env().get_template("report.html.j2").render(
        doc=doc, css=css.strip(), version=__version__, toc=labels("report.toc"),
        figure_label=labels("report.figure"), min_width=min_width)


def write_html(doc: Document, path: str | Path) -> list[Path]:
    return [atomic_write(path, render_html(doc))]
