"""Every validation rule has a failing fixture; problems name row (header = row 1) and column,
all problems come at once, and no cell value is ever repeated in a message."""

from __future__ import annotations

import pytest
from helpers import write_csv

from fastholdelse_eval import ValidationError, load_cohort, validate

HEADER = "id,gruppe,startdato,slutdato,årsag,delvis_raskmeldt_dato,tilbagefald_dato,opfølgningsdato"
GOOD = "ok1,deltager,05-01-2009,02-03-2009,raskmeldt,02-02-2009,01-06-2009,08-10-2009"


def problems_for(tmp_path, *rows: str, header: str = HEADER, **kwargs):
    path = write_csv(tmp_path / "c.csv", "\n".join([header, *rows]) + "\n")
    return validate(path, **kwargs)


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


CASES = [
    # (row text, column header, words in message)
    ("p2,kontrollen,05-01-2009,,,,,08-10-2009", "gruppe", "unknown group"),
    ("p2,,05-01-2009,,,,,08-10-2009", "gruppe", "group is empty"),
    ("p2,kontrol,05-01-2009,02-03-2009,ferie,,,08-10-2009", "årsag", "unknown end reason"),
    ("p2,kontrol,5 jan 2009,,,,,08-10-2009", "startdato", "not a date"),
    ("p2,kontrol,31-02-2009,,,,,08-10-2009", "startdato", "impossible date"),
    ("p2,kontrol,05-01-1850,,,,,08-10-2009", "startdato", "impossible date"),
    ("p2,kontrol,,,,,,08-10-2009", "startdato", "start_date is empty"),
    ("p2,kontrol,05-03-2009,02-03-2009,raskmeldt,,,08-10-2009", "slutdato", "before start_date"),
    ("p2,kontrol,05-01-2009,,raskmeldt,,,08-10-2009", "slutdato", "end_date is empty"),
    ("p2,kontrol,05-01-2009,02-03-2009,,,,08-10-2009", "årsag", "end_reason is empty"),
    ("p2,kontrol,05-01-2009,02-03-2009,fleksjob,03-03-2009,,08-10-2009",
     "delvis_raskmeldt_dato", "after the spell ended"),
    ("p2,kontrol,05-01-2009,,,01-01-2009,,08-10-2009", "delvis_raskmeldt_dato",
     "before start_date"),
    ("p2,kontrol,05-01-2009,02-03-2009,fleksjob,,01-06-2009,08-10-2009", "tilbagefald_dato",
     "did not end with a return to work"),
    ("p2,kontrol,05-01-2009,,,,01-06-2009,08-10-2009", "tilbagefald_dato",
     "did not end with a return to work"),
    ("p2,kontrol,05-01-2009,02-03-2009,raskmeldt,,01-03-2009,08-10-2009", "tilbagefald_dato",
     "before the return to work"),
    ("p2,kontrol,05-01-2009,02-03-2009,raskmeldt,,01-11-2009,08-10-2009", "tilbagefald_dato",
     "after the follow-up date"),
    ("p2,kontrol,05-01-2009,02-11-2009,raskmeldt,,,08-10-2009", "slutdato",
     "after the follow-up date"),
    ("p2,kontrol,05-11-2009,,,,,08-10-2009", "startdato", "after the follow-up date"),
    ("p2,kontrol,05-01-2009,,,,,", "opfølgningsdato", "no study-wide follow-up"),
    ("ok1,kontrol,05-01-2009,,,,,08-10-2009", "id", "duplicate person_id"),
    ("p2,kontrol,05-01-2009,,,,,32-10-2009", "opfølgningsdato", "impossible date"),
]


@pytest.mark.parametrize("row,column,words", CASES)
def test_each_rule_reports_row_and_column(tmp_path, row, column, words):
    problem = only(problems_for(tmp_path, GOOD, row))
    assert problem.row == 3
    assert problem.column == column
    assert words in problem.message


def test_valid_file_has_no_problems(tmp_path):
    assert problems_for(tmp_path, GOOD) == []


def test_duplicate_message_points_to_first_row(tmp_path):
    problem = only(problems_for(tmp_path, GOOD, "p2,kontrol,05-01-2009,,,,,08-10-2009",
                                "ok1,kontrol,05-01-2009,,,,,08-10-2009"))
    assert problem.row == 4 and "first seen in row 2" in problem.message


@pytest.mark.parametrize("cpr", ["0101801234", "010180-1234", "3112999999"])
def test_cpr_like_id_refused_and_never_printed(tmp_path, cpr):
    path = write_csv(tmp_path / "c.csv", f"{HEADER}\n{cpr},kontrol,05-01-2009,,,,,08-10-2009\n")
    with pytest.raises(ValidationError) as err:
        load_cohort(path)
    problem = only(err.value.problems)
    assert problem.row == 2 and "CPR" in problem.message and "pseudonymize" in problem.message
    assert cpr not in str(err.value)
    assert cpr[:6] not in str(err.value)


def test_values_are_never_echoed(tmp_path):
    secret = "Hans Jensen"
    row = f"p2,{secret},{secret},{secret},{secret},{secret},{secret},{secret}"
    path = write_csv(tmp_path / "c.csv", f"{HEADER}\n{row}\n")
    with pytest.raises(ValidationError) as err:
        load_cohort(path)
    assert secret not in str(err.value)
    assert len(err.value.problems) >= 6


def test_all_problems_reported_at_once(tmp_path):
    rows = [GOOD,
            "p2,kontrollen,05-01-2009,,,,,08-10-2009",
            "p3,kontrol,31-02-2009,,,,,08-10-2009",
            "p4,kontrol,05-01-2009,02-03-2009,,,,08-10-2009",
            "ok1,kontrol,05-01-2009,,,,,08-10-2009"]
    problems = problems_for(tmp_path, *rows)
    assert [(p.row, p.column) for p in problems] == [
        (3, "gruppe"), (4, "startdato"), (5, "årsag"), (6, "id")]


def test_missing_required_columns(tmp_path):
    problems = problems_for(tmp_path, "p1,2009-01-05", header="id,slutdato",
                            followup_date="2009-10-08")
    messages = " | ".join(p.message for p in problems)
    assert "required column 'group' is missing" in messages
    assert "required column 'start_date' is missing" in messages
    assert all(p.row is None for p in problems if "required" in p.message)


def test_no_followup_anywhere_is_one_file_level_problem(tmp_path):
    problems = problems_for(tmp_path, "p1,1,2009-01-05", "p2,0,2009-01-05",
                            header="id,group,start_date")
    problem = only(problems)
    assert problem.row is None and "follow-up" in problem.message


def test_study_wide_followup_makes_it_valid(tmp_path):
    assert problems_for(tmp_path, "p1,1,2009-01-05", header="id,group,start_date",
                        followup_date="2009-10-08") == []


def test_bad_followup_option_is_a_config_error(tmp_path):
    from fastholdelse_eval import ConfigError
    path = write_csv(tmp_path / "c.csv", "id,group,start_date\np1,1,2009-01-05\n")
    with pytest.raises(ConfigError, match="followup_date"):
        load_cohort(path, followup_date="next tuesday")


def test_duplicate_meaning_columns(tmp_path):
    problems = problems_for(tmp_path, "p1,1,0,2009-01-05", header="id,group,gruppe,start_date",
                            followup_date="2009-10-08")
    assert "same as" in only(problems).message


def test_active_offer_values(tmp_path):
    header = "id,group,start_date,aktivt_tilbud"
    problems = problems_for(tmp_path, "p1,1,2009-01-05,ja", "p2,0,2009-01-05,måske",
                            "p3,0,2009-01-05,", header=header, followup_date="2009-10-08")
    assert (only(problems).row, only(problems).column) == (3, "aktivt_tilbud")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    problem = only(validate(path))
    assert "empty" in problem.message


def test_header_only_file(tmp_path):
    problem = only(validate(write_csv(tmp_path / "h.csv", HEADER + "\n")))
    assert "no data rows" in problem.message


def test_unreadable_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a zip file")
    assert "not a readable XLSX" in only(validate(path)).message


def test_unreadable_parquet(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 garbage")
    assert "not a readable Parquet" in only(validate(path)).message


def test_missing_file(tmp_path):
    assert "not found" in only(validate(tmp_path / "nope.csv")).message


def test_unsupported_suffix(tmp_path):
    from fastholdelse_eval import FastholdelseError
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(FastholdelseError, match="unsupported file type"):
        load_cohort(path)


AGG_HEADER = "kommune;gruppe;antal;raskmeldt;tilbagefald;stoppet"


@pytest.mark.parametrize("row,column,words", [
    ("A;kontrol;10;12;0;0", "raskmeldt", "larger than n"),
    ("A;kontrol;10;3;4;0", "tilbagefald", "larger than rtw"),
    ("A;kontrol;10;3;0;-1", "stoppet", "whole number"),
    ("A;kontrol;ti;3;0;0", "antal", "whole number"),
    ("A;kontrollen;10;3;0;0", "gruppe", "unknown group"),
    ("A;deltager;10;3;0;0", "gruppe", "second row"),
    ("A;kontrol;0;0;0;0", "antal", "n is 0"),
])
def test_aggregate_rules(tmp_path, row, column, words):
    path = write_csv(tmp_path / "a.csv", f"{AGG_HEADER}\nA;deltager;10;5;1;0\n{row}\n")
    problem = only(validate(path))
    assert (problem.row, problem.column) == (3, column)
    assert words in problem.message


def test_row_with_surplus_cells(tmp_path):
    path = write_csv(tmp_path / "r.csv", "id,group,start_date\np1,1,2009-01-05,oops\n"
                                         "p2,0,2009-01-05,,\n")
    problem = only(validate(path, followup_date="2009-10-08"))
    assert problem.row == 2 and "4 cells but the header has 3" in problem.message


def test_nameless_column_with_data_is_an_error_empty_one_ignored(tmp_path):
    path = write_csv(tmp_path / "n.csv", "id,group,start_date,\np1,1,2009-01-05,\n"
                                         "p2,0,2009-01-05,x\n")
    problem = only(validate(path, followup_date="2009-10-08"))
    assert problem.row == 3 and "without a header" in problem.message
    ok = write_csv(tmp_path / "ok.csv", "id,group,start_date,\np1,1,2009-01-05,\n")
    assert validate(ok, followup_date="2009-10-08") == []


def test_repeated_header_is_reported(tmp_path):
    path = write_csv(tmp_path / "d.csv", "id,id,group,start_date\np1,p1,1,2009-01-05\n")
    assert "more than once" in only(validate(path, followup_date="2009-10-08")).message
