"""Writing the tidy table as a readable table, CSV or JSON (a renderer: no statistics here)."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.files import atomic_write, format_for
from fastholdelse_eval.core.summary import summary_frame


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


def readable(table: pd.DataFrame, summary: Any = None) -> str:
    """The terminal view: the formatted summary per municipality."""
    parts = []
    for muni, part in table.groupby("municipality", sort=False):
        parts.append(f"== {muni} ==")
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            parts.append(summary_frame(part).to_string())
        parts.append("")
    notes = getattr(summary, "notes", None)
    if notes:
        parts += [f"note: {n}" for n in notes] + [""]
    return "\n".join(parts)


TIDY_FORMATS = ("table", "csv", "json")


def write_text(text: str, out: str | None) -> str | None:
    """Write ``text`` to ``out`` atomically, or return it when there is no ``out``."""
    if out is None:
        return text
    atomic_write(out, text)
    return None


def write_tidy(table: pd.DataFrame, fmt: str | None, out: str | None,
               summary: Any = None) -> str | None:
    """Render ``table`` as ``fmt`` (table/csv/json; None = from ``out``'s suffix, else table);
    write to ``out`` (atomically) or return the text."""
    fmt = format_for(out, fmt, allowed=TIDY_FORMATS, default="table")
    if fmt == "csv":
        text = table.to_csv(index=False, lineterminator="\n")
    elif fmt == "json":
        text = tidy_to_json(table)
    elif fmt == "table":
        text = readable(table, summary)
    else:  # pragma: no cover - format_for allows only TIDY_FORMATS
        raise ConfigError(f"--format: unknown format '{fmt}'")
    return write_text(text, out)
