"""The base of every result object (:class:`Result`), in the spirit of R's broom.

- ``tidy()``: the tidy table (core/tidy.py), one row per estimate — each subclass defines it;
- ``glance()``: one row per model: what was analysed (``n``, ``events``, ``municipalities``),
  how (``level``, ``method``) and how much the reader should look at (``notes`` count, ``rows``);
- ``summary()``: a readable table (default: the tidy table's main columns);
- ``notes``: remarks for the reader (skipped analyses, corrections, data quality);
- ``_repr_html_``: Jupyter's view, built from ``summary()`` and the notes, numbers through the
  one formatter (:mod:`fastholdelse_eval.core.formatting`, plain style).

Subclasses are dataclasses with a ``notes`` field; they add their own glance values through
:meth:`Result._glance`, a lead paragraph through :meth:`Result._lead`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from html import escape
from typing import Any

import pandas as pd

from fastholdelse_eval.core.formatting import Formatter

PLAIN = Formatter("plain")
SUMMARY_COLUMNS = ("municipality", "metric", "group", "estimate", "ci_low", "ci_high",
                   "p_value", "method")
GLANCE_COLUMNS = ("result", "n", "events", "municipalities", "level", "method", "rows", "notes")


class Result(ABC):
    """A result: ``tidy()``, ``glance()``, ``summary()``, ``notes`` and a Jupyter view."""

    notes: list[str]

    @abstractmethod
    def tidy(self) -> pd.DataFrame:
        """The tidy result table (a copy)."""

    # --- one row per model --------------------------------------------------------------------

    def _glance(self) -> dict[str, Any]:
        """The subclass's glance values (n, events, level, method, extra columns)."""
        return {}

    def glance(self) -> pd.DataFrame:
        """One row describing the whole model; columns :data:`GLANCE_COLUMNS` then extras."""
        values = {"result": type(self).__name__, "n": pd.NA, "events": pd.NA,
                  "municipalities": pd.NA, "level": getattr(self, "level", pd.NA),
                  "method": pd.NA, "rows": len(self.tidy()),
                  "notes": len(getattr(self, "notes", []) or [])}
        values.update(self._glance())
        return pd.DataFrame([values])

    # --- readable views -----------------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """A readable table; the default is the tidy table's main columns."""
        table = self.tidy()
        return table[[c for c in SUMMARY_COLUMNS if c in table.columns]]

    def _title(self) -> str:
        return type(self).__name__

    def _lead(self) -> str:
        """A sentence or two under the title (plain text); none by default."""
        return ""

    def _repr_html_(self) -> str:
        parts = [f"<h4>{escape(self._title())}</h4>"]
        lead = self._lead()
        if lead:
            parts.append(f"<p>{escape(lead)}</p>")
        table = self.summary()
        # A meaningful index (e.g. the metric of Evaluation.summary) is shown; 0, 1, 2 … not.
        plain_index = isinstance(table.index, pd.RangeIndex)
        parts.append(table.to_html(index=not plain_index, escape=True, na_rep="",
                                   float_format=lambda v: PLAIN.significant(v, 4)))
        notes = getattr(self, "notes", []) or []
        if notes:
            parts.append("<ul>" + "".join(f"<li><i>{escape(n)}</i></li>" for n in notes)
                         + "</ul>")
        return "\n".join(parts)
