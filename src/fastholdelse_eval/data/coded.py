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
from pandas.api.types import union_categoricals

from fastholdelse_eval.core.arrow_text import text_hashes
from fastholdelse_eval.data.schema import normalize_label

_COMPARED = 3  # Coded.rows compares the codes with at most this many codes, else gathers


class Coded(NamedTuple):
    """``uniques[codes]`` is the column; ``index`` its row labels."""

    codes: np.ndarray  # intp, one per row
    uniques: np.ndarray  # object array of the distinct cells (str)
    index: pd.Index

    @classmethod
    def of(cls, text: pd.Series) -> Coded:
        if isinstance(text.dtype, pd.CategoricalDtype):
            # Already codes into the distinct cells (the cohort reader's columns): no hashing.
            codes = text.cat.codes.to_numpy()
            uniques = np.asarray(text.cat.categories, dtype=object)
            if len(codes) and codes.min() < 0:  # missing cells, as factorize would keep them
                codes = np.where(codes < 0, len(uniques), codes)
                uniques = np.append(uniques, np.array([None], dtype=object))
            return cls(codes, uniques, text.index)
        codes, uniques = pd.factorize(text, use_na_sentinel=False)
        return cls(np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object),
                   text.index)

    def rows(self, per_unique: np.ndarray) -> np.ndarray:
        """A per-distinct-cell boolean (or other) array spread over the rows."""
        per_unique = np.asarray(per_unique)
        if per_unique.dtype == bool and len(per_unique):
            hits = np.flatnonzero(per_unique)
            if not len(hits):
                # Most checks find nothing: no pass over a million rows for that.
                return np.zeros(len(self.codes), dtype=bool)
            if len(hits) <= _COMPARED:
                # A check that one or two distinct cells fail (an empty cell, "rtw"): comparing
                # the codes (a byte each) with those cells' codes is a few times cheaper than
                # a gather through the codes.
                rows = self.codes == int(hits[0])
                for h in hits[1:]:
                    rows |= self.codes == int(h)
                return rows
        return per_unique[self.codes]

    def empty(self) -> np.ndarray:
        """Per distinct cell: is it ``""``?"""
        return np.array([u == "" for u in self.uniques], dtype=bool)

    def text(self, per_unique: Sequence[str | None]) -> pd.Series:
        """Text per row (``str`` dtype; None → missing) from text per distinct cell."""
        labels = pa.array(list(per_unique), type=pa.large_string())
        taken = labels.take(pa.array(self.codes, type=pa.int64()))
        return pa.chunked_array([taken]).to_pandas().set_axis(self.index)

    def labels(self, per_unique: Sequence[str | None]) -> pd.Series:
        """Labels per row as a ``Categorical`` of sorted categories (the cohort's label
        columns), from a label per distinct cell (None → missing). Only numpy gathers the codes:
        no text per row, and a million labels take a byte each."""
        # Which distinct cells some row has: an assignment through the codes, which numpy
        # casts a buffer at a time (bincount would first copy a million codes to 8 bytes each).
        used = np.zeros(len(per_unique), dtype=bool)
        used[self.codes] = True
        categories = sorted({str(p) for p, u in zip(per_unique, used, strict=True)
                             if u and p is not None})
        position = {c: i for i, c in enumerate(categories)}
        # The codes in the width pandas keeps them in (a byte for fewer than 127 labels), so
        # from_codes takes the gathered array as it is.
        width = next(t for t in (np.int8, np.int16, np.int32, np.int64)
                     if len(categories) < np.iinfo(t).max)
        recode = np.array([-1 if p is None else position.get(str(p), -1) for p in per_unique],
                          dtype=width)
        codes = recode[self.codes] if len(recode) else np.zeros(len(self.codes), dtype=width)
        # validate=False: every code is a position in categories or -1 by construction.
        return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(
            categories, dtype="str"), validate=False), index=self.index)

    def mapped(self, lookup: Mapping[str, object]) -> list[object]:
        """Each distinct cell through a vocabulary (None where unknown)."""
        return [lookup.get(normalize_label(u)) for u in self.uniques]


SAMPLE = 10_000


def as_categories(text: pd.Series) -> pd.Series:
    """Text as a pandas ``Categorical`` of its distinct cells when they are few (at most half as
    many as rows: labels, dates, ages), else unchanged (person ids). Validation then looks at
    each distinct cell once, and a million rows of labels take a byte or two each."""
    if isinstance(text.dtype, pd.CategoricalDtype) or len(text) < 2:
        return text
    # Ids are distinct from the first rows on: a look at those spares hashing them all.
    if len(pd.unique(text.iloc[:SAMPLE])) > min(len(text), SAMPLE) // 2:
        return text
    codes, uniques = pd.factorize(text)
    if len(uniques) > len(text) // 2 or (len(codes) and codes.min() < 0):
        return text
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniques), index=text.index,
                     name=text.name)


def as_text(cells: pd.Series) -> pd.Series:
    """Plain ``str`` text of a column that may be a ``Categorical`` (the cohort's canonical
    columns are ``str``); built with Arrow's ``take``, no Python string per row."""
    if isinstance(cells.dtype, pd.CategoricalDtype):
        coded = Coded.of(cells)
        return coded.text([None if u is None else str(u) for u in coded.uniques]).rename(
            cells.name)
    return cells.astype(str)


def in_label_form(column: pd.Series) -> bool:
    """Is the column a Categorical of text categories in sorted order (the cohort's label
    form; :func:`sorted_labels`)? Unused categories are not looked for: that would cost a pass
    over the codes."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return False
    categories = column.cat.categories
    return (not len(categories) or pd.api.types.is_string_dtype(categories.dtype)) and (
        categories.is_monotonic_increasing)


def sorted_labels(cells: pd.Series) -> pd.Series:
    """A label column in the cohort's form: a ``Categorical`` whose categories are the labels
    it holds, sorted — so grouping by it orders groups as the text would, and a covariate's
    reference level is its first label in sorted order, as for text."""
    if isinstance(cells.dtype, pd.CategoricalDtype):
        categories = cells.cat.categories
        if len(categories) and not isinstance(categories[0], str):
            cells = cells.cat.rename_categories([str(c) for c in categories])
    coded = Coded.of(cells if isinstance(cells.dtype, pd.CategoricalDtype)
                     else cells.astype("str"))
    na = pd.isna(coded.uniques)
    return coded.labels([None if missing else str(u) for u, missing in
                         zip(coded.uniques, na, strict=True)]).rename(cells.name)


def concat_labelled(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one under the other, a label column that is a Categorical in each staying one
    (of the union of their categories, sorted; ``pd.concat`` would spell out text per row when
    the categories differ)."""
    data = pd.concat(frames, ignore_index=True)
    for name in data.columns:
        parts = [f[name] for f in frames if name in f.columns]
        if (len(parts) == len(frames) and not isinstance(data[name].dtype, pd.CategoricalDtype)
                and all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts)):
            data[name] = pd.Series(union_categoricals([p.array for p in parts],
                                                      sort_categories=True), name=name)
    return data


def _id_keys(ids: pd.Series, within_codes: np.ndarray, withins: int) -> np.ndarray | None:
    """A 64-bit key per row: the id's hash (:func:`text_hashes`) mixed with its ``within``
    code, so equal keys mean (almost surely) the same id in the same municipality."""
    key = text_hashes(ids)
    if key is not None and withins > 1:  # one municipality (the usual file) mixes in nothing
        key ^= (np.arange(withins, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9))[
            within_codes]
    return key


def duplicate_rows(ids: pd.Series, within: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the rows whose non-empty id repeats an earlier row's within the same
    ``within`` value (municipality), and the position of that earlier row.

    Only rows whose (id, within) hash repeats can be duplicates: the ids are hashed on their
    bytes (:func:`text_hashes`, no Python string per person; factorising a million distinct ids
    cost half a second) and only those rows' strings are compared."""
    places = Coded.of(within)  # a Categorical's own codes: nothing to hash
    within_codes, withins = places.codes, places.uniques
    key = _id_keys(ids, within_codes, len(withins))
    if key is None:
        rows = np.arange(len(ids))
    else:
        # Sorting a million integers is five times faster than hashing them, and the usual
        # answer (no key repeats) needs nothing more; sorted in place, the keys are made
        # again only when some repeat.
        key.sort()
        repeated = key[1:][key[1:] == key[:-1]]
        if len(repeated):
            key = _id_keys(ids, within_codes, len(withins))
        rows = np.flatnonzero(np.isin(key, repeated)) if len(repeated) else np.zeros(0, int)
    if not len(rows):
        return rows, rows
    # One integer per (within, id): hashing integers, not pairs of strings.
    some = ids.iloc[rows]
    key = pd.Series(pd.factorize(some)[0] * max(len(withins), 1) + within_codes[rows])
    dup = key.duplicated(keep="first").to_numpy() & (some != "").to_numpy()
    first = pd.Series(rows).groupby(key, sort=False).transform("first").to_numpy()
    return rows[dup], first[dup]
