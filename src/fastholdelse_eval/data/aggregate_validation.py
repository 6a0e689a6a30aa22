"""Validation of an aggregate-counts file: one row per municipality × group with counts
(``n``/``antal``, ``rtw``/``raskmeldt``, …) instead of persons. The first steps (headers,
blank rows, every cell checked for CPR numbers) are the person-level validation's own
(:mod:`fastholdelse_eval.data.validation`)."""

from __future__ import annotations

import pandas as pd

from fastholdelse_eval.core.errors import Problem, ValidationError
from fastholdelse_eval.data import schema
from fastholdelse_eval.data.coded import as_text
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.validation import _group_column, _prepare


def looks_aggregate(columns: list[str], vocabulary: schema.Vocabulary | None = None) -> bool:
    """An aggregate file has a count column ``n``/``antal`` (or the study's own name for it)
    and no person id."""
    vocab = vocabulary or schema.BUILT_IN
    counts, persons = vocab.column_lookup(schema.AGGREGATE_LOOKUP), vocab.column_lookup()
    keys = {schema.normalize_label(c) for c in columns}
    return (any(counts.get(k) == "n" for k in keys)
            and not any(persons.get(k) == "person_id" for k in keys))


def validate_aggregate_frame(
    df: pd.DataFrame, municipality: str | None = None, source: str | None = None,
    group: str | None = None, vocabulary: schema.Vocabulary | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Validate an aggregate-counts table (one row per municipality × group); ``group``: the
    file holds that group only (the group column is then optional, as for person files);
    ``vocabulary``: the study's own column names and group labels."""
    vocab = vocabulary or schema.BUILT_IN
    problems: list[Problem] = []
    required = ("n", "rtw") if group else ("group", "n", "rtw")
    mapping, col, text, notes = _prepare(df, vocab.column_lookup(schema.AGGREGATE_LOOKUP),
                                         schema.AGGREGATE_ALIASES, required, problems, source)

    out = pd.DataFrame(index=text.index)
    default_muni = municipality if municipality else "unknown"
    muni = text[mapping["municipality"]] if "municipality" in mapping else pd.Series(
        [""] * len(text), index=text.index, dtype=str)
    out["municipality"] = muni.where(muni != "", default_muni).astype(str)
    if "group" in mapping or group:
        raw = text[mapping["group"]] if "group" in mapping else pd.Series(
            [""] * len(text), index=text.index, dtype=str)
        # Aggregate tables are a few rows: their labels stay plain text.
        out["group"] = as_text(_group_column(raw, "group" in mapping, group, col,
                                             vocab.value_lookup("group"),
                                             vocab.values.get("group", {})))
    for name in schema.AGGREGATE_COUNTS:
        if name not in mapping:
            out[name] = pd.array([pd.NA] * len(text), dtype="Int64")
            continue
        raw = text[mapping[name]]
        ok = raw.str.fullmatch(r"[0-9]+") | (raw == "")
        col.rows(~ok.to_numpy(), name, message("count_not_whole"))
        if name in ("n", "rtw"):
            col.rows((raw == "").to_numpy(), name, message("column_empty", column=name))
        values = pd.to_numeric(raw.where(ok & (raw != "")), errors="coerce")
        out[name] = pd.array(values.tolist(), dtype="Int64")
    if "n" in mapping:
        for name in schema.AGGREGATE_COUNTS[1:]:
            if name in mapping:
                over = (out[name] > out["n"]).fillna(False).to_numpy(dtype=bool)
                col.rows(over, name, message("count_over_n", column=name))
        if "relapse" in mapping and "rtw" in mapping:
            over = (out["relapse"] > out["rtw"]).fillna(False).to_numpy(dtype=bool)
            col.rows(over, "relapse", message("relapse_over_rtw"))
        col.rows((out["n"] == 0).fillna(False).to_numpy(dtype=bool), "n", message("n_is_zero"))
        # Each person's spell ends one way: these outcomes cannot add up to more than n.
        ending = [c for c in ("rtw", "other_benefit", "dropout") if c in mapping]
        if len(ending) > 1:
            total = out[ending].fillna(0).sum(axis=1)
            single = (out[ending].max(axis=1) > out["n"]).fillna(False)  # reported above
            names = " + ".join(f"'{mapping[c]}'" for c in ending)
            col.rows(((total > out["n"]).fillna(False) & ~single).to_numpy(dtype=bool), "n",
                     message("counts_sum_over_n", names=names))
    if "group" in out:
        dup = out.duplicated(["municipality", "group"], keep="first").to_numpy()
        col.rows(dup, "group", message("aggregate_row_repeated"))
    if col.problems:
        raise ValidationError(col.problems, source)
    data = out.reset_index(drop=True)
    data = data[["municipality", "group", *schema.AGGREGATE_COUNTS]]
    return data, notes
