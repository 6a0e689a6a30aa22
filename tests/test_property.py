"""Property: any random or mangled cohort either loads or fails with the package's own
validation error — never another exception."""

from __future__ import annotations

import string

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastholdelse_eval import AggregateCohort, Cohort, FastholdelseError, evaluate, load_cohort

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
