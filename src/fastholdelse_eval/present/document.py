"""The report's document model: sections of formatted blocks, laid out by the renderers.

Every number in a :class:`Document` is already formatted text in the report's language; the
HTML, Markdown and PDF renderers only lay the blocks out, so all three show the same characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastholdelse_eval.present.figures import Rendered


@dataclass
class Paragraph:
    type = "paragraph"  # block type for templates (a class attribute, not a field)
    text: str
    kind: str = "p"  # "p" | "note" | "heading" | "warning"


@dataclass
class Bullets:
    type = "bullets"  # block type for templates (a class attribute, not a field)
    items: list[str]


@dataclass
class Definitions:
    type = "definitions"  # block type for templates (a class attribute, not a field)
    items: list[tuple[str, str]]


@dataclass
class Table:
    type = "table"  # block type for templates (a class attribute, not a field)
    id: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    numeric: list[bool]  # per column: right-align
    notes: list[str] = field(default_factory=list)
    subheads: set[int] = field(default_factory=set)  # row indices that only carry a heading
    collapsed: str = ""  # HTML: shown folded, behind this summary line (e.g. the full log)


@dataclass
class FigureBlock:
    type = "figure"  # block type for templates (a class attribute, not a field)
    figure: Rendered
    number: int = 0


Block = Paragraph | Bullets | Definitions | Table | FigureBlock


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    lang: str
    title: str
    subtitle: str
    meta: list[str]
    banner: str | None
    sections: list[Section]
    footer: str
    date: str | None = None

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Rendered]:
        return [b.figure for s in self.sections for b in s.blocks if isinstance(b, FigureBlock)]
