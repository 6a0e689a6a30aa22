"""Every validation rule in Danish (issue 12, item 3): bad cohort and aggregate files that break
every rule of data/validation.py give every problem in Danish, decided by the message's key, and
the keyed English is the old English text word for word."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from helpers import write_csv

from fastholdelse_eval import load_cohort
from fastholdelse_eval.core.errors import ValidationError
from fastholdelse_eval.data import localize
from fastholdelse_eval.data.localize import Message, message

VALIDATION = Path(localize.__file__).with_name("validation.py")
NOTE_KEYS = {"empty_rows_skipped", "empty_rows_skipped_more", "municipality_default"}
# Hints validation adds from data/messages.py.
HINT_KEYS = {"hint_two_digit_year", "hint_header_row"}
# English words that have no place in a Danish message (column names such as end_date and the
# canonical labels rtw, control are the file's contract and stay as written).
ENGLISH = {"is", "the", "not", "must", "and", "or", "of", "than", "but", "has", "with", "empty",
           "row", "rows", "more", "was", "unknown", "expected", "skipped"}

H = ("id;gruppe;startdato;slutdato;årsag;delvis_raskmeldt_dato;tilbagefald_dato;opfølgningsdato;"
     "aktivt_tilbud;alder;score;;0101701234")
ROWS = [
    "A;kontrol;05-01-2009;02-03-2009;raskmeldt;;;08-10-2009;ja;40;1;;",
    "A;kontrol;05-01-2009;;;;;08-10-2009;;41;1;;",                 # duplicate id
    ";kontrol;05-01-2009;;;;;08-10-2009;;;;;",                     # empty person_id
    "B;;;;;;;08-10-2009;;;;;",                                      # empty group, start_date
    "C;kontroll;05-01-2009;;;;;08-10-2009;;;;;",                   # unknown group, a guess
    "D;Jens Hansen;05-01-2009;;;;;08-10-2009;;;;;",                # unknown group, not shown
    "E;kontrol;5 jan 2009;;;;;08-10-2009;;;;;",                    # not a date
    "F;kontrol;31-02-2009;;;;;08-10-2009;;;;;",                    # impossible date
    "G;kontrol;05-01-09;;;;;08-10-2009;;;;;",                      # two-digit year
    "H;kontrol;05-01-2009;;raskmeldt;;;08-10-2009;;;;;",           # ended, no end_date
    "I;kontrol;05-01-2009;02-03-2009;;;;08-10-2009;;;;;",          # end_date, no reason
    "J;kontrol;05-03-2009;02-03-2009;fleksjob;;;08-10-2009;;;;;",  # end before start
    "K;kontrol;05-01-2009;;;01-01-2009;;08-10-2009;;;;;",          # partial before start
    "L;kontrol;05-01-2009;02-03-2009;fleksjob;03-03-2009;;08-10-2009;;;;;",  # partial after end
    "M;kontrol;05-01-2009;02-03-2009;fleksjob;;01-06-2009;08-10-2009;;;;;",  # relapse, no rtw
    "N;kontrol;05-01-2009;02-03-2009;raskmeldt;;01-03-2009;08-10-2009;;;;;",  # relapse < rtw
    "O;kontrol;05-01-2009;02-11-2009;raskmeldt;01-11-2009;01-12-2009;08-10-2009;;;;;",  # > fu
    "P;kontrol;05-11-2009;;;;;08-10-2009;;;;;",                    # start after follow-up
    "Q;kontrol;05-01-2009;;;;;;;;;;",                              # no follow-up in the row
    "R;kontrol;05-01-2009;02-03-2009;rasmeldt;;;08-10-2009;;;;;",  # unknown reason, a guess
    "S;kontrol;05-01-2009;02-03-2009;12345;;;08-10-2009;;;;;",     # unknown reason, not shown
    "T;kontrol;05-01-2009;;;;;08-10-2009;måske;;;;",               # not yes/no
    "U;kontrol;05-01-2009;;;;;08-10-2009;;abc;;;",                 # age not a number
    "V;kontrol;05-01-2009;;;;;08-10-2009;;٤٠;;;",                  # other digits
    "W;kontrol;05-01-2009;;;;;08-10-2009;;;inf;;",                 # infinite number
    "X;kontrol;05-01-2009;;;;;08-10-2009;;;;x;",                   # cell without a header
    "Y;kontrol;05-01-2009;;;;;08-10-2009;;;;;0202702345",          # CPR in a cell
]
AGGREGATE = ("kommune;gruppe;antal;raskmeldt;tilbagefald;anden_ydelse;stoppet\n"
             "A;deltager;10;5;1;0;0\n"
             "A;kontrol;10;12;0;0;0\n"      # rtw larger than n
             "B;kontrol;10;3;4;0;0\n"       # relapse larger than rtw
             "C;kontrol;10;3;0;0;-1\n"      # not a whole number
             "D;kontroll;10;3;0;0;0\n"      # unknown group
             "A;deltager;10;3;0;0;0\n"      # second row for A × intervention
             "E;kontrol;0;0;0;0;0\n"        # n is 0
             "F;kontrol;10;6;0;0;5\n"       # outcomes add up to more than n
             "G;kontrol;;;0;0;0\n")         # n and rtw empty


def _validation_keys() -> set[str]:
    tree = ast.parse(VALIDATION.read_text("utf-8"))
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "message" and isinstance(node.args[0], ast.Constant)}


def _errors(tmp_path: Path) -> list[ValidationError]:
    def fails(**kwargs: object) -> ValidationError:
        with pytest.raises(ValidationError) as err:
            load_cohort(**kwargs)
        return err.value

    f = {name: write_csv(tmp_path / name, text) for name, text in {
        "bad.csv": "\n".join([H, *ROWS]) + "\n",
        "age.csv": "id;gruppe;startdato;alder\nA;kontrol;05-01-2009;12\nB;kontrol;05-01-2009;40\n",
        "title.csv": "Kohorte 2009;;\nid;gruppe;startdato\nA;kontrol;05-01-2009\n",
        "headers.csv": "id;id;gruppe;group;startdato\nA;A;kontrol;kontrol;05-01-2009\n",
        "header_only.csv": "id;gruppe;startdato\n",
        "intervention.csv": "id;gruppe;startdato\nA;deltager;05-01-2009\nB;kontrol;05-01-2009\n",
        "control.csv": "id;startdato\nC;05-01-2009\n",
        "aggregate.csv": AGGREGATE,
    }.items()}
    return [fails(path=f["bad.csv"]), fails(path=f["age.csv"]),
            fails(path=f["title.csv"], followup_date="2010-01-01"),
            fails(path=f["headers.csv"], followup_date="2010-01-01"),
            fails(path=f["header_only.csv"]),
            fails(intervention=f["intervention.csv"], control=f["control.csv"],
                  followup_date="2010-01-01"),
            fails(path=f["aggregate.csv"])]


def _english_words(text: str) -> set[str]:
    # Quoted text is the user's (a header, a rejected label) and stays as written.
    return set(re.findall(r"[a-zæøå_]+", re.sub(r"'[^']*'", "", text.lower()))) & ENGLISH


def test_every_validation_rule_is_in_danish(tmp_path):
    errors = _errors(tmp_path)
    problems = [p for e in errors for p in e.problems]
    keys = {getattr(p.message, "key", None) for p in problems}
    assert None not in keys, [p.message for p in problems if not isinstance(p.message, Message)]
    # Every problem validation can write is broken here at least once (a new rule without a
    # case here fails).
    assert _validation_keys() - NOTE_KEYS - {"column_at"} - keys == set()
    assert "column_at" in {getattr(p.column, "key", None) for p in problems}
    assert HINT_KEYS <= keys
    for p in problems:
        danish = localize.translate(p.message, "da")
        assert danish != p.message, p.message
        assert not _english_words(danish), (danish, _english_words(danish))
    for err in errors:
        text = localize.localized(err, "da").replace(str(tmp_path), "")
        assert re.search(r"\d+ problem(er)? fundet; intet blev indlæst\.", text), text
        assert not _english_words(text), (text, _english_words(text))
        assert "'column " not in text  # a column given by position ("column 3") too
        assert localize.localized(err, "en") == str(err)


def test_the_bad_file_line_by_line_in_danish(tmp_path):
    lines = localize.localized(_errors(tmp_path)[0], "da").splitlines()
    for line in [
        "  - kolonne 'kolonne 13': kolonneoverskriften ligner et CPR-nummer",
        "  - række 3, kolonne 'id': person-id'et går igen i samme kommune (første gang i række 2)",
        "  - række 5, kolonne 'gruppe': group er tom",
        "  - række 6, kolonne 'gruppe': ukendt gruppe 'kontroll'; mente du 'kontrol'? forventede "
        "intervention/deltager eller control/kontrol",
        "  - række 7, kolonne 'gruppe': ukendt gruppe; forventede intervention/deltager eller "
        "control/kontrol",
        "  - række 21, kolonne 'årsag': ukendt afslutningsårsag 'rasmeldt'; mente du 'raskmeldt'? "
        "forventede rtw/raskmeldt, other_benefit/anden ydelse (fleksjob, pension, …), "
        "dropout/stoppet eller censored/igangværende (alle betegnelser: docs/input.md)",
        "  - række 22, kolonne 'årsag': ukendt afslutningsårsag; forventede rtw/raskmeldt, "
        "other_benefit/anden ydelse (fleksjob, pension, …), dropout/stoppet eller "
        "censored/igangværende (alle betegnelser: docs/input.md)",
        "  - række 24, kolonne 'alder': alderen er ikke et antal år",
        "  - række 25, kolonne 'alder': indeholder andre cifre end 0–9 (fx arabisk-indiske eller "
        "fuld bredde); skriv tallet med 0–9",
        "  - række 26, kolonne 'kolonne 11': ikke et endeligt tal",
        "  - række 27: celle i en kolonne uden overskrift",
        "  - række 28, kolonne 'kolonne 13': ligner et CPR-nummer; erstat først CPR-numre med "
        "pseudonymer (fastholdelse-eval pseudonymize), og hav ingen CPR-numre i andre kolonner",
    ]:
        assert line in lines, line
    assert ("  - tip: nogle datoer har tocifrede årstal (som 08-10-09); skriv året med fire cifre "
            "(08-10-2009) — formatér kolonnen i Excel som dato med åååå") in lines


def test_the_keyed_english_is_the_old_text():
    old = {
        message("cell_looks_like_cpr"):
            "looks like a CPR number; replace CPR numbers with pseudonyms first "
            "(fastholdelse-eval pseudonymize) and keep no CPR number in any other column",
        message("other_digits"):
            "contains digits other than 0–9 (e.g. Arabic-Indic or full-width); type the number "
            "with 0–9",
        message("required_column_missing", name="group", spellings="group, gruppe"):
            "required column 'group' is missing (accepted: group, gruppe)",
        message("column_same_meaning", other="gruppe", meaning="group"):
            "column means the same as 'gruppe' (group); keep only one",
        message("group_disagrees_with_file", other="control", group="intervention"):
            "group says control, but this is the intervention file; fix the cell or give the "
            "file as the other group",
        message("duplicate_person_id", row=3):
            "duplicate person_id within its municipality (first seen in row 3)",
        message("age_out_of_range", low=15, high=100): "age must be between 15 and 100 years",
        message("date_after_followup", column="end_date"): "end_date is after the follow-up date",
        message("counts_sum_over_n", names="'rtw' + 'dropout'"):
            "'rtw' + 'dropout' add up to more than n (each person ends one way only)",
        message("unknown_end_reason_guess", label="rasmeldt", guess="raskmeldt", expected="x"):
            "unknown end reason 'rasmeldt'; did you mean 'raskmeldt'? expected x",
        message("unknown_group", expected="intervention/deltager or control/kontrol"):
            "unknown group; expected intervention/deltager or control/kontrol",
        message("empty_rows_skipped", n=2, rows="3, 4"): "2 empty rows skipped: rows 3, 4",
        message("empty_rows_skipped_more", n=12, rows="3, 4", more=10):
            "12 empty rows skipped: rows 3, 4 and 10 more",
        message("municipality_default", n=1, municipality="unknown"):
            "1 row without municipality set to 'unknown'",
    }
    for keyed, text in old.items():
        assert keyed == text


def test_notes_are_keyed_with_their_old_english(tmp_path):
    rows = ["A;kontrol;05-01-2009;", *[";;;"] * 11, "B;kontrol;05-01-2009;Greve"]
    path = write_csv(tmp_path / "n.csv", "\n".join(["id;gruppe;startdato;kommune", *rows]) + "\n")
    notes = load_cohort(path, followup_date="2010-01-01").notes
    assert notes == ["11 empty rows skipped: rows 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 1 more",
                     "1 row without municipality set to 'unknown'"]
    assert [localize.translate(n, "da") for n in notes] == [
        "11 tomme rækker sprunget over: rækker 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 og 1 til",
        "1 række uden kommune er sat til 'unknown'"]
