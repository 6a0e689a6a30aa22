"""Danish validation messages (issue 12): ``validate --lang da`` and a Danish study give every
problem in Danish; the English messages (API, tests, logs) are unchanged."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fastholdelse_eval import load_cohort
from fastholdelse_eval.core.errors import ValidationError
from fastholdelse_eval.data import localize

CATALOGUE = localize.CATALOGUE

BAD = ("id;gruppe;startdato;afslutningsårsag;slutdato;alder\n"
       "A;kontrol;05-01-2009;rasmeldt;01-02-2009;40\n"
       "B;kontroll;31-02-2009;;;41\n"
       "B;kontrol;05-01-09;;;abc\n"
       + "".join(f"C{i};kontrol;05-01-2009;raskmeldt;;42\n" for i in range(8)))


def _error(tmp_path: Path, text: str, name: str = "bad.csv") -> ValidationError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_cohort(path, followup_date="2010-01-01")
    return err.value


def test_catalogue_templates_fill_in_the_same_values():
    raw = tomllib.loads(CATALOGUE.read_text("utf-8"))
    for entry in raw["message"]:
        # {n} and the plural field {n:# row|# rows}
        names = set(re.findall(r"\{(\w+)(?::[^{}]*)?\}", entry["en"]))
        assert set(re.findall(r"\{(\w+)(?::[^{}]*)?\}", entry["da"])) == names, entry["en"]
        # note_in_file: a file's name and its note; at: what an error is about and the error
        # (a message); only the message inside is translated.
        assert entry["da"] != entry["en"] or entry.get("key") in ("note_in_file", "at")


def test_every_problem_of_a_bad_file_is_in_danish(tmp_path):
    err = _error(tmp_path, BAD)
    for problem in err.problems:
        assert localize.translate(problem.message, "da") != problem.message, problem.message
    text = localize.localized(err, "da")
    assert text.splitlines()[0].endswith("bad.csv: 15 problemer fundet; intet blev indlæst.")
    assert ("  - række 2, kolonne 'afslutningsårsag': ukendt afslutningsårsag 'rasmeldt'; mente "
            "du 'raskmeldt'? forventede rtw/raskmeldt, other_benefit/anden ydelse (fleksjob, "
            "pension, …), dropout/stoppet eller censored/igangværende (alle betegnelser: "
            "docs/input.md)") in text
    assert ("  - række 4, kolonne 'id': person-id'et går igen i samme kommune (første gang i "
            "række 3)") in text
    assert ("  - rækker 5, 6, 7, 8, 9 og 3 flere (8 rækker), kolonne 'slutdato': "
            "afslutningsårsagen siger, at forløbet sluttede, men slutdatoen er tom") in text
    assert "  - række 4, kolonne 'alder': alderen er ikke et antal år" in text
    # English is unchanged, word for word.
    assert localize.localized(err, "en") == str(err)
    assert "  - row 4, column 'id': duplicate person_id within its municipality (first seen in " \
           "row 3)" in str(err)


def test_ragged_rows_and_file_problems_in_danish(tmp_path):
    err = _error(tmp_path, "id;gruppe;startdato\nA;kontrol\n")
    assert localize.localized(err, "da").splitlines()[1] == (
        "  - række 2: rækken har 2 celler, men overskriftsrækken har 3; celler udfyldes aldrig "
        "i stilhed")
    err = _error(tmp_path, "", name="empty.csv")
    assert localize.localized(err, "da").splitlines()[1] == "  - filen er tom"


def test_translation_goes_by_key_not_by_english_text():
    # The English of a keyed message, as a plain string, is not matched against the catalogue.
    assert localize.translate("the file is empty", "da") == "the file is empty"
    assert localize.translate(localize.message("file_empty"), "da") == "filen er tom"
    assert localize.translate(localize.message("column_empty", column="start_date"), "da") == \
        "start_date er tom"
    assert localize.translate("a message nobody wrote", "da") == "a message nobody wrote"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_validate_lang_da_and_a_danish_study(tmp_path):
    (tmp_path / "bad.csv").write_text(BAD, encoding="utf-8")
    out = _cli("validate", "bad.csv", "--followup-date", "2010-01-01", "--lang", "da",
               cwd=tmp_path)
    assert out.returncode == 1
    assert "15 problemer fundet; intet blev indlæst." in out.stderr
    assert "umulig dato" in out.stderr and "Traceback" not in out.stderr
    out = _cli("validate", "bad.csv", "--followup-date", "2010-01-01", cwd=tmp_path)
    assert "15 problems found; nothing was loaded." in out.stderr
    (tmp_path / "study.toml").write_text('data = "bad.csv"\nfollowup_date = "2010-01-01"\n'
                                         'language = "da"\n', encoding="utf-8")
    out = _cli("report", "study.toml", "--out", "rep", cwd=tmp_path)
    assert out.returncode == 1
    assert "15 problemer fundet" in out.stderr


@pytest.mark.parametrize(("key", "values", "en", "da"), [
    ("municipality_default", dict(n=1, municipality="x"),
     "1 row without municipality set to 'x'", "1 række uden kommune er sat til 'x'"),
    ("municipality_default", dict(n=2, municipality="x"),
     "2 rows without municipality set to 'x'", "2 rækker uden kommune er sat til 'x'"),
    ("progression_ids_not_in_cohort", dict(n=1, persons=1, rows="4"),
     "1 row of 1 person has a person_id that is not in the cohort (row 4)",
     "1 række for 1 person har et person_id, der ikke er i kohorten (række 4)"),
    ("progression_ids_not_in_cohort", dict(n=2, persons=2, rows="4, 5"),
     "2 rows of 2 persons have a person_id that is not in the cohort (rows 4, 5)",
     "2 rækker for 2 personer har et person_id, der ikke er i kohorten (rækker 4, 5)"),
    ("cox_missing_covariate", dict(n=1), "1 person with a missing covariate left out",
     "1 person med en manglende kovariat er udeladt"),
    ("cox_missing_covariate", dict(n=7), "7 persons with a missing covariate left out",
     "7 personer med en manglende kovariat er udeladt"),
    ("xlsx_sheet_cells_cpr", dict(sheet="'Ark 2'", cells=1),
     "sheet 'Ark 2': 1 cell looks like a CPR number", "ark 'Ark 2': 1 celle ligner et CPR-nummer"),
    # a masked count takes the plural, as "<5" stands for more than one
    ("cox_missing_covariate", dict(n="<5"), "<5 persons with a missing covariate left out",
     "<5 personer med en manglende kovariat er udeladt"),
])
def test_counts_take_the_singular_or_the_plural(key, values, en, da):
    msg = localize.message(key, **values)
    assert (msg, localize.translate(msg, "da")) == (en, da)
    # privacy/notes.py finds the count among the message's pieces: the value alone
    assert "".join(text for _, text in localize.pieces(msg)) == en
    count = "n" if "n" in values else "cells"
    assert [text for name, text in localize.pieces(msg) if name == count] == \
        [str(values[count])]

