"""Validation on distinct cells (issue 12, loading at scale): the cohort reader keeps columns of
few distinct cells as pandas Categoricals and validation looks at each distinct cell once. The
cohort, its notes and every problem must be exactly what plain text gives — checked here by
loading each file both ways. Speed and memory are measured in benchmarks/bench_load.py."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastholdelse_eval import load_cohort
from fastholdelse_eval.core.errors import ValidationError
from fastholdelse_eval.core.memory import release_free_memory
from fastholdelse_eval.data import coded, csv_lines, io, validation
from fastholdelse_eval.data.cohort import Cohort

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sample"

HEADER = ("borger_id;gruppe;kommune;startdato;slutdato;afslutningsårsag;tilbagefald_dato;"
          "aktivt_tilbud;alder;køn;diagnose\n")


def _rows(cells: list[str], n: int, prefix: str) -> str:
    return "".join(f"{prefix}{i};" + ";".join(cells) + "\n" for i in range(n))


def _plain(monkeypatch: pytest.MonkeyPatch, path: Path, **kwargs):
    """The file loaded with every column as plain text (the general CSV reader, no
    Categoricals): the reference the coded route must agree with."""
    with monkeypatch.context() as m:
        m.setattr(csv_lines, "plain_start", lambda _path: None)
        m.setattr(validation, "as_categories", lambda text: text)
        return load_cohort(path, **kwargs)


def _both(monkeypatch, path: Path, **kwargs):
    coded_route = load_cohort(path, **kwargs)
    categorical = [c for c in io.read_table(path, categories=True).frame.columns
                   if isinstance(io.read_table(path, categories=True).frame[c].dtype,
                                 pd.CategoricalDtype)]
    return coded_route, _plain(monkeypatch, path, **kwargs), categorical


@pytest.mark.parametrize("name", ["greve_2009.csv", "greve_2009_participants.csv",
                                  "aktive_17.csv", "confounded.csv"])
def test_samples_load_the_same_from_codes_and_from_text(monkeypatch, name):
    got, want, categorical = _both(monkeypatch, SAMPLES / name, followup_date="2010-06-30")
    assert len(categorical) >= 5  # the coded route was taken: labels, dates, groups
    pd.testing.assert_frame_equal(got.data, want.data)
    assert got.notes == want.notes
    assert got.recorded == want.recorded and got.given_columns == want.given_columns
    assert got.spreadsheet_rows().tolist() == want.spreadsheet_rows().tolist()


MESSY = (HEADER
         # Labels written with stray spaces and a no-break space: one label after stripping.
         + _rows(["kontrol", "Køge", "05-01-2009", "01-03-2009", " raskmeldt", "", "ja", "40",
                  "kvinde", "psykisk"], 6, "A")
         + _rows(["deltager ", "Køge", "05-01-2009", "", "", "", "nej", "41", "mand",
                  "psykisk"], 6, "B")
         + _rows(["deltager", "", "06-01-2009", "01-04-2009", "raskmeldt\u00a0", "01-06-2009",
                  "", "41", "mand", "bevægeapparat"], 6, "C")
         + _rows(["kontrol", "Køge", "06-01-2009", "01-04-2009", "fleksjob", "", "ja", "52",
                  "", "psykisk"], 6, "D"))


def test_stripping_merges_categories_and_blanks_fill_in_the_same(tmp_path, monkeypatch):
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    got, want, categorical = _both(monkeypatch, path, followup_date="2010-06-30",
                                   municipality="Greve")
    assert {"gruppe", "afslutningsårsag", "startdato", "køn"} <= set(categorical)
    pd.testing.assert_frame_equal(got.data, want.data)
    assert got.notes == want.notes == ["6 rows without municipality set to 'Greve'"]
    assert sorted(got.data["group"].unique()) == ["control", "intervention"]
    assert got.data["end_reason"].value_counts().to_dict() == {
        "rtw": 12, "censored": 6, "other_benefit": 6}
    assert got.data["sex"].isna().sum() == 6
    assert isinstance(got.data["sex"].dtype, pd.CategoricalDtype)


BAD = (HEADER
       + _rows(["kontrol", "Køge", "05-01-2009", "01-03-2009", "rasmeldt", "", "ja", "40",
                "kvinde", "psykisk"], 5, "E")
       # A CPR number in a label column, repeated: every row is named, no value shown.
       + _rows(["kontrol", "Køge", "05-01-2009", "01-03-2009", "raskmeldt", "", "ja",
                "40", "0101801234", "psykisk"], 3, "F")
       # Full-width digits, an impossible date, a two-digit year, an unknown yes/no.
       + _rows(["deltager", "Køge", "31-02-2009", "", "", "", "måske", "４１", "mand",
                "psykisk"], 4, "G")
       + _rows(["deltager", "Køge", "05-01-09", "01-03-2009", "", "", "nej", "41", "mand",
                "psykisk"], 4, "H")
       # Duplicate ids within the municipality.
       + "E0;kontrol;Køge;05-01-2009;;;;ja;40;kvinde;psykisk\n")


def test_every_problem_is_the_same_from_codes_and_from_text(tmp_path, monkeypatch):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(ValidationError) as coded_err:
        load_cohort(path, followup_date="2010-06-30")
    with pytest.raises(ValidationError) as plain_err:
        _plain(monkeypatch, path, followup_date="2010-06-30")
    got, want = coded_err.value.problems, plain_err.value.problems
    assert got == want
    messages = {p.message for p in got}
    assert any("looks like a CPR number" in m for m in messages)
    assert any("did you mean 'raskmeldt'" in m for m in messages)
    assert any("digits other than 0–9" in m for m in messages)
    assert any(m.startswith("impossible date") for m in messages)
    assert any(m.startswith("hint: some dates have two-digit years") for m in messages)
    assert any(m.startswith("duplicate person_id") for m in messages)
    assert "0101801234" not in str(coded_err.value)
    # Every CPR row is named (rows 7–9 of the sheet), in the label column's own header.
    cpr = [(p.row, p.column) for p in got if "CPR" in p.message]
    assert cpr == [(7, "køn"), (8, "køn"), (9, "køn")]


def test_reader_codes_only_columns_of_few_distinct_cells(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id;gruppe;dato\n" + "".join(
        f"X{i};{'kontrol' if i % 3 else 'deltager'};0{1 + i % 2}-01-2009\n" for i in range(9)),
        encoding="utf-8")
    plain = csv_lines.read_arrow(path, ";", 3)
    cats = csv_lines.read_arrow(path, ";", 3, categories=True)
    assert cats[0].dtype == "str"  # nine ids in nine rows: plain text
    assert isinstance(cats[1].dtype, pd.CategoricalDtype)
    assert isinstance(cats[2].dtype, pd.CategoricalDtype)
    for i in range(3):
        assert cats[i].astype(str).tolist() == plain[i].tolist()


def test_cells_as_text_of_a_categorical_is_the_text_of_its_cells():
    values = [" a", "a ", None, "b", 12.0, 3.5, pd.Timestamp("2009-10-08"), True, "a"]
    cat = pd.Series(pd.Categorical(values[:4] + ["b", "a"]))
    out = io.cells_as_text(cat)
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert out.astype(str).tolist() == ["a", "a", "", "b", "b", "a"]
    assert list(out.cat.categories) == ["a", "b", ""]  # " a" and "a " merged
    for cells in ([12.0, 3.5, None, 12.0], [pd.Timestamp("2009-10-08"), None],
                  [True, False, True]):
        as_cat = io.cells_as_text(pd.Series(pd.Categorical(cells)))
        assert as_cat.astype(str).tolist() == io.cells_as_text(
            pd.Series(cells, dtype=object)).tolist()


def test_coded_of_a_categorical_matches_factorising_its_text():
    cat = pd.Series(pd.Categorical(["x", None, "y", "x", None]))
    c = coded.Coded.of(cat)
    # Missing cells get a distinct cell of their own (None), as factorising keeps them.
    assert [c.uniques[i] for i in c.codes] == ["x", None, "y", "x", None]
    text = coded.as_text(cat)
    assert text.dtype == "str" and text.isna().tolist() == [False, True, False, False, True]
    assert text.dropna().tolist() == ["x", "y", "x"]
    assert c.rows(np.array([False, False, False])).tolist() == [False] * 5
    assert c.rows(np.array([True, False, True])).tolist() == [True, True, False, True, True]


@pytest.mark.parametrize("code_type", [np.int8, np.int16, np.intp])
def test_rows_by_comparing_codes_is_the_gather(code_type):
    # Coded.rows compares codes when one to three distinct cells are hit, else gathers; both
    # must give the gather's answer for every pattern of hits.
    rng = np.random.default_rng(11)
    for k in (1, 2, 3, 4, 6):
        codes = rng.integers(0, k, 500).astype(code_type)
        c = coded.Coded(codes, np.array([f"c{i}" for i in range(k)], dtype=object),
                        pd.RangeIndex(500))
        for pattern in range(2 ** k):
            per_unique = np.array([bool(pattern >> i & 1) for i in range(k)])
            rows = c.rows(per_unique)
            assert rows.dtype == bool
            assert (rows == per_unique[codes]).all(), (k, pattern)


def test_as_categories_keeps_ids_as_text():
    ids = pd.Series([f"P{i}" for i in range(50)], dtype="str")
    assert coded.as_categories(ids) is ids
    labels = pd.Series(["a", "b"] * 25, dtype="str")
    out = coded.as_categories(labels)
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert out.astype(str).tolist() == labels.tolist()
    # Ids distinct in the first rows but a file of them later: still text, still exact.
    mixed = pd.Series([f"P{i}" for i in range(20_000)] + ["x"] * 30_000, dtype="str")
    assert coded.as_categories(mixed) is mixed


def test_duplicate_ids_in_a_categorical_column():
    ids = pd.Series(pd.Categorical(["A", "B", "A", "", "", "B", "A"]))
    within = pd.Series(["k", "k", "k", "k", "k", "j", "k"])
    dup, first = coded.duplicate_rows(ids, within)
    assert dup.tolist() == [2, 6] and first.tolist() == [0, 0]


def test_from_frame_with_categorical_columns_gives_the_same_cohort():
    frame = pd.read_csv(SAMPLES / "greve_2009.csv", sep=None, engine="python", dtype=str,
                        keep_default_na=False)
    plain = Cohort.from_frame(frame, followup_date="2010-06-30")
    as_cat = Cohort.from_frame(frame.astype("category"), followup_date="2010-06-30")
    pd.testing.assert_frame_equal(as_cat.data, plain.data)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_release_free_memory_asks_glibc():
    assert release_free_memory() is True


# Cells drawn from what real files hold: labels with stray spaces and a no-break space, empty
# cells, a typo, dates in both orders and impossible ones, ages with decimal commas, a CPR-like
# number, full-width digits.
_CELLS = {
    "gruppe": ["kontrol", "deltager", " kontrol", "deltager\u00a0", "", "kontroll"],
    "startdato": ["05-01-2009", "2009-01-06", " 07-01-2009", "31-02-2009", "05-01-09", ""],
    "slutdato": ["01-03-2009", "2009-04-01", "", "", "13-13-2009"],
    "afslutningsårsag": ["raskmeldt", " raskmeldt", "fleksjob", "rasmeldt", "", "stoppet"],
    "alder": ["40", "41,5", " 52", "", "abc", "４１"],
    "køn": ["kvinde", "mand", "", "0101801234"],
}


# How many of each column's cells (from the first) load without a problem.
_CLEAN = (4, 3, 2, 3, 4, 3)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.tuples(*(st.integers(0, len(v) - 1) for v in _CELLS.values())),
                      min_size=1, max_size=30),
       duplicate=st.booleans(), clean=st.booleans())
def test_random_files_load_the_same_from_codes_and_from_text(tmp_path_factory, picks,
                                                             duplicate, clean):
    if clean:  # only cells that load (half the examples), so the cohorts are compared too
        picks = [tuple(k % n for k, n in zip(pick, _CLEAN, strict=True)) for pick in picks]
    lines = ["borger_id;" + ";".join(_CELLS)]
    for i, pick in enumerate(picks):
        lines.append(f"P{i};" + ";".join(v[k] for v, k in zip(_CELLS.values(), pick,
                                                              strict=True)))
    if duplicate:
        lines.append(lines[1])
    path = tmp_path_factory.mktemp("random") / "cohort.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def load(plain: bool):
        with pytest.MonkeyPatch.context() as m:
            if plain:
                m.setattr(csv_lines, "plain_start", lambda _path: None)
                m.setattr(validation, "as_categories", lambda text: text)
            try:
                return load_cohort(path, followup_date="2010-06-30", municipality="Greve")
            except ValidationError as exc:
                return exc.problems

    got, want = load(plain=False), load(plain=True)
    assert not (clean and not duplicate and isinstance(want, list)), want
    if isinstance(want, list):
        assert got == want
    else:
        pd.testing.assert_frame_equal(got.data, want.data)
        assert got.notes == want.notes and got.recorded == want.recorded
