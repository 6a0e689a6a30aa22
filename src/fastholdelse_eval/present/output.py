"""Writing the tidy table as a readable table, CSV, JSON or an Excel workbook (a renderer: no
statistics here).

- ``csv``: ``,`` between cells, ``.`` decimals, UTF-8 (what pandas, R and CI read);
- ``csv-da``: the Danish Excel dialect — ``;`` between cells, decimal comma, UTF-8 with BOM —
  so that Danish Excel opens it in columns (chosen by ``--format csv-da`` or ``--lang da``);
- ``xlsx``: a real workbook with the tidy table (sheet ``tidy``, numbers as numbers) and a
  readable sheet (``oversigt``/``summary``: percentages and intervals as text, per
  municipality).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.files import atomic_write, format_for, neutralise_formulas
from fastholdelse_eval.core.summary import summary_frame
from fastholdelse_eval.data.localize import message, translate


def tidy_to_json(table: pd.DataFrame) -> str:
    """JSON list of records; NaN/NA become null so any JSON parser reads it."""
    def clean(v: Any) -> Any:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        if hasattr(v, "item"):
            return v.item()
        return v

    records = [{k: clean(v) for k, v in rec.items()} for rec in table.to_dict("records")]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def readable(table: pd.DataFrame, summary: Any = None, lang: str = "en") -> str:
    """The terminal view: the formatted summary per municipality; the summary's notes in
    ``lang``."""
    parts = []
    for muni, part in table.groupby("municipality", sort=False):
        parts.append(f"== {muni} ==")
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            parts.append(summary_frame(part).to_string())
        parts.append("")
    notes = getattr(summary, "notes", None)
    if notes:
        parts += [f"note: {translate(n, lang)}" for n in notes] + [""]
    return "\n".join(parts)


TIDY_FORMATS = ("table", "csv", "csv-da", "json", "xlsx")
READABLE_SHEET = {"da": "oversigt", "en": "summary"}


def tidy_to_csv(table: pd.DataFrame, danish: bool = False) -> str:
    """The tidy table as CSV text; ``danish``: ``;``, decimal comma, a BOM for Excel."""
    if not danish:
        return table.to_csv(index=False, lineterminator="\n")
    return "\ufeff" + table.to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")


def readable_frame(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """One readable block per municipality (metric × group text cells), stacked."""
    parts = []
    for muni, part in table.groupby("municipality", sort=False):
        view = summary_frame(part, style="da" if lang == "da" else "en").reset_index()
        view.insert(0, "municipality", muni)
        parts.append(view)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def write_xlsx(table: pd.DataFrame, out: str, lang: str = "en") -> None:
    """An Excel workbook: sheet ``tidy`` (numbers as numbers, NA empty) and the readable sheet,
    written atomically."""
    def write(tmp: Any) -> None:
        frame = table.copy()
        for col in frame.columns:  # nullable dtypes → plain objects openpyxl can write
            if isinstance(frame[col].dtype, pd.BooleanDtype | pd.Int64Dtype) or \
                    pd.api.types.is_string_dtype(frame[col]):
                frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        with pd.ExcelWriter(tmp, engine="openpyxl") as book:
            frame.to_excel(book, sheet_name="tidy", index=False)
            readable_frame(table, lang).to_excel(book, sheet_name=READABLE_SHEET[lang],
                                                 index=False)
            for sheet in book.sheets.values():  # wide enough to read without dragging
                for cells in sheet.columns:
                    width = max(len(str(c.value or "")) for c in cells[:200])
                    sheet.column_dimensions[cells[0].column_letter].width = min(60, width + 2)

    atomic_write(out, write)


def write_text(text: str, out: str | None) -> str | None:
    """Write ``text`` to ``out`` atomically, or return it when there is no ``out``."""
    if out is None:
        return text
    atomic_write(out, text)
    return None


def write_tidy(table: pd.DataFrame, fmt: str | None, out: str | None,
               summary: Any = None, lang: str = "en") -> str | None:
    """Render ``table`` as ``fmt`` (table/csv/csv-da/json/xlsx; None = from ``out``'s suffix,
    else table); write to ``out`` (atomically) or return the text. ``lang="da"``: a ``.csv``
    in the Danish dialect, the workbook's readable sheet in Danish number style."""
    fmt = format_for(out, fmt, allowed=TIDY_FORMATS, default="table")
    # Analysts open CSV and XLSX outputs in Excel: text cells that would run as formulas are
    # neutralised.
    table = neutralise_formulas(table)
    if fmt == "xlsx":
        if out is None:
            raise ConfigError(message("out_xlsx_needs_out"))
        write_xlsx(table, out, lang)
        return None
    if fmt == "csv" and lang == "da":
        fmt = "csv-da"
    if fmt in ("csv", "csv-da"):
        text = tidy_to_csv(table, danish=fmt == "csv-da")
    elif fmt == "json":
        text = tidy_to_json(table)
    elif fmt == "table":
        text = readable(table, summary, lang)
    else:  # pragma: no cover - format_for allows only TIDY_FORMATS
        raise ConfigError(message("out_format_not_known", name="--format", fmt=fmt))
    return write_text(text, out)
