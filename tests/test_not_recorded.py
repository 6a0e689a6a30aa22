"""Not recorded ≠ zero: a metric whose input column is absent or empty is left out, with a note,
in evaluate, durations, targets and the report — through the metric registry."""

from __future__ import annotations

import pandas as pd
import pytest

from fastholdelse_eval import Cohort, evaluate
from fastholdelse_eval.analysis import recorded
from fastholdelse_eval.analysis.durations import duration_rows
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.core import metrics
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.data.io import read_table
from fastholdelse_eval.pipeline.run import analyse, report
from fastholdelse_eval.present.markdown import render_markdown

RELAPSE_METRICS = {"relapse_rate", "sustained_rtw_rate", "relapse_by_4_weeks",
                   "relapse_by_13_weeks", "relapse_by_26_weeks"}


@pytest.fixture(scope="module")
def greve_frame(greve_path):
    return read_table(greve_path).frame


@pytest.fixture(scope="module")
def full(greve_frame):
    return evaluate(Cohort.from_frame(greve_frame))


@pytest.fixture(scope="module")
def no_relapse(greve_frame):
    cohort = Cohort.from_frame(greve_frame.drop(columns="tilbagefald_dato"))
    return evaluate(cohort, targets=["partial_rtw_rate higher 25%",
                                     {"metric": "sustained_rtw_rate", "direction": "higher",
                                      "absolute": 0.05}])


def test_recorded_columns_of_a_file(greve_frame):
    assert "relapse_date" in Cohort.from_frame(greve_frame).recorded
    without = Cohort.from_frame(greve_frame.drop(columns="tilbagefald_dato"))
    assert "relapse_date" not in without.recorded
    emptied = Cohort.from_frame(greve_frame.assign(tilbagefald_dato=""))
    assert "relapse_date" not in emptied.recorded
    assert "relapse_date" in emptied.given_columns  # present, but nothing in it


def test_no_relapse_column_gives_no_relapse_rows_and_says_so(full, no_relapse):
    produced = set(no_relapse.tidy()["metric"])
    assert not produced & RELAPSE_METRICS
    assert RELAPSE_METRICS <= set(full.tidy()["metric"])
    note = [n for n in no_relapse.notes if n.startswith("relapse_date not recorded")]
    assert note == ["relapse_date not recorded (the data have no relapse_date/tilbagefald_dato "
                    "column): left out relapse_rate, sustained_rtw_rate, relapse_by_K_weeks; "
                    "not reported as 0."]
    assert no_relapse.not_recorded_notes == note
    assert set(no_relapse.not_recorded) == {"relapse_rate", "sustained_rtw_rate",
                                            "relapse_by_{weeks}_weeks"}
    # everything else is exactly the full file's
    keep = full.tidy()
    keep = keep[~keep["metric"].isin(RELAPSE_METRICS)].reset_index(drop=True)
    got = no_relapse.tidy()
    got = got[~got["metric"].str.startswith("target:")].reset_index(drop=True)
    pd.testing.assert_frame_equal(got[keep.columns.intersection(got.columns)],
                                  keep[keep.columns.intersection(got.columns)])


def test_sustained_return_is_not_reported_as_return(no_relapse):
    t = no_relapse.tidy()
    assert "sustained_rtw_rate" not in set(t["metric"])
    # its target is not judged and says why; the other target is judged
    target = t[t["metric"] == "target:sustained_rtw_rate"].iloc[0]
    assert target["note"] == "not recorded: no relapse_date in the data"
    assert pd.isna(target["estimate"]) and pd.isna(target["met_point"])
    judged = t[t["metric"] == "target:partial_rtw_rate"].iloc[0]
    assert judged["met_point"] is True or bool(judged["met_point"])


def test_an_empty_column_is_not_recorded_either(greve_frame):
    ev = evaluate(Cohort.from_frame(greve_frame.assign(delvis_raskmeldt_dato="",
                                                        aktivt_tilbud="")))
    produced = set(ev.tidy()["metric"])
    assert "partial_rtw_rate" not in produced and "active_offer_rate" not in produced
    # every registered metric that needs partial_rtw_date is named (the rate and the
    # time-to-partial-return metrics)
    needing = [m.name for m in metrics.iter_metrics() if "partial_rtw_date" in m.needs]
    note = next(n for n in ev.notes if n.startswith("partial_rtw_date not recorded"))
    assert note.startswith("partial_rtw_date not recorded (the partial_rtw_date column is "
                           "empty): left out partial_rtw_rate")
    assert note.endswith("; not reported as 0.")
    assert all(name.replace("{weeks}", "K") in note for name in needing), (needing, note)


def test_duration_rows_alone_leave_relapse_out(greve_frame):
    res = duration_rows(Cohort.from_frame(greve_frame.drop(columns="tilbagefald_dato")))
    assert not set(res.table["metric"]) & RELAPSE_METRICS
    assert any(n.startswith("relapse_date not recorded") for n in res.notes)
    with pytest.raises(ConfigError, match="relapse not recorded"):
        res.plot_relapse()


def test_every_left_out_metric_is_one_whose_needs_were_missing(greve_frame):
    """The rule is the registry's: compare with Metric.needs directly."""
    cohort = Cohort.from_frame(greve_frame.drop(columns=["tilbagefald_dato", "aktivt_tilbud"]))
    ev = evaluate(cohort)
    for name, cols in ev.not_recorded.items():
        assert set(cols) == set(metrics.get(name).needs) - cohort.recorded
    assert {"active_offer_rate", "relapse_rate"} <= set(ev.not_recorded)
    assert recorded.not_recorded(cohort.recorded, ["rtw_rate", "n"]) == {}
    assert recorded.not_recorded(cohort.recorded, ["relapse_by_13_weeks"]) == {
        "relapse_by_{weeks}_weeks": ("relapse_date",)}


def test_a_cohort_built_from_canonical_data_counts_every_column(greve_cohort):
    bare = Cohort(greve_cohort.data)
    assert bare.recorded >= {"relapse_date", "partial_rtw_date", "active_offer"}


def test_the_report_says_what_was_not_recorded(no_relapse):
    inputs = analyse(no_relapse)
    assert inputs.meta.not_recorded == {"relapse_date": ["relapse_rate", "sustained_rtw_rate",
                                                         "relapse_by_{weeks}_weeks"]}
    md = {lang: render_markdown(report(inputs, lang=lang), "x").replace("\\_", "_")
          for lang in ("da", "en")}
    assert ("Ikke registreret: data har ingen kolonne relapse_date/tilbagefald_dato. Udeladt "
            "(ikke opgjort som 0): Tilbagefald, Varigt raskmeldt (4 uger), Tilbagefald inden for "
            "K uger efter raskmelding.") in md["da"]
    assert "Not recorded: the data have no relapse_date/tilbagefald_dato column." in md["en"]
    assert "Ingen bemærkninger om datakvalitet" not in md["da"]
    # the English note is not repeated in the Danish report
    assert "relapse_date not recorded (" not in md["da"]
    assert "Tilbagefald: 0,0" not in md["da"]


def test_cli_evaluate_notes_what_is_left_out(greve_frame, tmp_path, capsys):
    path = tmp_path / "no_relapse.csv"
    greve_frame.drop(columns="tilbagefald_dato").to_csv(path, sep=";", index=False)
    assert main(["evaluate", str(path), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert "relapse_rate" not in out and "rtw_rate" in out
    assert "note: relapse_date not recorded" in err
