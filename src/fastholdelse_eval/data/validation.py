"""Validation of cohort and aggregate tables: every problem at once, nothing loaded on error.

Messages name the spreadsheet row (header = row 1) and the column, and say what is wrong. They
never repeat a cell's value: a cell may hold a CPR number or a name, and error messages end up in
logs, terminals and CI output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from fastholdelse_eval.core.arrow_text import all_ascii, empty_cells
from fastholdelse_eval.core.cpr import contains_cpr, cpr_mask
from fastholdelse_eval.core.errors import Problem, ValidationError
from fastholdelse_eval.core.threads import in_background
from fastholdelse_eval.data import messages, schema
from fastholdelse_eval.data.coded import (
    Coded,
    as_categories,
    as_text,
    duplicate_rows,
    sorted_labels,
)
from fastholdelse_eval.data.io import FIRST_DATA_ROW, cells_as_text, spreadsheet_row
from fastholdelse_eval.data.localize import Message, is_message, message
from fastholdelse_eval.data.parse import (
    parse_date_option,
    parse_dates,
    parse_numbers,
    parse_numbers_each,
)
from fastholdelse_eval.data.schema import CANONICAL_COLUMNS

CPR_PATTERN = re.compile(r"^[0-9]{6}-?[0-9]{4}$")

class _Collector:
    """Collects problems for rows given as boolean masks over the frame's index."""

    def __init__(self, index: pd.Index, labels: Mapping[str, str]):
        self.index = index
        self.labels = labels  # canonical name -> column header as written in the file
        self.problems: list[Problem] = []

    def rows(self, mask: np.ndarray | pd.Series, column: str | None, message: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        header = self.labels.get(column, column) if column else None
        for i in np.flatnonzero(mask):
            self.problems.append(Problem(spreadsheet_row(self.index[i]), header, message))

    def file(self, column: str | None, message: str) -> None:
        header = self.labels.get(column, column) if column else None
        self.problems.append(Problem(None, header, message))


def _map_columns(columns: list[str], lookup: Mapping[str, object],
                 problems: list[Problem]) -> dict[str, str]:
    """Map file headers to canonical names; returns canonical -> header."""
    found: dict[str, str] = {}
    for header in columns:
        base = re.fullmatch(r"(.*)\.\d+", header)
        if base and base.group(1) in columns:
            # Readers rename a repeated header "id" to "id.1"; say so instead of guessing.
            problems.append(Problem(None, base.group(1), message("column_header_repeated")))
            continue
        key = lookup.get(schema.normalize_label(header))
        if key is None:
            continue
        if key in found:
            problems.append(Problem(None, header, message("column_same_meaning",
                                                          other=found[key], meaning=key)))
            continue
        found[key] = header
    return found


def _prepare(
    df: pd.DataFrame,
    lookup: Mapping[str, object],
    aliases: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
    problems: list[Problem],
    source: str | None,
    categories: bool = False,
    check: bool = True,
) -> tuple[dict[str, str], _Collector, pd.DataFrame, list[str]]:
    """Shared first steps: map headers, check required columns, cells to text, skip (and
    note) blank rows. Returns ``(mapping, collector, text, notes)``.

    ``categories``: columns of few distinct cells as ``Categorical`` (:func:`as_categories`),
    so that every later check looks at each distinct cell once; else every column ``str``.
    ``check=False``: the caller runs :func:`check_cells` itself (after starting work in other
    threads), before any other check of the cells."""
    mapping = _map_columns([str(c) for c in df.columns], lookup, problems)
    col = _Collector(df.index, mapping)
    col.problems = problems
    for name in required:
        if name not in mapping:
            spellings = ", ".join(aliases[name])
            col.file(None, message("required_column_missing", name=name, spellings=spellings))
    coding = as_categories if categories else as_text
    # copy=False: a frame built from a dict copies every column by default (a million ids and
    # the codes of every label column: 17 MB of fresh memory for nothing; pandas 3 is
    # copy-on-write, so the source stays safe).
    text = pd.DataFrame({c: coding(cells_as_text(df[c])) for c in df.columns}, index=df.index,
                        copy=False)
    blank = _blank_rows(text)
    notes: list[str] = []
    if blank.any():
        notes.append(_skipped_note([spreadsheet_row(i) for i in df.index[blank]]))
    if blank.any():  # a mask of all True would still copy every column
        text = text.loc[~blank]
    col.index = text.index
    if len(text) == 0:
        raise ValidationError([Problem(None, None, message("table_no_rows"))], source)
    if check:
        check_cells(text, col)
    return mapping, col, text, notes


def check_cells(text: pd.DataFrame, col: _Collector) -> None:
    """Checks on every cell and header whatever the column means: no CPR number anywhere (a
    municipality or covariate column reaches tables and reports), no digits other than 0–9
    (they would parse as nothing and rows would vanish)."""
    for pos, header in enumerate(text.columns):
        if contains_cpr(header):
            col.problems.append(Problem(None, message("column_at", position=pos + 1),
                                        message("header_looks_like_cpr")))
        # Headers the schema knows are named; any other header is the user's text (it can be
        # a person's name) and is given by position.
        header_name = header if header in col.labels.values() else message("column_at",
                                                                           position=pos + 1)
        cells = text[header]
        # A Categorical is checked on its distinct cells, the answer spread over the rows.
        coded = Coded.of(cells) if isinstance(cells.dtype, pd.CategoricalDtype) else None
        distinct = cells if coded is None else pd.Series(coded.uniques, dtype=str)
        cpr, digits = cpr_mask(distinct).to_numpy(dtype=bool), _other_digits(distinct)
        if coded is not None:
            cpr, digits = coded.rows(cpr), coded.rows(digits)
        col.rows(cpr, header_name, message("cell_looks_like_cpr"))
        col.rows(digits, header_name, message("other_digits"))


def _other_digits(cells: pd.Series) -> np.ndarray:
    """Which cells hold a digit other than 0–9 (only non-ASCII cells can)."""
    mask = np.zeros(len(cells), dtype=bool)
    if all_ascii(cells):  # the usual answer, from the bytes (a million ids: 2 ms, not 20)
        return mask
    odd = ~cells.str.isascii().to_numpy(dtype=bool)
    if odd.any():
        mask[odd] = cells[odd].str.contains(r"(?![0-9])\d", regex=True).to_numpy(dtype=bool)
    return mask


def _empty(cells: pd.Series) -> np.ndarray:
    """Which cells are ``""`` (a text column or a Categorical of text)."""
    empty = empty_cells(cells)
    return (cells == "").to_numpy(dtype=bool) if empty is None else empty


def _blank_rows(text: pd.DataFrame) -> np.ndarray:
    blank = np.ones(len(text), dtype=bool)
    for c in text.columns:
        blank &= _empty(text[c])
        if not blank.any():
            break  # no row left blank: the other columns cannot make one blank again
    return blank


# --- person-level cohort -----------------------------------------------------------------------

class ValidatedCohort(NamedTuple):
    """What :func:`validate_cohort_frame` returns."""

    data: pd.DataFrame
    notes: list[str]
    recorded: frozenset[str]  # canonical columns with a header and at least one value
    given: frozenset[str]  # canonical columns with a header
    # The spreadsheet row of each data row (blank rows are skipped); None when no row was
    # skipped: row = position + FIRST_DATA_ROW.
    rows: np.ndarray | None


def validate_cohort_frame(
    df: pd.DataFrame,
    followup_date: object = None,
    municipality: str | None = None,
    decimal_comma: bool = False,
    source: str | None = None,
    group: str | None = None,
    vocabulary: schema.Vocabulary | None = None,
) -> ValidatedCohort:
    """Validate a person-level table (any accepted spelling) into the canonical schema.

    Returns ``(data, notes, recorded, given, rows)`` (:class:`ValidatedCohort`) where ``notes`` are
    data-quality remarks for reports (blank rows skipped, defaults applied), ``given`` the
    canonical columns the table has a header for and ``recorded`` those of them with at least
    one value: a column that is absent, or present with every cell empty, is *not recorded*
    (its metrics are left out, never computed as 0). Raises :class:`ValidationError` with every
    problem found.

    ``group`` (``intervention``/``control``): the table holds one group only (participants and
    controls in separate files). A group column is then optional; empty cells take ``group``,
    and a cell naming the other group is an error.

    ``vocabulary``: the study's own column names and value labels
    (:class:`~fastholdelse_eval.data.schema.Vocabulary`) on top of the built-in spellings.
    """
    vocab = vocabulary or schema.BUILT_IN
    problems: list[Problem] = []
    study_followup = parse_date_option(followup_date)
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise ValidationError([Problem(None, None, message("table_no_rows"))], source)

    columns = [str(c) for c in df.columns]
    required = tuple(c for c in schema.REQUIRED_COLUMNS if group is None or c != "group")
    column_lookup = vocab.column_lookup()
    mapping, col, text, notes = _prepare(df, column_lookup, schema.COLUMN_ALIASES,
                                         required, problems, source, categories=True,
                                         check=False)
    n = len(text)

    # A column the file lacks reads as empty cells: one code, no text per row.
    blank = _constant("", text.index)

    def get(name: str) -> pd.Series:
        return text[mapping[name]] if name in mapping else blank

    out = pd.DataFrame(index=text.index)
    # Two tasks run in threads of their own while the cells are checked here, started first
    # because the duplicate check is the longest: parsing the dates (spreading a date per
    # distinct cell over a million rows) and looking for repeated ids (hashing and sorting
    # them). Both are numpy work that lets go of the GIL; their problems are reported below,
    # in order.
    parsed_dates = in_background(_parse_date_columns,
                                 {name: get(name) for name in schema.DATE_COLUMNS})
    pid = get("person_id")

    # municipality (it adds notes, no problems; the duplicate check needs it)
    default_muni = municipality if municipality else "unknown"
    muni = get("municipality")
    no_muni = int((muni == "").sum()) if "municipality" in mapping else n
    if not no_muni:
        out["municipality"] = sorted_labels(muni)
    elif no_muni == n:
        out["municipality"] = _constant(default_muni, text.index)
    else:
        munis = Coded.of(muni)
        out["municipality"] = munis.labels([default_muni if u == "" else str(u)
                                            for u in munis.uniques])
    if "municipality" in mapping and no_muni:
        notes.append(message("municipality_default", n=no_muni, municipality=default_muni))
    duplicates = in_background(duplicate_rows, pid, out["municipality"]) if (
        "person_id" in mapping) else None

    check_cells(text, col)
    if any(is_message(p.message, "required_column_missing") for p in problems):
        hint = messages.header_row_hint(df, column_lookup)
        if hint:
            problems.append(Problem(None, None, hint))

    # person_id
    if "person_id" in mapping:
        col.rows(_empty(pid), "person_id", message("column_empty", column="person_id"))
        # CPR numbers (here and in every other column) are refused by check_cells.
    out["person_id"] = pid

    # group
    out["group"] = _group_column(get("group"), "group" in mapping, group, col,
                                 vocab.value_lookup("group"), vocab.values.get("group", {}))

    # Covariates are parsed here while the dates are parsed in the other thread; their
    # problems are reported below, in the order of the checks.
    used = set(mapping.values())
    known_covariates = {name: _covariate(get(name), decimal_comma)
                        for name in schema.KNOWN_COVARIATES if name in mapping}
    other_covariates = {header: _covariate(text[header], decimal_comma) for header in columns
                        if header not in used and not _is_unnamed(header)}

    # dates
    for name, (dates, bad, impossible) in parsed_dates.result().items():
        col.rows(bad, name, message("not_a_date"))
        col.rows(impossible, name, message("impossible_date"))
        out[name] = dates
    if "start_date" in mapping:
        col.rows(get("start_date") == "", "start_date", message("column_empty",
                                                                 column="start_date"))

    if any(is_message(p.message, "not_a_date") for p in col.problems):
        hint = messages.two_digit_year_hint(get(name) for name in schema.DATE_COLUMNS)
        if hint:
            col.file(None, hint)

    # follow-up: per row, else study-wide
    fu = out["followup_date"]
    if study_followup is not None:
        fu = fu.fillna(study_followup)
    missing_fu = fu.isna().to_numpy() & (get("followup_date") == "").to_numpy()
    if missing_fu.all():
        col.file("followup_date", message("no_followup_date"))
    else:
        col.rows(missing_fu, "followup_date", message("followup_date_empty"))
    out["followup_date"] = fu

    # end reason and its consistency with end_date
    raw_reason = get("end_reason")
    coded = Coded.of(raw_reason)
    mapped = coded.mapped(vocab.value_lookup("end_reason"))
    empty_u = coded.empty()
    unknown_u = np.array([m is None for m in mapped], dtype=bool) & ~empty_u
    reason_empty, unknown_reason = coded.rows(empty_u), coded.rows(unknown_u)
    for rows, msg in messages.unknown_label_rows(
            raw_reason, unknown_reason,
            messages.display_labels(schema.END_REASON_VALUES, vocab.values.get("end_reason", {})),
            _unknown_end_reason_guess, _unknown_end_reason):
        col.rows(rows, "end_reason", msg)
    final = ["censored" if m is None else str(m) for m in mapped]  # empty or unknown: censored
    reason = coded.labels(final)
    has_end = ~np.isnat(out["end_date"].to_numpy())
    ending_reason = coded.rows(np.isin(final, ["rtw", "other_benefit", "dropout"]))
    end_text_empty = (get("end_date") == "").to_numpy()
    col.rows(ending_reason & end_text_empty, "end_date", message("end_date_empty_for_reason"))
    col.rows(has_end & reason_empty, "end_reason", message("end_reason_empty_for_date"))
    out["end_reason"] = reason
    if "end_detail" in mapping:
        out["end_detail"] = _detail_or_reason(get("end_detail"), coded)
    else:
        out["end_detail"] = coded.labels(list(coded.uniques))

    # order of dates; numpy compares datetime64 as pandas does (NaT is never before or after
    # anything) without pandas' separate pass for missing values (a tenth of the time).
    start, end, partial, relapse, followup = (
        out[name].to_numpy() for name in ("start_date", "end_date", "partial_rtw_date",
                                          "relapse_date", "followup_date"))
    col.rows(end < start, "end_date", message("end_before_start"))
    col.rows(partial < start, "partial_rtw_date", message("partial_before_start"))
    col.rows(partial > end, "partial_rtw_date", message("partial_after_end"))
    is_rtw = coded.rows(np.array([f == "rtw" for f in final], dtype=bool))
    has_relapse = ~np.isnat(relapse)
    col.rows(has_relapse & ~is_rtw & ~unknown_reason, "relapse_date",
             message("relapse_without_rtw"))
    col.rows((relapse < end) & is_rtw, "relapse_date", message("relapse_before_rtw"))
    for name, dates in (("start_date", start), ("end_date", end),
                        ("partial_rtw_date", partial), ("relapse_date", relapse)):
        col.rows(dates > followup, name, message("date_after_followup", column=name))

    # active offer
    if "active_offer" in mapping:
        flags = Coded.of(get("active_offer"))
        flag = flags.mapped(vocab.value_lookup("active_offer"))
        missing = np.array([f is None for f in flag], dtype=bool)
        col.rows(flags.rows(missing & ~flags.empty()), "active_offer", message("not_yes_no"))
        out["active_offer"] = pd.arrays.BooleanArray(
            flags.rows(np.array([bool(f) for f in flag], dtype=bool)), flags.rows(missing))
    else:
        out["active_offer"] = pd.arrays.BooleanArray(np.zeros(n, dtype=bool),
                                                     np.ones(n, dtype=bool))  # all missing

    # duplicates within municipality (message names the first row, never the id)
    if duplicates is not None:
        dup, first = duplicates.result()
        for i, f in zip(dup, first, strict=True):
            col.problems.append(Problem(
                spreadsheet_row(text.index[i]), mapping["person_id"],
                message("duplicate_person_id", row=spreadsheet_row(text.index[f]))))

    # covariates: known names canonical, other columns as written; numbers where all are numbers
    out = out.assign(**known_covariates)
    if "age" in mapping:
        age = out["age"]
        if pd.api.types.is_numeric_dtype(age):
            # Missing and non-finite ages are not out of range (inf is reported as not finite);
            # NaN compares False, so numpy needs no separate pass for it.
            years = age.to_numpy(dtype="float64")
            bad = np.isfinite(years) & ((years < AGE_RANGE[0]) | (years > AGE_RANGE[1]))
            col.rows(bad, "age", message("age_out_of_range", low=AGE_RANGE[0], high=AGE_RANGE[1]))
        else:
            # Cells with digits other than 0–9 are already reported by check_cells.
            age_text = as_text(get("age"))
            filled = ((age_text != "") & age_text.str.isascii()).to_numpy(dtype=bool)
            col.rows(filled & parse_numbers_each(get("age"), decimal_comma), "age",
                     message("age_not_a_number"))
    for header in columns:
        if header in used:
            continue
        if _is_unnamed(header):
            # Excel often saves trailing empty columns; a nameless column with data is an error
            # because it cannot be named as a covariate or checked.
            filled = (text[header] != "").to_numpy()
            if filled.any():
                col.rows(filled, header, message("cell_in_unnamed_column"))
            continue
        out[header.strip()] = other_covariates[header]
    position = {h.strip(): i for i, h in enumerate(columns)}
    for name in [c for c in out.columns if c not in CANONICAL_COLUMNS]:
        # inf, -inf and 1e400 parse as numbers but no model can use them.
        if pd.api.types.is_float_dtype(out[name]):
            infinite = np.isinf(out[name].to_numpy(dtype="float64"))
            where = name if name in mapping else message("column_at",
                                                         position=position.get(name, 0) + 1)
            col.rows(infinite, where, message("not_finite"))

    if col.problems:
        raise ValidationError(col.problems, source)

    ordered = CANONICAL_COLUMNS + [c for c in out.columns if c not in CANONICAL_COLUMNS]
    data = out[ordered].reset_index(drop=True)
    # The label columns were built in the cohort's form (Coded.labels); Cohort checks it.
    data["person_id"] = as_text(data["person_id"])
    given = set(mapping) | ({"group"} if group else set())
    recorded = {name for name, header in mapping.items() if not _empty(text[header]).all()}
    if group:
        recorded.add("group")
    if study_followup is not None:
        given.add("followup_date")
        recorded.add("followup_date")
    # No row skipped (the index is the rows' positions): the rows follow from the positions
    # (Cohort.spreadsheet_rows), no million-long array for them.
    index = text.index
    rows = None if (isinstance(index, pd.RangeIndex) and index.start == 0
                    and index.step == 1) else index.to_numpy(dtype="int64") + FIRST_DATA_ROW
    return ValidatedCohort(data, notes, frozenset(recorded), frozenset(given), rows)


def _parse_date_columns(columns: Mapping[str, pd.Series]
                        ) -> dict[str, tuple[pd.Series, np.ndarray, np.ndarray]]:
    """:func:`parse_dates` of each column, in order."""
    return {name: parse_dates(cells) for name, cells in columns.items()}


def combined_recorded(parts: list[tuple[frozenset[str], frozenset[str]]]) -> frozenset[str]:
    """The recorded columns of several files stacked, from each file's ``(given, recorded)``
    (headers present, and columns with at least one value): a column must be *given* in every
    file — otherwise some persons' values are unknown — and hold a value in at least one (an
    empty relapse column in a small control file can just mean nobody relapsed there)."""
    given = frozenset.intersection(*(g for g, _ in parts))
    return given & frozenset.union(*(r for _, r in parts))


def _group_column(raw: pd.Series, in_file: bool, group: str | None, col: _Collector,
                  lookup: Mapping[str, object] = schema.GROUP_LOOKUP,
                  own: Mapping[str, object] | None = None) -> pd.Series:
    """The canonical group of each row; with ``group`` (a one-group file) the column is optional
    and must agree with it."""
    coded = Coded.of(raw)
    mapped = coded.mapped(lookup)
    empty_u = coded.empty()
    known_u = np.array([m is not None for m in mapped], dtype=bool)
    if in_file:
        if group is None:
            col.rows(coded.rows(empty_u), "group", message("column_empty", column="group"))
        for rows, msg in messages.unknown_label_rows(
                raw, coded.rows(~known_u & ~empty_u),
                messages.display_labels(schema.GROUP_VALUES, own or {}),
                _unknown_group_guess, _unknown_group):
            col.rows(rows, "group", msg)
    if group is not None:
        other = known_u & np.array([m != group for m in mapped], dtype=bool)
        col.rows(coded.rows(other), "group", message(
            "group_disagrees_with_file", group=group,
            other="control" if group == "intervention" else "intervention"))
        mapped = [group if e else m for m, e in zip(mapped, empty_u, strict=True)]
    return coded.labels(["" if m is None else str(m) for m in mapped])


AGE_RANGE = (15, 100)  # persons on sickness benefit: working age, with room for late careers


def _is_unnamed(header: str) -> bool:
    return not header.strip() or bool(re.fullmatch(r"Unnamed: \d+(\.\d+)?", header.strip()))


def _covariate(text: pd.Series, decimal_comma: bool) -> pd.Series:
    numbers = parse_numbers(text, decimal_comma)
    if numbers is not None and (text != "").any():
        return numbers
    # Text covariates are labels like the cohort's own (sorted categories: the first is the
    # reference level of a model, as it was for text); an empty cell is missing.
    coded = Coded.of(text)
    return coded.labels([None if u is None or u == "" else str(u)
                         for u in coded.uniques]).rename(text.name)


def _constant(label: str, index: pd.Index) -> pd.Series:
    """The same label on every row, as a one-category label column."""
    return pd.Series(pd.Categorical.from_codes(np.zeros(len(index), dtype=np.int8),
                                               categories=pd.Index([label], dtype="str")),
                     index=index)


def _detail_or_reason(detail: pd.Series, reason: Coded) -> pd.Series:
    """The end detail as written, or the end reason as written where the detail is empty;
    joined on the distinct cells' codes, so no text per row."""
    written = Coded.of(detail)
    empty = written.rows(written.empty())
    if not empty.any():
        return written.labels(list(written.uniques))
    both = Coded(np.where(empty, len(written.uniques) + reason.codes, written.codes),
                 np.concatenate([written.uniques, reason.uniques]), written.index)
    return both.labels(list(both.uniques))


def _skipped_note(rows: list[int], limit: int = 10) -> Message:
    """The note on skipped blank rows; " and N more" is its own message (words to translate)."""
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        return message("empty_rows_skipped_more", n=len(rows), rows=shown,
                       more=len(rows) - limit)
    return message("empty_rows_skipped", n=len(rows), rows=shown)


# What an unknown label is told, per label column. The keys must be literal (the catalogue
# test finds every key in the source), so each column has its own pair of messages.
END_REASONS_EXPECTED = ("rtw/raskmeldt, other_benefit/anden ydelse (fleksjob, pension, …), "
                        "dropout/stoppet or censored/igangværende (all labels: docs/input.md)")
GROUPS_EXPECTED = "intervention/deltager or control/kontrol"


def _unknown_end_reason_guess(label: str, guess: str) -> Message:
    return message("unknown_end_reason_guess", label=label, guess=guess,
                   expected=END_REASONS_EXPECTED)


def _unknown_end_reason() -> Message:
    return message("unknown_end_reason", expected=END_REASONS_EXPECTED)


def _unknown_group_guess(label: str, guess: str) -> Message:
    return message("unknown_group_guess", label=label, guess=guess, expected=GROUPS_EXPECTED)


def _unknown_group() -> Message:
    return message("unknown_group", expected=GROUPS_EXPECTED)
