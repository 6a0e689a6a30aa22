"""Property: any random or mangled cohort either loads or fails with the package's own
validation error — never another exception."""

from __future__ import annotations

import contextlib
import io
import string
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastholdelse_eval import AggregateCohort, Cohort, FastholdelseError, evaluate, load_cohort
from fastholdelse_eval.cli.main import main

HEADERS = ["id", "person_id", "gruppe", "group", "startdato", "start_date", "slutdato",
           "årsag", "end_reason", "delvis_raskmeldt_dato", "tilbagefald_dato",
           "opfølgningsdato", "kommune", "aktivt_tilbud", "alder", "køn", "antal", "raskmeldt",
           "extra", ""]
CELLS = ["", "deltager", "kontrol", "1", "0", "intervention", "raskmeldt", "fleksjob",
         "stoppet", "igangværende", "2009-01-05", "05-01-2009", "31-02-2009", "2009-13-01",
         "0101801234", "010180-1234", "ja", "nej", "45,5", "-3", "39874", "Greve", "x;y",
         "\"", "2009-10-08", "08-10-2009", "ø", "   ", "NaN", "None", "1e400", "2/3/2009"]

cell = st.one_of(st.sampled_from(CELLS), st.text(alphabet=string.printable + "æøåÆØÅ",
                                                  max_size=12))


@st.composite
def tables(draw):
    ncols = draw(st.integers(1, 9))
    headers = draw(st.lists(st.sampled_from(HEADERS), min_size=ncols, max_size=ncols))
    nrows = draw(st.integers(0, 6))
    rows = [[draw(cell) for _ in headers] for _ in range(nrows)]
    return headers, rows


def _check(result):
    assert isinstance(result, Cohort | AggregateCohort)
    # Whatever loads must also evaluate.
    evaluate(result)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables(), sep=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       followup=st.sampled_from([None, "2009-10-08"]))
def test_random_csv_loads_or_fails_cleanly(tmp_path_factory, table, sep, encoding, followup):
    headers, rows = table
    path = tmp_path_factory.mktemp("prop") / "c.csv"
    lines = [sep.join(headers)] + [sep.join(r) for r in rows]
    path.write_bytes("\n".join(lines).encode(encoding, errors="replace"))
    try:
        result = load_cohort(path, followup_date=followup)
    except FastholdelseError:
        return
    _check(result)


@settings(max_examples=100, deadline=None)
@given(table=tables())
def test_random_frames_load_or_fail_cleanly(table):
    headers, rows = table
    frame = pd.DataFrame(rows, columns=[f"{h}" for h in headers]) if rows else \
        pd.DataFrame(columns=headers)
    if frame.columns.duplicated().any():
        frame.columns = [f"{h}{i}" if frame.columns.duplicated()[i] else h
                         for i, h in enumerate(headers)]
    try:
        result = Cohort.from_frame(frame, followup_date="2009-10-08")
    except FastholdelseError:
        return
    _check(result)


@settings(max_examples=60, deadline=None)
@given(drop=st.sets(st.integers(0, 367), max_size=30),
       mangle=st.lists(st.tuples(st.integers(0, 367), st.integers(0, 13), st.sampled_from(CELLS)),
                       max_size=8))
def test_mangled_sample_loads_or_fails_cleanly(drop, mangle):
    from fastholdelse_eval.data.simulate import simulate_greve, to_danish

    frame = to_danish(_greve()).astype(object)
    for r, c, v in mangle:
        frame.iat[r, c] = v
    frame = frame.drop(index=sorted(drop))
    try:
        result = Cohort.from_frame(frame)
    except FastholdelseError:
        return
    _check(result)
    del simulate_greve


_CACHE: dict = {}


def _greve():
    from fastholdelse_eval.data.simulate import simulate_greve
    if "g" not in _CACHE:
        _CACHE["g"] = simulate_greve(2009)
    return _CACHE["g"]


# --- byte-wise mangling of the shipped sample files (issue 11) ---------------------------------

_SAMPLES = {name: (Path(__file__).resolve().parents[1] / "data" / "sample" / name).read_bytes()
            for name in ("greve_2009.csv", "greve_2009_aggregate.csv", "aktive_17_aggregate.csv")}
_NASTY = [b'"', b";", b",", b"\t", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xc3",
          b"\xef\xbb\xbf", b"\xe2\x80\xae", b"\x1b[2J", b"=", "٣".encode(), "ø".encode("cp1252"),
          b"0101901234"]


@st.composite
def byte_edits(draw, size: int):
    """A few edits at random byte positions: insert, delete, overwrite, or cut the file."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "dup-line"]))
        pos = draw(st.integers(0, size))
        piece = draw(st.one_of(st.sampled_from(_NASTY), st.binary(min_size=1, max_size=4)))
        edits.append((kind, pos, piece, draw(st.integers(1, 40))))
    return edits


def _apply(data: bytes, edits) -> bytes:
    for kind, pos, piece, length in edits:
        pos = min(pos, len(data))
        if kind == "insert":
            data = data[:pos] + piece + data[pos:]
        elif kind == "delete":
            data = data[:pos] + data[pos + length:]
        elif kind == "replace":
            data = data[:pos] + piece + data[pos + len(piece):]
        elif kind == "truncate":
            data = data[:max(pos, 1)]
        else:  # duplicate the line holding pos
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end + 1
            data = data[:end] + data[start:end] + data[end:]
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(name=st.sampled_from(sorted(_SAMPLES)), data=st.data())
def test_bytewise_mangled_samples_never_crash_or_drop_rows(tmp_path_factory, name, data):
    """validate on a byte-mangled real file: exit 0 or 1, never a traceback, never a planted
    CPR number or raw control character printed; when accepted, no data line went missing
    silently (persons + skipped blank rows = records of the file)."""
    raw = _SAMPLES[name]
    mangled = _apply(raw, data.draw(byte_edits(len(raw))))
    path = tmp_path_factory.mktemp("mangled") / name
    path.write_bytes(mangled)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path)])
    text = out.getvalue() + err.getvalue()
    assert code in (0, 1), text
    assert "Traceback" not in text and "0101901234" not in text and "\x1b" not in text
    if code == 0 and b'"' not in mangled and b"\r" not in mangled and b"\x00" not in mangled:
        loaded = load_cohort(path)
        body = mangled[3:] if mangled.startswith(b"\xef\xbb\xbf") else mangled
        try:
            lines = body.decode("utf-8").split("\n")[1:]
        except UnicodeDecodeError:
            lines = body.decode("cp1252", errors="replace").split("\n")[1:]
        records = sum(1 for line in lines if line.strip(" ;,\t"))
        assert len(loaded.data) == records, "a data line was dropped without a word"
