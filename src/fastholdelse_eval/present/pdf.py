"""PDF report with fpdf2 (pure Python: no LaTeX, no system libraries).

Text is set in DejaVu Sans, which ships with matplotlib, so every character of the Danish and
English labels (æøå, −, ≥, –) prints. Figures are the same drawings as in the HTML report,
embedded as PNG. The file is reproducible: its creation date is the report's date (midnight
UTC), else ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), else today at midnight
UTC — never the time of day, so two runs on one day give the same bytes. Text is set flush left
(never justified: justified narrow columns leave wide gaps) and table columns are never
narrower than their longest word, so no word is broken in two; a header wraps only where the
page has no room for it on one line.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from fastholdelse_eval.core.files import atomic_write
from fastholdelse_eval.core.version import __version__
from fastholdelse_eval.present.document import Document, Table
from fastholdelse_eval.present.labels import Labels

FONT = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
               "BI": "DejaVuSans-BoldOblique.ttf"}
ACCENT = (27, 108, 168)
MUTED = (90, 101, 112)
WARN = (155, 28, 28)


class _PDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.footer_text}   {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def _fonts(pdf: FPDF) -> None:
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for style, name in _FONT_FILES.items():
        pdf.add_font(FONT, style, str(folder / name))


def creation_date(doc: Document) -> dt.datetime:
    """The report's date, else SOURCE_DATE_EPOCH, else today (midnight UTC)."""
    if doc.date:
        try:
            day = dt.date.fromisoformat(str(doc.date))
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        except ValueError:
            pass
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    today = dt.datetime.now(dt.UTC).date()
    return dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)


def _words(text: str) -> list[str]:
    """What a line may break between: a no-break space binds, as fpdf2 wraps (a Danish
    "95\u00a0%" is one word, so its column is wide enough to keep it on one line)."""
    return [w for w in re.split(r"[^\S\u00a0]+", text) if w]


def _widths(pdf: FPDF, t: Table) -> list[float]:
    """Column widths (mm) from the widest cell; a header wraps at spaces only where the page
    has no room for it on one line; when the table is too wide for the page, text columns wrap
    and number columns keep their width."""
    pad = 3.0
    widths = []
    style, size = pdf.font_style, pdf.font_size_pt
    pdf.set_font(FONT, "B", size)  # headings (and heading-only rows) are bold
    words = [max((pdf.get_string_width(w) for w in _words(h)), default=0.0) for h in t.header]
    heads = [pdf.get_string_width(h) for h in t.header]
    pdf.set_font(FONT, style, size)
    floors = []  # no column narrower than its longest word: words are never broken
    for j in range(len(t.header)):
        texts = [row[j] for row in t.rows if j < len(row)]
        cells = [pdf.get_string_width(c) for c in texts]
        longest = [pdf.get_string_width(w) for c in texts for w in _words(c)]
        widths.append(max([*cells, words[j], 8.0]) + pad)
        floors.append(max([*longest, words[j], 8.0]) + pad)
    total = sum(widths)
    if total < pdf.epw:
        # Room to spare: headers wider than their column's cells get it, so that "Outside
        # common support (%)" is not set one word a line beside half a page of white; all of
        # it if every header then fits on one line, else in proportion to what each lacks.
        want = [max(h + pad - w, 0.0) for h, w in zip(heads, widths, strict=True)]
        spare = pdf.epw - total
        share = min(1.0, spare / sum(want)) if sum(want) > 0 else 0.0
        return [w + share * x for w, x in zip(widths, want, strict=True)]
    if total > pdf.epw:
        # numbers keep their width; text columns share what is left and wrap at spaces
        fixed = sum(w for w, num in zip(widths, t.numeric, strict=True) if num)
        text = total - fixed
        if fixed < pdf.epw * 0.7 and text > 0:
            scale = (pdf.epw - fixed) / text
            widths = [w if num else max(w * scale, f)
                      for w, f, num in zip(widths, floors, t.numeric, strict=True)]
        else:
            widths = [max(w * pdf.epw / total, f) for w, f in zip(widths, floors, strict=True)]
        # what the floors added comes off the widest columns that can spare it
        excess = sum(widths) - pdf.epw
        for j in sorted(range(len(widths)), key=lambda k: widths[k] - floors[k],
                        reverse=True):
            if excess <= 0:
                break
            take = min(excess, widths[j] - floors[j])
            widths[j] -= take
            excess -= take
        if excess > 0:  # the words alone do not fit (a checksum): scale, words then break
            widths = [w * pdf.epw / sum(widths) for w in widths]
    return widths


def _table(pdf: FPDF, t: Table) -> None:
    pdf.set_font(FONT, "B", 9)
    pdf.multi_cell(0, 5, t.caption, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FONT, "", 7.5 if len(t.header) > 4 else 8.5)
    widths = _widths(pdf, t)
    align = ["RIGHT" if num else "LEFT" for num in t.numeric]
    with pdf.table(col_widths=widths, width=min(sum(widths), pdf.epw), text_align=align,
                   align="LEFT", line_height=4.2,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(233, 238, 243)),
                   borders_layout="HORIZONTAL_LINES", padding=0.8) as table:
        head = table.row()
        for h in t.header:
            head.cell(h)
        for i, row in enumerate(t.rows):
            r = table.row()
            for j, c in enumerate(row):
                style = FontFace(emphasis="BOLD") if (i in t.subheads and j == 0) else None
                r.cell(c, style=style)
    pdf.set_font(FONT, "I", 7.5)
    pdf.set_text_color(*MUTED)
    for note in t.notes:
        pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def render_pdf(doc: Document) -> bytes:
    """The PDF bytes of a document."""
    labels = Labels(doc.lang)
    pdf = _PDF(format="A4", unit="mm")
    pdf.footer_text = doc.footer
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    _fonts(pdf)
    pdf.set_title(doc.title)
    pdf.set_lang(doc.lang)
    pdf.set_creator(f"fastholdelse-eval {__version__}")
    pdf.set_producer(f"fastholdelse-eval {__version__} (fpdf2)")
    # Never the wall clock: the file must be byte-identical across runs.
    pdf.set_creation_date(creation_date(doc))
    pdf.add_page()

    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 8, doc.title, new_x="LMARGIN", new_y="NEXT", align="L")
    if doc.subtitle:
        pdf.set_font(FONT, "", 11)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(0, 6, doc.subtitle, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, "   ·   ".join(doc.meta), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    if doc.banner:
        pdf.ln(2)
        pdf.set_font(FONT, "B", 10)
        pdf.set_text_color(*WARN)
        pdf.set_draw_color(*WARN)
        pdf.set_line_width(0.8)
        pdf.multi_cell(0, 5.5, doc.banner, border=1, padding=2, new_x="LMARGIN", new_y="NEXT",
                       align="L")
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.2)
    pdf.ln(3)

    for section in doc.sections:
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.start_section(section.title)
        pdf.set_font(FONT, "B", 13)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(0, 7, section.title, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
        for b in section.blocks:
            if b.type == "paragraph":
                style, size = {"heading": ("B", 10.5), "note": ("I", 9),
                               "warning": ("B", 9.5)}.get(b.kind, ("", 9.5))
                pdf.set_font(FONT, style, size)
                if b.kind == "warning":
                    pdf.set_text_color(*WARN)
                pdf.multi_cell(0, 5, b.text, new_x="LMARGIN", new_y="NEXT", align="L")
                pdf.set_text_color(0, 0, 0)
                pdf.ln(1.5)
            elif b.type == "bullets":
                pdf.set_font(FONT, "", 9.5)
                for item in b.items:
                    pdf.set_x(pdf.l_margin + 3)
                    pdf.multi_cell(0, 5, "•  " + item, new_x="LMARGIN", new_y="NEXT",
                                   align="L")
                    pdf.ln(0.8)
                pdf.ln(1)
            elif b.type == "definitions":
                for term, text in b.items:
                    pdf.set_font(FONT, "B", 9)
                    pdf.multi_cell(0, 4.6, term, new_x="LMARGIN", new_y="NEXT", align="L")
                    if text:
                        pdf.set_font(FONT, "", 8.5)
                        pdf.set_x(pdf.l_margin + 4)
                        pdf.multi_cell(0, 4.4, text, new_x="LMARGIN", new_y="NEXT",
                                       align="L")
                    pdf.ln(0.8)
                pdf.ln(1)
            elif b.type == "table":
                _table(pdf, b)
            elif b.type == "figure":
                fig = b.figure
                width = pdf.epw
                height = width * fig.aspect
                if pdf.get_y() + height + 10 > pdf.h - pdf.b_margin:
                    pdf.add_page()
                pdf.image(io.BytesIO(fig.png), w=width, h=height, alt_text=fig.desc,
                          title=fig.title)
                pdf.set_font(FONT, "I", 8.5)
                pdf.set_text_color(*MUTED)
                pdf.multi_cell(0, 4.5, f"{labels('report.figure')} {b.number}. {fig.title}",
                               new_x="LMARGIN", new_y="NEXT", align="L")
                pdf.set_text_color(0, 0, 0)
                pdf.ln(3)
    return bytes(pdf.output())


def write_pdf(doc: Document, path: str | Path) -> list[Path]:
    return [atomic_write(path, render_pdf(doc))]
