"""Own column names and group labels for aggregate (counts) files (issue 12)."""

from __future__ import annotations

import pytest

from fastholdelse_eval import AggregateCohort, load_cohort
from fastholdelse_eval.core.errors import ConfigError, ValidationError

TEXT = ("Kommune;Målgruppe;Antal borgere;Raskmeldte;Stoppet\n"
        "Greve;Indsats A;100;60;5\n"
        "Greve;Sammenligning;90;40;7\n")
COLUMNS = {"Målgruppe": "group", "Antal borgere": "n", "Raskmeldte": "rtw"}
VALUES = {"group": {"Indsats A": "intervention", "Sammenligning": "control"}}


def test_aggregate_file_in_its_own_words(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(TEXT, encoding="utf-8")
    cohort = load_cohort(path, columns=COLUMNS, values=VALUES)
    assert isinstance(cohort, AggregateCohort)
    data = cohort.data.set_index("group")
    assert data.loc["intervention", ["n", "rtw", "dropout"]].tolist() == [100, 60, 5]
    assert data.loc["control", ["n", "rtw", "dropout"]].tolist() == [90, 40, 7]
    assert data["municipality"].tolist() == ["Greve", "Greve"]


def test_without_the_mapping_it_is_not_an_aggregate_file(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_cohort(path)
    assert any("required column 'person_id'" in p.message for p in err.value.problems)


def test_unknown_group_label_still_named(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(TEXT.replace("Sammenligning", "Kontrolgruppen"), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_cohort(path, columns=COLUMNS, values=VALUES)
    assert [p.row for p in err.value.problems] == [3]


def test_mapping_to_an_unknown_column_is_refused():
    with pytest.raises(ConfigError, match="columns.Antal: 'antal personer' is not a known"):
        load_cohort("x.csv", columns={"Antal": "antal personer"})
