"""The cohort's label columns as sorted Categoricals (issue 12, loading at scale; the form is in
docs/input.md, "In Python: the loaded cohort"). The form must never change a number: every
test here compares the categorical route with the same data as plain text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fastholdelse_eval as fe
from fastholdelse_eval.analysis.covariates import covariate_design
from fastholdelse_eval.analysis.pooling import one_armed_sites, pooled_mask
from fastholdelse_eval.data.coded import Coded, concat_labelled, sorted_labels
from fastholdelse_eval.data.schema import CANONICAL_COLUMNS, LABEL_COLUMNS

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sample"


def _is_label_column(column: pd.Series) -> bool:
    return (isinstance(column.dtype, pd.CategoricalDtype)
            and list(column.cat.categories) == sorted(column.dropna().unique().tolist()))


@pytest.mark.parametrize("name", ["greve_2009.csv", "aktive_17.csv", "confounded.csv"])
def test_a_loaded_cohort_has_sorted_label_columns_and_text_ids(name):
    data = fe.load_cohort(SAMPLES / name, followup_date="2010-06-30").data
    for column in LABEL_COLUMNS:
        assert _is_label_column(data[column]), column
    assert data["person_id"].dtype == "str"
    cohort_covariates = [c for c in data.columns if c not in CANONICAL_COLUMNS]
    text = [c for c in cohort_covariates if not pd.api.types.is_numeric_dtype(data[c])]
    assert text  # sex, diagnosis, …
    assert all(_is_label_column(data[c]) for c in text)


def test_sorted_labels_of_text_and_of_categoricals():
    got = sorted_labels(pd.Series(["b", "a", None, "b", "c"], name="x"))
    assert list(got.cat.categories) == ["a", "b", "c"] and got.name == "x"
    assert got.astype(object).tolist()[:2] == ["b", "a"] and pd.isna(got[2])
    # Categories out of order or unused (a subset) are sorted and dropped; codes follow.
    messy = pd.Series(pd.Categorical(["b", "a", None, "b"], categories=["z", "b", "a"]))
    tidy = sorted_labels(messy)
    assert list(tidy.cat.categories) == ["a", "b"]
    assert tidy.cat.codes.tolist() == [1, 0, -1, 1]
    assert len(sorted_labels(pd.Series([], dtype="str"))) == 0


def test_coded_labels_merge_distinct_cells_that_map_to_one_label():
    coded = Coded.of(pd.Series(["raskmeldt", "rask", "fleksjob", "rask", ""]))
    got = coded.labels(["rtw", "rtw", "other_benefit", None])
    assert list(got.cat.categories) == ["other_benefit", "rtw"]
    assert got.astype(object).tolist()[:4] == ["rtw", "rtw", "other_benefit", "rtw"]
    assert pd.isna(got.iloc[4])


def test_concat_keeps_categories_as_their_union():
    a = sorted_labels(pd.Series(["Greve", "Greve"]))
    b = sorted_labels(pd.Series(["Solrød", "Albertslund"]))
    got = concat_labelled([pd.DataFrame({"m": a}), pd.DataFrame({"m": b})])["m"]
    assert list(got.cat.categories) == ["Albertslund", "Greve", "Solrød"]
    assert got.astype(str).tolist() == ["Greve", "Greve", "Solrød", "Albertslund"]


def test_stacked_parts_keep_the_label_form_and_the_data():
    data = fe.load_cohort(SAMPLES / "aktive_17.csv", followup_date="2010-06-30").data
    half = len(data) // 2  # the halves hold different municipalities' categories
    parts = [fe.Cohort(data.iloc[:half].reset_index(drop=True)).subset(m).data
             for m in sorted(data["municipality"].iloc[:half].unique())]
    parts += [data.iloc[half:].reset_index(drop=True)]
    stacked = concat_labelled(parts)
    for column in LABEL_COLUMNS:
        assert _is_label_column(stacked[column])
    order = pd.concat([p["person_id"] for p in parts], ignore_index=True)
    want = data.set_index("person_id").loc[order].reset_index()
    pd.testing.assert_frame_equal(stacked.astype(str), want.astype(str))


def test_a_cohort_built_from_text_gets_the_label_form_and_the_same_results(greve_cohort):
    text = greve_cohort.data.astype({c: str for c in LABEL_COLUMNS})
    cohort = fe.Cohort(text)
    for column in LABEL_COLUMNS:
        assert _is_label_column(cohort.data[column])
    pd.testing.assert_frame_equal(cohort.data, greve_cohort.data)
    assert text["group"].dtype == "str"  # the caller's frame is not changed


def test_text_and_categorical_covariates_give_the_same_design_and_model():
    cohort = fe.load_cohort(SAMPLES / "confounded.csv")
    covariates = [c for c in cohort.covariates
                  if isinstance(cohort.data[c].dtype, pd.CategoricalDtype)]
    assert covariates
    as_text = cohort.data.astype({c: str for c in covariates})
    got, want = covariate_design(cohort.data, covariates), covariate_design(as_text, covariates)
    assert got[1] == want[1]
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[2], want[2])
    tidy = fe.evaluate(cohort, covariates=covariates).tidy()
    tidy_text = fe.evaluate(fe.Cohort(as_text), covariates=covariates).tidy()
    pd.testing.assert_frame_equal(tidy, tidy_text)


def test_a_municipality_without_a_covariate_level_gets_no_column_of_zeros():
    # The persons of one municipality keep the whole cohort's categories after a plain .loc;
    # an unused level must not become a dummy (a column of zeros has no estimate).
    data = pd.DataFrame({"diagnosis": sorted_labels(pd.Series(["a", "b", "c", "a", "b"]))})
    one_site = data.iloc[[0, 1, 3]]  # no "c"
    assert list(one_site["diagnosis"].cat.categories) == ["a", "b", "c"]
    matrix, names, complete = covariate_design(one_site, ["diagnosis"])
    assert names == ["diagnosis=b"]
    assert matrix[:, 0].tolist() == [0.0, 1.0, 0.0] and complete.all()
    text = covariate_design(one_site.astype(str), ["diagnosis"])
    assert text[1] == names and np.array_equal(text[0], matrix)


def test_subset_drops_the_other_municipalities_labels():
    cohort = fe.load_cohort(SAMPLES / "aktive_17.csv", followup_date="2010-06-30")
    site = cohort.municipalities[0]
    part = cohort.subset(site)
    assert list(part.data["municipality"].cat.categories) == [site]
    for column in part.data.columns:
        if isinstance(part.data[column].dtype, pd.CategoricalDtype):
            assert _is_label_column(part.data[column]), column


def test_pooling_reads_categories_and_text_alike():
    municipality = pd.Series(["b", "a", "b", "c", "a"])
    group = pd.Series(["intervention", "control", "control", "control", "intervention"])
    for m, g in ((municipality, group), (sorted_labels(municipality), sorted_labels(group))):
        assert one_armed_sites(m, g) == ["c"]
        mask, left_out = pooled_mask(m, g)
        assert mask.tolist() == [True, True, True, False, True] and left_out == ["c"]


def test_a_new_label_goes_in_as_text_as_the_docs_say(greve_cohort):
    d = greve_cohort.data.copy()
    with pytest.raises(TypeError):  # pandas refuses a label that is not a category
        d.loc[d.index[:2], "diagnosis"] = "ALS"
    d["diagnosis"] = d["diagnosis"].astype(str)
    d.loc[d.index[:2], "diagnosis"] = "ALS"
    cohort = fe.Cohort(d)
    assert cohort.data["diagnosis"].value_counts()["ALS"] == 2
    assert d["diagnosis"].isna().sum() == greve_cohort.data["diagnosis"].isna().sum()
