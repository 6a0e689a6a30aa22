"""Plots in one language (issue 13): every public ``plot_*`` method of a result object takes
``lang=`` (default ``"en"``), and a Danish plot carries no English word of its own."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from fastholdelse_eval import evaluate  # noqa: E402
from fastholdelse_eval.analysis.business_case import BusinessCase  # noqa: E402
from fastholdelse_eval.analysis.compare import Comparison, compare_municipalities  # noqa: E402
from fastholdelse_eval.analysis.durations import DurationResult  # noqa: E402
from fastholdelse_eval.analysis.evaluation import Evaluation  # noqa: E402
from fastholdelse_eval.analysis.progression import ProgressionResult  # noqa: E402
from fastholdelse_eval.analysis.weighting import Weighting  # noqa: E402
from fastholdelse_eval.data.cohort import Cohort  # noqa: E402
from fastholdelse_eval.data.sample_sites import simulate_sites  # noqa: E402
from fastholdelse_eval.pipeline.study import (  # noqa: E402
    load_config,
    load_study_cohort,
    load_study_progression,
)
from fastholdelse_eval.plots.words import Words  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
RESULTS = (Evaluation, DurationResult, Comparison, BusinessCase, ProgressionResult, Weighting)
WORDS = tomllib.loads(resources.files("fastholdelse_eval.plots").joinpath("words.toml")
                      .read_text(encoding="utf-8"))


def _flat(table: dict) -> list[str]:
    return [x for v in table.values() for x in (_flat(v) if isinstance(v, dict) else [v])]


# English words of the plots that Danish does not share (e.g. "at risk", "Control").
ENGLISH = {w for text in set(_flat(WORDS["en"])) - set(_flat(WORDS["da"]))
           for w in re.findall(r"[A-Za-z]{4,}", re.sub(r"\{[^}]*\}", "", text))
           } - {w for text in _flat(WORDS["da"]) for w in re.findall(r"[A-Za-z]{4,}", text)}


def test_every_public_plot_method_takes_lang_defaulting_to_english():
    methods = [(cls.__name__, name, fn) for cls in RESULTS
               for name, fn in inspect.getmembers(cls, inspect.isfunction)
               if name.startswith("plot_")]
    assert len(methods) >= 15, methods  # every result class has its plots
    for cls, name, fn in methods:
        param = inspect.signature(fn).parameters.get("lang")
        assert param is not None and param.default == "en", f"{cls}.{name}"


def test_both_languages_have_the_same_plot_words():
    def keys(table, prefix=""):
        return {f"{prefix}{k}" if not isinstance(v, dict) else f"{prefix}{k}."
                for k, v in table.items()} | {x for k, v in table.items() if isinstance(v, dict)
                                              for x in keys(v, f"{prefix}{k}.")}
    assert keys(WORDS["da"]) == keys(WORDS["en"])
    assert "Control" in ENGLISH and "risk" in ENGLISH  # the check below can see English


def _texts(ax) -> list[str]:
    fig = ax.figure
    out = [t.get_text() for a in fig.axes for t in a.findobj(matplotlib.text.Text)]
    return [t for t in out if t]


def _english_in(texts: list[str]) -> set[str]:
    return {w for t in texts for w in re.findall(r"[A-Za-z]{4,}", t) if w in ENGLISH}


@pytest.fixture(scope="module")
def greve():
    config = load_config(SAMPLE / "greve_2009.toml")
    cohort = load_study_cohort(config)
    return evaluate(cohort, config.options,
                    progression=load_study_progression(config, cohort, None))


@pytest.fixture(scope="module")
def sites():
    frame = simulate_sites()
    keep = ["Kommune A", "Kommune E", "Kommune J", "Kommune P"]
    return compare_municipalities(Cohort.from_frame(
        frame.loc[frame["municipality"].isin(keep)], name="small"), measure="rr")


def _calls(ev, cmp):
    d = ev.durations
    return {
        "Evaluation.plot_time_on_benefit": ev.plot_time_on_benefit,
        "Evaluation.plot_cif": ev.plot_cif,
        "Evaluation.plot_weekly_status": ev.plot_weekly_status,
        "Evaluation.plot_tornado": ev.plot_tornado,
        "DurationResult.plot_partial_rtw": d.plot_partial_rtw,
        "DurationResult.plot_relapse": d.plot_relapse,
        "Weighting.plot_love": ev.weighting.plot_love,
        "Weighting.plot_overlap": ev.weighting.plot_overlap,
        "ProgressionResult.plot_trajectory": ev.progression.plot_trajectory,
        "ProgressionResult.plot_spaghetti": ev.progression.plot_spaghetti,
        "Comparison.plot_forest": cmp.plot_forest,
        "Comparison.plot_funnel": cmp.plot_funnel,
        "Comparison.plot_caterpillar": cmp.plot_caterpillar,
    }


def test_a_danish_plot_has_no_english_word_and_an_english_one_has_them(greve, sites):
    seen_english = set()
    for name, plot in _calls(greve, sites).items():
        ax = plot(lang="da")
        texts = _texts(ax)
        plt.close(ax.figure)
        assert texts, name
        assert not _english_in(texts), (name, _english_in(texts))
        ax = plot()  # default: English
        seen_english |= _english_in(_texts(ax))
        plt.close(ax.figure)
    # the English defaults use the words the Danish check looks for
    assert {"Intervention", "Control", "risk", "weeks"} <= seen_english


def test_danish_words_are_the_registry_s_and_the_table_s(greve):
    w = Words("da")
    ax = greve.plot_time_on_benefit(lang="da")
    texts = _texts(ax)
    plt.close(ax.figure)
    assert w("at_risk") in texts and w("weeks_since_start") in texts
    assert any(t.startswith(f"{w.group('intervention')} (n=") for t in texts)
    ax = greve.weighting.plot_love(lang="da")
    texts = _texts(ax)
    plt.close(ax.figure)
    assert "Køn: kvinde" in texts and "Diagnose: muskel-skelet" in texts  # built-in words
    ax = greve.weighting.plot_love(lang="en")
    texts = _texts(ax)
    plt.close(ax.figure)
    assert "Sex: woman" in texts and "Diagnosis: musculoskeletal" in texts


def test_an_unknown_language_is_refused(greve):
    from fastholdelse_eval.core.errors import ConfigError

    with pytest.raises(ConfigError, match="lang: must be one of da, en"):
        greve.plot_cif(lang="de")
