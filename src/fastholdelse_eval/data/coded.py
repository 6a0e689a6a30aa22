"""A column of text as codes into its distinct cells, factorised once.

A cohort has few distinct labels, dates and ages among a million rows, so validation looks at
each distinct cell once and spreads the answer over the rows with the codes: numpy indexing for
masks, Arrow's ``take`` for text (no Python string per row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from fastholdelse_eval.data.schema import normalize_label


class Coded(NamedTuple):
    """``uniques[codes]`` is the column; ``index`` its row labels."""

    codes: np.ndarray  # intp, one per row
    uniques: np.ndarray  # object array of the distinct cells (str)
    index: pd.Index

    @classmethod
    def of(cls, text: pd.Series) -> Coded:
        codes, uniques = pd.factorize(text, use_na_sentinel=False)
        return cls(np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object),
                   text.index)

    def rows(self, per_unique: np.ndarray) -> np.ndarray:
        """A per-distinct-cell boolean (or other) array spread over the rows."""
        return np.asarray(per_unique)[self.codes]

    def empty(self) -> np.ndarray:
        """Per distinct cell: is it ``""``?"""
        return np.array([u == "" for u in self.uniques], dtype=bool)

    def text(self, per_unique: Sequence[str | None]) -> pd.Series:
        """Text per row (``str`` dtype; None → missing) from text per distinct cell."""
        labels = pa.array(list(per_unique), type=pa.large_string())
        taken = labels.take(pa.array(self.codes, type=pa.int64()))
        return pa.chunked_array([taken]).to_pandas().set_axis(self.index)

    def mapped(self, lookup: Mapping[str, object]) -> list[object]:
        """Each distinct cell through a vocabulary (None where unknown)."""
        return [lookup.get(normalize_label(u)) for u in self.uniques]
