"""pseudonymize_file and the ``pseudonymize`` command: formats kept, atomic writes, linkage."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core.errors import ConfigError, ValidationError
from fastholdelse_eval.privacy.pseudonymize import (
    new_key,
    pseudonym,
    pseudonymize_file,
    read_key,
)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
A, B, C = "0102031234", "3112994321", "2902004234"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX links and permission bits")


@pytest.fixture()
def key_file(tmp_path):
    path = tmp_path / "keys" / "study.key"
    path.parent.mkdir()
    new_key(path)
    return path


def _p(cpr: str, key_file: Path) -> str:
    return pseudonym(cpr, read_key(key_file))


def _folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- CSV: byte for byte except the id cells ----------------------------------------------------


CSV_CASES = {
    # Danish Excel: cp1252, ";" separator, decimal comma, CRLF, quoted text with separators.
    "excel_cp1252": (
        "borger_id;gruppe;alder;bemærkning\r\n"
        '{A};deltager;55,5;"Ærø; Åse"\r\n'
        '"{A2}";kontrol;34;\r\n'
        '{B};kontrol;;"sagde ""nej"""\r\n',
        "cp1252", False,
    ),
    # UTF-8 with BOM, LF, no trailing newline, a multi-line quoted cell.
    "utf8_bom": (
        "id;kommune;note\n"
        '{A};Greve;"linje 1\nlinje 2"\n'
        "{B};Køge;ø\n"
        "{C};Greve;",
        "utf-8", True,
    ),
    # Comma separated, id not in the first column, blank line kept as it is.
    "comma_middle_column": (
        "group,person_id,weight\n"
        "intervention,{A},1.5\n"
        "\n"
        'control,{B},"2,5"\n',
        "utf-8", False,
    ),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_csv_only_the_id_cells_change(tmp_path, key_file, case):
    template, encoding, bom = CSV_CASES[case]
    source = template.format(A=A, A2="010203-1234", B=B, C=C)
    data = ("\ufeff" if bom else "") + source
    path = tmp_path / "in.csv"
    path.write_bytes(data.encode(encoding))
    out = tmp_path / "out.csv"
    summary = pseudonymize_file(path, key_file, out)
    pa_, pb, pc = (_p(x, key_file) for x in (A, B, C))
    expected = ("\ufeff" if bom else "") + template.format(A=pa_, A2=pa_, B=pb, C=pc)
    assert out.read_bytes() == expected.encode(encoding)
    assert summary.notes == []
    assert summary.kind == "csv"
    assert path.read_bytes() == data.encode(encoding)  # input untouched


def test_csv_summary_counts(tmp_path, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"id;x\n{A};1\n010203-1234;2\n{B};3\n\n")
    summary = pseudonymize_file(path, key_file, tmp_path / "out.csv")
    assert (summary.rows, summary.persons, summary.column) == (3, 2, "id")


def test_csv_unusual_quoting_falls_back_to_the_table_writer(tmp_path, key_file):
    # A stray quote inside an unquoted cell: the byte-level editor steps aside and the table
    # is written back in its own dialect; every value is still the same.
    path = tmp_path / "in.csv"
    path.write_text(f'person_id;navn\n{A};ab"c\n{B};d\n')
    out = tmp_path / "out.csv"
    summary = pseudonymize_file(path, key_file, out)
    assert summary.notes and "rewritten" in summary.notes[0]
    back = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False)
    assert back["person_id"].tolist() == [_p(A, key_file), _p(B, key_file)]
    assert back["navn"].tolist() == ['ab"c', "d"]


def test_wide_and_long_panels(tmp_path, key_file):
    weeks = [f"y_09{w:02d}" for w in range(1, 6)]
    wide = tmp_path / "wide.csv"
    rows = [";".join(["person_id", *weeks])]
    rows += [";".join([A, "", "", "890", "890", ""]), ";".join([B, "774", "", "", "", "111"])]
    wide.write_text("\n".join(rows) + "\n")
    long = tmp_path / "long.csv"
    long.write_text("person_id;week;code\n" + "".join(
        f"{cpr};2009W{w:02d};890\n" for cpr in (A, B, "010203-1234") for w in (3, 4)))
    pseudonymize_file(wide, key_file, tmp_path / "wide_p.csv")
    pseudonymize_file(long, key_file, tmp_path / "long_p.csv")
    w = pd.read_csv(tmp_path / "wide_p.csv", sep=";", dtype=str, keep_default_na=False)
    lg = pd.read_csv(tmp_path / "long_p.csv", sep=";", dtype=str, keep_default_na=False)
    assert w["person_id"].tolist() == [_p(A, key_file), _p(B, key_file)]
    assert lg["person_id"].tolist() == [_p(x, key_file) for x in (A, A, B, B, A, A)]
    assert (tmp_path / "wide_p.csv").read_text().split("\n", 1)[0] == rows[0]
    assert lg["week"].tolist() == ["2009W03", "2009W04"] * 3


# --- XLSX and Parquet ------------------------------------------------------------------------


def test_xlsx_keeps_types_formats_and_other_sheets(tmp_path, key_file):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "kohorte"
    ws.append(["borger_id", "startdato", "alder", "aktivt_tilbud", "note"])
    ws.append([A, dt.datetime(2009, 1, 6), 55.5, True, "Ærø"])
    ws.append([102031234, dt.datetime(2009, 2, 1), 34, False, None])  # shown as 0102031234
    ws.append(["310599-4321", dt.datetime(2009, 3, 1), None, None, "x"])
    ws.append([int(C), dt.datetime(2009, 3, 2), 1, True, "y"])
    ws.cell(3, 1).number_format = "0000000000"
    ws.cell(5, 1).number_format = "000000\\-0000"  # Excel's "000000-0000" display format
    ws.cell(2, 2).number_format = "dd-mm-yyyy"
    ws.cell(2, 3).number_format = "0.0"
    wb.create_sheet("noter").append(["kilde", A])  # other sheets are kept as they are
    path = tmp_path / "in.xlsx"
    wb.save(path)
    out = tmp_path / "out.xlsx"
    # the CPR number left on the other sheet is reported (a place, never the value)
    with pytest.warns(UserWarning, match=r"sheet 2: 1 cell looks like a CPR number") as seen:
        summary = pseudonymize_file(path, key_file, out)
    assert not any(A in str(w.message) for w in seen)
    assert (summary.rows, summary.persons) == (4, 3)

    before = openpyxl.load_workbook(path)
    after = openpyxl.load_workbook(out)
    assert after.sheetnames == before.sheetnames
    b, a = before["kohorte"], after["kohorte"]
    assert [a.cell(r, 1).value for r in range(1, 6)] == [
        "borger_id", _p(A, key_file), _p(A, key_file), _p("3105994321", key_file),
        _p(C, key_file)]
    assert a.cell(3, 1).number_format == "@"  # now text, not a zero-padded number
    for r in range(1, 6):
        for c in range(2, 6):
            old, new = b.cell(r, c), a.cell(r, c)
            assert (new.value, type(new.value), new.number_format) == (
                old.value, type(old.value), old.number_format)
    assert [c.value for c in after["noter"][1]] == ["kilde", A]


def test_xlsx_number_without_zero_format_is_reported(tmp_path, key_file):
    wb = openpyxl.Workbook()
    wb.active.append(["person_id", "group"])
    wb.active.append([102031234, "control"])  # leading zero lost, no display format
    path = tmp_path / "in.xlsx"
    wb.save(path)
    with pytest.raises(ValidationError, match="row 2.*leading zero"):
        pseudonymize_file(path, key_file, tmp_path / "out.xlsx")


def test_parquet_keeps_other_column_types_and_compression(tmp_path, key_file):
    table = pa.table({
        "person_id": pa.array([A, B, "010203-1234"]),
        "n": pa.array([1, 2, None], pa.int32()),
        "weight": pa.array([1.5, np.nan, 2.0]),
        "start": pa.array([dt.date(2009, 1, 1), None, dt.date(2009, 2, 1)]),
        "flag": pa.array([True, False, None]),
        "name": pa.array(["Åse", None, "x"]),
    })
    path = tmp_path / "in.parquet"
    pq.write_table(table, path, compression="zstd")
    out = tmp_path / "out.parquet"
    pseudonymize_file(path, key_file, out)
    back = pq.read_table(out)
    assert back.schema.field("person_id").type == pa.string()
    assert back.column("person_id").to_pylist() == [_p(x, key_file) for x in (A, B, A)]
    for name in ("n", "weight", "start", "flag", "name"):
        assert back.schema.field(name).type == table.schema.field(name).type
        pd.testing.assert_series_equal(back.column(name).to_pandas(),
                                       table.column(name).to_pandas())
    assert pq.ParquetFile(out).metadata.row_group(0).column(1).compression == "ZSTD"


def test_parquet_other_cpr_columns_found_as_text_or_integers(tmp_path, key_file):
    table = pa.table({"person_id": [A, B], "partner": [None, f" {C[:6]}-{C[6:]}"],
                      "code": ["X10", None], "cpr_number": pa.array([int(B), 0], pa.int64()),
                      "empty": pa.array([None, None], pa.string())})
    pq.write_table(table, tmp_path / "in.parquet")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        summary = pseudonymize_file(tmp_path / "in.parquet", key_file, tmp_path / "o.parquet")
    assert summary.other_cpr_like_columns == ["partner", "cpr_number"]


def test_parquet_from_pandas_with_integer_ids(tmp_path, key_file):
    frame = pd.DataFrame({"id": [3112994321, 1203041234], "x": [1, 2]})
    path = tmp_path / "in.parquet"
    frame.to_parquet(path)
    out = tmp_path / "out.parquet"
    pseudonymize_file(path, key_file, out)
    back = pd.read_parquet(out)
    assert back["id"].tolist() == [_p("3112994321", key_file), _p("1203041234", key_file)]
    assert back["x"].dtype == np.int64 and back["x"].tolist() == [1, 2]


# --- refusals, atomicity ---------------------------------------------------------------------


def test_malformed_rows_reported_and_nothing_written(tmp_path, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id;group\n{A};a\nAnna Hansen;b\n3102991234;c\n{B};d\n")
    out = tmp_path / "out.csv"
    out.write_text("previous result\n")
    with pytest.raises(ValidationError) as info:
        pseudonymize_file(path, key_file, out)
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "person_id"),
                                                                 (4, "person_id")]
    assert str(path) in str(info.value)
    assert "Anna" not in str(info.value) and "3102991234" not in str(info.value)
    assert out.read_text() == "previous result\n"
    assert _folder_listing(tmp_path) == ["in.csv", "keys", "out.csv"]


def test_already_pseudonymised_file_is_refused(tmp_path, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id\n{A}\n")
    pseudonymize_file(path, key_file, tmp_path / "once.csv")
    with pytest.raises(ValidationError, match="already a pseudonym"):
        pseudonymize_file(tmp_path / "once.csv", key_file, tmp_path / "twice.csv")


@posix_only
@pytest.mark.parametrize("target", ["same", "dotted", "symlink", "key"])
def test_refuses_to_overwrite_input_or_key(tmp_path, key_file, target):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id\n{A}\n")
    if target == "same":
        out = path
    elif target == "dotted":
        out = tmp_path / "keys" / ".." / "in.csv"
    elif target == "symlink":
        out = tmp_path / "link.csv"
        out.symlink_to(path)
    else:
        out = key_file.with_suffix(".csv")
        os.link(key_file, out)  # a hard link to the key file with a table suffix
    with pytest.raises(ConfigError, match="--out is"):
        pseudonymize_file(path, key_file, out)
    assert path.read_text() == f"person_id\n{A}\n"


def test_refuses_other_format_and_missing_folder(tmp_path, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id\n{A}\n")
    with pytest.raises(ConfigError, match="csv file like the input"):
        pseudonymize_file(path, key_file, tmp_path / "out.xlsx")
    with pytest.raises(ConfigError, match="does not exist"):
        pseudonymize_file(path, key_file, tmp_path / "nope" / "out.csv")


@pytest.mark.parametrize("kind", ["csv", "xlsx", "parquet"])
def test_failed_write_leaves_no_partial_file(tmp_path, key_file, monkeypatch, kind):
    mod = importlib.import_module("fastholdelse_eval.privacy.pseudonymize")  # not fe.pseudonymize

    frame = pd.DataFrame({"person_id": [A, B], "x": ["1", "2"]})
    path = tmp_path / f"in.{kind}"
    {"csv": lambda: frame.to_csv(path, index=False),
     "xlsx": lambda: frame.to_excel(path, index=False),
     "parquet": lambda: frame.to_parquet(path)}[kind]()
    out = tmp_path / f"out.{kind}"

    def boom(*args, **kwargs):
        Path(args[0]).write_bytes(b"partial")  # the temporary file gets half written ...
        raise OSError("disk full")  # ... then the disk fills up

    real_replace = os.replace
    monkeypatch.setattr(mod.os, "replace", lambda a, b: (boom(a), real_replace(a, b)))
    with pytest.raises(OSError, match="disk full"):
        pseudonymize_file(path, key_file, out)
    assert _folder_listing(tmp_path) == sorted(["keys", path.name])


@posix_only
def test_output_mode_follows_umask_or_replaced_file(tmp_path, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id\n{A}\n")
    out = tmp_path / "out.csv"
    old = os.umask(0o027)
    try:
        pseudonymize_file(path, key_file, out)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    os.chmod(out, 0o600)
    pseudonymize_file(path, key_file, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_warns_about_other_cpr_like_columns(tmp_path, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id;partner;{B};phone\n{A};{B};x;12345678\n{C};;y;\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = pseudonymize_file(path, key_file, tmp_path / "out.csv")
    # The header that is itself a CPR number is named by position, not shown.
    assert summary.other_cpr_like_columns == ["partner"]
    assert len(caught) == 1 and "'partner'" in str(caught[0].message)
    assert B not in str(caught[0].message)


def test_other_cpr_columns_in_xlsx_with_repeated_or_empty_headers(tmp_path, key_file):
    wb = openpyxl.Workbook()
    wb.active.append(["person_id", None, "x", "x"])
    wb.active.append([A, B, "b", C])
    wb.save(tmp_path / "in.xlsx")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        summary = pseudonymize_file(tmp_path / "in.xlsx", key_file, tmp_path / "out.xlsx")
    assert summary.other_cpr_like_columns == ["column 2", "x"]


# --- the command -------------------------------------------------------------------------------


def test_cli_new_key_and_pseudonymize(tmp_path, capsys):
    key = tmp_path / "k.key"
    assert main(["pseudonymize", "--new-key", str(key)]) == 0
    assert "created key file" in capsys.readouterr().out
    assert main(["pseudonymize", "--new-key", str(key)]) == 1
    assert "already exists" in capsys.readouterr().err
    path = tmp_path / "in.csv"
    path.write_text(f"cpr;x\n{A};1\n{B};2\n{A};3\n")
    out = tmp_path / "out.csv"
    code = main(["pseudonymize", str(path), "--key-file", str(key), "--out", str(out),
                 "--column", "CPR"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "3 rows, 2 persons" in captured.out
    assert A not in captured.out + captured.err
    assert out.read_text() == f"cpr;x\n{_p(A, key)};1\n{_p(B, key)};2\n{_p(A, key)};3\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["pseudonymize"], "missing PATH, --key-file, --out"),
        (["pseudonymize", "in.csv", "--out", "o.csv"], "missing --key-file"),
        (["pseudonymize", "in.csv", "--new-key", "k"], "drop PATH"),
    ],
)
def test_cli_option_errors(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "k").exists()


def test_cli_malformed_file(tmp_path, capsys, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id\n{A}\n0102031\n")
    code = main(["pseudonymize", str(path), "--key-file", str(key_file),
                 "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 1
    assert "row 3, column 'person_id'" in err and "0102031" not in err.replace(str(path), "")
    assert not (tmp_path / "o.csv").exists()


# --- linkage: pseudonymised files load, link and evaluate --------------------------------------


def _fake_cprs(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out: set[str] = set()
    while len(out) < n:
        d, m, y, s = rng.integers(1, 29), rng.integers(1, 13), rng.integers(40, 99), \
            rng.integers(0, 4000)
        out.add(f"{d:02d}{m:02d}{y:02d}{s:04d}")
    return sorted(out)


@pytest.fixture(scope="module")
def cpr_study(tmp_path_factory):
    """The Greve sample with CPR numbers instead of ids, plus a groups file in another order."""
    folder = tmp_path_factory.mktemp("cpr_study")
    text = (SAMPLE / "greve_2009.csv").read_bytes().decode("utf-8-sig")
    header, *lines = text.splitlines()
    lines = [ln for ln in lines if ln]
    cprs = _fake_cprs(len(lines), seed=1)
    # Half written as DDMMYY-XXXX, as extracts often mix the two spellings.
    body = [f"{cpr[:6] + '-' + cpr[6:] if i % 2 else cpr};{ln.split(';', 1)[1]}"
            for i, (cpr, ln) in enumerate(zip(cprs, lines, strict=True))]
    cohort = folder / "cohort.csv"
    cohort.write_bytes(("\ufeff" + "\r\n".join([header, *body]) + "\r\n").encode("utf-8"))
    groups = folder / "groups.csv"
    order = np.random.default_rng(2).permutation(len(lines))
    groups.write_text("cpr;gruppe\n" + "".join(
        f"{cprs[i]};{lines[i].split(';')[1]}\n" for i in order), encoding="cp1252")
    return folder, cohort, groups, cprs


def test_cpr_cohort_is_refused_before_pseudonymisation(cpr_study):
    from fastholdelse_eval import load_cohort

    _, cohort, _, cprs = cpr_study
    with pytest.raises(ValidationError) as info:
        load_cohort(cohort)
    assert "pseudonym" in str(info.value)
    assert not any(c in str(info.value) for c in cprs[:50])


def test_pseudonymised_files_load_link_and_evaluate(cpr_study, tmp_path, key_file):
    from fastholdelse_eval import evaluate, load_cohort

    _, cohort, groups, cprs = cpr_study
    results = {}
    for name in ("a", "b"):
        key = key_file.parent / f"{name}.key"  # keys apart from the outputs
        new_key(key)
        pseudonymize_file(cohort, key, tmp_path / f"cohort_{name}.csv")
        pseudonymize_file(groups, key, tmp_path / f"groups_{name}.csv", column="cpr")
        loaded = load_cohort(tmp_path / f"cohort_{name}.csv")
        g = pd.read_csv(tmp_path / f"groups_{name}.csv", sep=";", dtype=str,
                        encoding="cp1252")
        # Linkage: every person of the groups file is found in the cohort, in the right arm.
        linked = loaded.data.merge(g.rename(columns={"cpr": "person_id"}), on="person_id",
                                   how="outer", indicator=True)
        assert (linked["_merge"] == "both").all() and len(linked) == len(cprs)
        arm = linked["gruppe"].map({"deltager": "intervention", "kontrol": "control"})
        assert (arm == linked["group"]).all()
        expected = {_p(c, key) for c in cprs}
        assert set(loaded.data["person_id"]) == expected
        results[name] = (loaded, expected)

    (cohort_a, ids_a), (cohort_b, ids_b) = results["a"], results["b"]
    assert ids_a.isdisjoint(ids_b)  # another key: unrelated pseudonyms
    # The statistics do not depend on the ids: same table as the original sample.
    reference = evaluate(load_cohort(SAMPLE / "greve_2009.csv")).tidy()
    assert len(cohort_a) == len(cohort_b) == 368
    pd.testing.assert_frame_equal(evaluate(cohort_a).tidy(), reference)
    pd.testing.assert_frame_equal(cohort_a.data.drop(columns="person_id"),
                                  cohort_b.data.drop(columns="person_id"))


# --- property: any CSV the table reader reads comes back byte for byte but for the ids -------

CELL_TEXT = st.text(alphabet="abcæøåÆØÅ019 ,;.\"'-\n", max_size=8)


@st.composite
def csv_files(draw):
    n_cols = draw(st.integers(1, 4))
    id_col = draw(st.integers(0, n_cols - 1))
    n_rows = draw(st.integers(1, 8))
    cprs = draw(st.lists(st.sampled_from([A, B, C, "1506781111"]), min_size=n_rows,
                         max_size=n_rows))
    hyphen = draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
    rows = []
    for cpr, h in zip(cprs, hyphen, strict=True):
        cells = draw(st.lists(CELL_TEXT, min_size=n_cols, max_size=n_cols))
        cells[id_col] = cpr[:6] + "-" + cpr[6:] if h else cpr
        rows.append(cells)
    header = [f"c{j}" for j in range(n_cols)]
    header[id_col] = "person_id"
    return {
        "header": header, "rows": rows, "id_col": id_col, "cprs": cprs,
        "sep": draw(st.sampled_from([";", ","])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])),
        "eol": draw(st.sampled_from(["\n", "\r\n"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        "trailing_eol": draw(st.booleans()),
    }


def _render(spec, rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=spec["sep"], quoting=spec["quoting"],
                        lineterminator=spec["eol"])
    writer.writerows([spec["header"], *rows])
    text = buf.getvalue()
    if not spec["trailing_eol"]:
        text = text[: -len(spec["eol"])]
    return text.encode(spec["encoding"])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=csv_files())
def test_csv_property_only_ids_change(key_file, tmp_path_factory, spec):
    key = key_file
    folder = tmp_path_factory.mktemp("prop")
    path = folder / "in.csv"
    path.write_bytes(_render(spec, spec["rows"]))
    out = folder / "out.csv"
    summary = pseudonymize_file(path, key, out)
    expected_rows = [list(r) for r in spec["rows"]]
    for r, cpr in zip(expected_rows, spec["cprs"], strict=True):
        r[spec["id_col"]] = _p(cpr, key)
    # Quoting is kept cell by cell: a quoted CPR becomes a quoted pseudonym.
    assert summary.notes == []
    assert out.read_bytes() == _render(spec, expected_rows)


def test_pseudonymised_panel_and_groups_link_through_register(tmp_path, key_file):
    """CPR-keyed wide panel + groups file, pseudonymised with one key, give the same cohort
    through ``register`` as the same files with plain stand-in ids."""
    register = pytest.importorskip("fastholdelse_eval.data.register")
    from fastholdelse_eval import evaluate

    mapping = {"110": "sick", "150": "self_support", "130": "other_benefit"}
    rng = np.random.default_rng(5)
    n, weeks = 40, 12
    cprs = _fake_cprs(n, seed=9)
    codes = rng.choice(["110", "150", "130", ""], size=(n, weeks), p=[0.5, 0.2, 0.1, 0.2])
    codes[:, 0] = "150"  # a known start: every index spell begins after week 1
    labels = [f"y_10{w:02d}" for w in range(1, weeks + 1)]
    arms = np.where(rng.random(n) < 0.5, "deltager", "kontrol")

    def write(ids: list[str], folder: Path) -> tuple[Path, Path]:
        folder.mkdir()
        panel = folder / "panel.csv"
        panel.write_text("person_id;" + ";".join(labels) + "\n" + "".join(
            f"{pid};" + ";".join(row) + "\n" for pid, row in zip(ids, codes, strict=True)))
        groups = folder / "groups.parquet"
        order = rng.permutation(n)
        pd.DataFrame({"person_id": [ids[i] for i in order], "gruppe": arms[order]}).to_parquet(
            groups)
        return panel, groups

    # Groups spell the CPR numbers with a hyphen, the panel without: still one person.
    panel_cpr, _ = write(cprs, tmp_path / "cpr")
    _, groups_cpr = write([c[:6] + "-" + c[6:] for c in cprs], tmp_path / "cpr_groups")
    panel_p, groups_p = tmp_path / "panel_p.csv", tmp_path / "groups_p.parquet"
    pseudonymize_file(panel_cpr, key_file, panel_p)
    pseudonymize_file(groups_cpr, key_file, groups_p)
    cohort = register.cohort_from_register(panel_p, mapping=mapping, groups=groups_p)

    stand_in = [f"id{i:03d}" for i in range(n)]
    panel_s, _ = write(stand_in, tmp_path / "plain")
    _, groups_s = write(stand_in, tmp_path / "plain_groups")
    reference = register.cohort_from_register(panel_s, mapping=mapping, groups=groups_s)

    assert len(cohort) == len(reference) > 10
    to_pseudonym = {f"id{i:03d}": _p(cprs[i], key_file) for i in range(n)}
    expected = reference.data.assign(person_id=reference.data["person_id"].map(to_pseudonym))
    got = cohort.data.sort_values("person_id").reset_index(drop=True)
    expected = expected.sort_values("person_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(evaluate(cohort).tidy(), evaluate(reference).tidy())


def test_cli_warns_about_other_cpr_columns_and_refuses_open_key(tmp_path, capsys, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id;partner\n{A};{B}\n")
    out = tmp_path / "o.csv"
    assert main(["pseudonymize", str(path), "--key-file", str(key_file), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "warning: column 'partner' also holds values that look like CPR numbers" in \
        captured.err
    assert B not in captured.out + captured.err
    if os.name == "posix":
        os.chmod(key_file, 0o644)
        out.unlink()
        code = main(["pseudonymize", str(path), "--key-file", str(key_file), "--out", str(out)])
        assert code == 1 and "chmod 600" in capsys.readouterr().err
        assert not out.exists()


def test_warns_when_the_key_sits_next_to_the_output(tmp_path, key_file):
    path = tmp_path / "in.csv"
    path.write_text(f"person_id\n{A}\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pseudonymize_file(path, key_file, key_file.parent / "out.csv")
        assert ["same folder" in str(w.message) for w in caught] == [True]
        pseudonymize_file(path, key_file, tmp_path / "out.csv")
        assert len(caught) == 1
