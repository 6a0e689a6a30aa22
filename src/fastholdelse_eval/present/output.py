"""Writing the tidy table as a readable table, CSV or JSON (a renderer: no statistics here)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from fastholdelse_eval.core.errors import ConfigError


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
    from fastholdelse_eval.analysis.evaluation import summary_frame

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


def write_tidy(table: pd.DataFrame, fmt: str, out: str | None, summary: Any = None) -> str | None:
    """Render ``table`` as ``fmt`` (table/csv/json); write to ``out`` or return the text."""
    if fmt == "csv":
        text = table.to_csv(index=False, lineterminator="\n")
    elif fmt == "json":
        text = tidy_to_json(table)
    elif fmt == "table":
        text = readable(table, summary)
    else:
        raise ConfigError(f"--format: unknown format '{fmt}' (use table, csv or json)")
    if out is None:
        return text
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return None
