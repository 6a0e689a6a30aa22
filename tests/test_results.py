"""The result base (core.results): tidy/glance/summary/notes/_repr_html_ for every result."""

from __future__ import annotations

import pandas as pd
import pytest

from fastholdelse_eval.core.errors import ConfigError, EstimationError, FastholdelseError
from fastholdelse_eval.core.results import GLANCE_COLUMNS, Result


class _Tiny(Result):
    def __init__(self) -> None:
        self.notes = ["<careful>"]
        self.level = 0.9

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame({"metric": ["n"], "group": ["intervention"], "estimate": [-0.5],
                             "ci_low": [float("nan")], "extra": [1]})


def test_base_glance_summary_and_html() -> None:
    r = _Tiny()
    g = r.glance()
    assert list(g.columns) == list(GLANCE_COLUMNS)
    assert (g["result"].iloc[0], g["level"].iloc[0], g["rows"].iloc[0], g["notes"].iloc[0]) == (
        "_Tiny", 0.9, 1, 1)
    assert list(r.summary().columns) == ["metric", "group", "estimate", "ci_low"]
    html = r._repr_html_()
    assert "<h4>_Tiny</h4>" in html and "&lt;careful&gt;" in html and "<careful>" not in html
    assert "-0.5" in html  # plain formatter: ASCII minus in the notebook table


def test_tidy_is_abstract() -> None:
    class Nothing(Result):
        pass

    with pytest.raises(TypeError):
        Nothing()  # type: ignore[abstract]


def test_evaluation_and_durations_are_results(greve_cohort) -> None:
    from fastholdelse_eval.analysis.evaluation import evaluate

    ev = evaluate(greve_cohort, horizon_weeks=26)
    assert isinstance(ev, Result) and isinstance(ev.durations, Result)
    g = ev.glance()
    t = ev.tidy()
    n = t.loc[(t["metric"] == "n") & (t["municipality"] == t["municipality"].iloc[0]),
              "estimate"].sum()
    assert g["n"].iloc[0] == n == len(greve_cohort.data)
    rtw = t.loc[(t["metric"] == "rtw_rate") & t["group"].isin(["intervention", "control"])]
    assert g["events"].iloc[0] == rtw["numerator"].sum()
    assert g["level"].iloc[0] == 0.95 and g["horizon_weeks"].iloc[0] == 26
    d = ev.durations.glance()
    assert d["n"].iloc[0] == len(greve_cohort.data) and d["method"].iloc[0] == "kaplan-meier"
    assert "<table" in ev.durations._repr_html_()


def test_package_errors_are_value_errors() -> None:
    from fastholdelse_eval.stats import meta

    assert issubclass(FastholdelseError, ValueError)
    assert issubclass(EstimationError, FastholdelseError)
    with pytest.raises(ConfigError, match="measure"):
        meta.effect_sizes([1], [10], [2], [10], "xx")
    with pytest.raises(ConfigError, match="level"):
        meta.fixed_iv([0.1, 0.2], [0.01, 0.02], level=1.5)
