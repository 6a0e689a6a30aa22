"""The report's cross-municipality section: numbers read back against compare_municipalities,
both languages, no section for one municipality, and no small count leaking through a
per-municipality effect, a pooled estimate, a benchmark or the forest plot."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval import evaluate, load_cohort
from fastholdelse_eval.analysis.compare import compare_municipalities
from fastholdelse_eval.pipeline.run import analyse, report
from fastholdelse_eval.present.html import render_html
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.present.markdown import render_markdown

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TITLE = {"da": "Kommuner sammenlignet", "en": "Municipalities compared"}
LANGS = ("da", "en")


# --- independent formatting (not the report's Labels) ----------------------------------------


def _num(x: float, digits: int, lang: str, sign: bool = False) -> str:
    text = f"{abs(round(x, digits) + 0.0):,.{digits}f}"
    if lang == "da":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    if round(x, digits) < 0:
        return "−" + text
    return ("+" + text) if sign and round(x, digits) > 0 else text


def _pp(est: float, lo: float, hi: float, lang: str) -> str:
    unit = "\u00a0pct.-point" if lang == "da" else " pp"
    to = " til " if lang == "da" else " to "
    return (_num(100 * est, 1, lang, sign=True) + unit + " ("
            + _num(100 * lo, 1, lang) + to + _num(100 * hi, 1, lang) + ")")


def _pct(x: float, digits: int, lang: str) -> str:
    # da: a no-break space, so that "%" never wraps away from its number
    return _num(100 * x, digits, lang) + ("\u00a0%" if lang == "da" else "%")


def _section(md: str, lang: str) -> str:
    return md.split(f"## {TITLE[lang]}\n")[1].split("\n## ")[0]


def _table(section: str, caption_end: str) -> list[list[str]]:
    m = re.search(r"\*\*[^*\n]*" + re.escape(caption_end) + r"\*\*\n\n((?:\|.*\|\n)+)",
                  section)
    assert m, caption_end
    lines = m.group(1).strip().splitlines()[2:]
    return [[c.strip().replace("\\", "") for c in line.strip("|").split(" | ")]
            for line in lines]


# --- fixtures: each report built once ---------------------------------------------------------


def _report(cohort) -> dict:
    ev = evaluate(cohort)
    inputs = analyse(ev)
    docs = {lang: report(inputs, lang=lang) for lang in LANGS}
    return {"ev": ev, "inputs": inputs, "docs": docs,
            "md": {lang: render_markdown(d, "r").replace("\\", "") for lang, d in docs.items()},
            "html": {lang: render_html(d) for lang, d in docs.items()}}


@pytest.fixture(scope="module")
def persons():
    """aktive_17 person level: disclosure control hides two municipalities' RTW counts."""
    cohort = load_cohort(SAMPLE / "aktive_17.csv")
    return {**_report(cohort), "comp": compare_municipalities(cohort).tidy()}


@pytest.fixture(scope="module")
def counts():
    """aktive_17 as aggregate counts: nothing of RTW hidden, so the pooled rows are shown."""
    cohort = load_cohort(SAMPLE / "aktive_17_aggregate.csv")
    return {**_report(cohort), "comp": compare_municipalities(cohort).tidy()}


# --- the section ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_section_in_both_languages_and_formats(persons, counts, lang):
    for rep in (persons, counts):
        ids = [s.id for s in rep["docs"][lang].sections]
        assert "municipalities" in ids
        assert ids.index("municipalities") > ids.index("outcomes")
        assert ids.index("municipalities") == ids.index("methods") - 1
        assert f"## {TITLE[lang]}" in rep["md"][lang]
        html = rep["html"][lang]
        assert '<section id="municipalities">' in html and TITLE[lang] in html
        assert 'id="fig-sites-forest-title"' in html
    methods = counts["md"][lang].split("## " + Labels(lang)("sections.methods"))[1]
    for ref in ("DerSimonian R, Laird N (1986)", "Viechtbauer W (2005)",
                "Paule RC, Mandel J (1982)", "Hartung J, Knapp G (2001)",
                "Higgins JPT, Thompson SG (2002)"):
        assert ref in methods


@pytest.mark.parametrize("source", ["counts", "persons"])
@pytest.mark.parametrize("lang", LANGS)
def test_pooled_numbers_equal_the_comparison(request, source, lang):
    """Aggregate and person-level forms of the sample pool the same counts; on both, no RTW
    count is hidden (disclosure control masks the headline outcome only as a last resort), so
    the whole pooled table is shown."""
    counts = request.getfixturevalue(source)
    comp = counts["comp"]
    pooled = comp[(comp.municipality == "all") & (comp.metric == "rtw_rate")
                  & (comp.group == "difference")].set_index("method")
    sec = _section(counts["md"][lang], lang)
    rows = {r[0]: r[1:] for r in _table(sec, Labels(lang)("sites.table_pooled"))}
    L = Labels(lang)
    re_ = pooled.loc["random-effects-reml"]
    assert bool(re_["primary"]) is True
    main = rows[f"{L('sites.method_random_effects_reml')} ({L('sites.main')})"]
    assert main[0] == _pp(re_.estimate, re_.ci_low, re_.ci_high, lang)
    assert main[0] == ("+3.2 pp (0.2 to 6.2)" if lang == "en" else
                       "+3,2\u00a0pct.-point (0,2 til 6,2)")
    for method in ("fixed-iv", "fixed-mh", "random-effects-dl", "random-effects-pm",
                   "prediction-interval"):
        r = pooled.loc[method]
        assert rows[L(f"sites.method_{method.replace('-', '_')}")][0] == \
            _pp(r.estimate, r.ci_low, r.ci_high, lang)
    het = comp[comp.municipality == "all"].set_index("metric")
    i2 = het.loc["heterogeneity_i2"]
    assert rows[L("sites.heterogeneity_i2")][0].startswith(_pct(i2.estimate, 1, lang))
    q = het.loc["heterogeneity_q"]
    assert rows[L("sites.heterogeneity_q")][0] == \
        f"{_num(q.estimate, 2, lang)} ({'fg' if lang == 'da' else 'df'} {int(q.df)})"
    # the plain-words paragraph: pooled effect, its interval, the prediction interval, I²
    pi = pooled.loc["prediction-interval"]
    intro = sec.split("**")[0]
    to = " til " if lang == "da" else " to "
    assert _pp(re_.estimate, re_.ci_low, re_.ci_high, lang).split(" (")[0] in intro
    assert _num(100 * re_.ci_low, 1, lang) + to + _num(100 * re_.ci_high, 1, lang) in intro
    assert _num(100 * pi.ci_low, 1, lang) + to + _num(100 * pi.ci_high, 1, lang) in intro
    assert f"I² = {_pct(i2.estimate, 0, lang)}" in intro
    assert f" {int(re_.k)} " in intro and int(re_.k) == 17
    assert ("prediction interval" if lang == "en" else "prædiktionsinterval") in intro


@pytest.mark.parametrize("lang", LANGS)
def test_site_rows_equal_the_comparison(counts, lang):
    comp = counts["comp"]
    sec = _section(counts["md"][lang], lang)
    rows = _table(sec, Labels(lang)("sites.table_sites"))
    sites = sorted(set(comp.municipality) - {"all"})
    assert [r[0] for r in rows] == sites and len(rows) == 17
    for r in rows:
        c = comp[comp.municipality == r[0]].set_index(["metric", "group"])
        eff = c.loc[("rtw_rate", "difference")]
        assert r[3] == _pp(eff.estimate, eff.ci_low, eff.ci_high, lang)
        for cell, g in zip(r[1:3], ("intervention", "control"), strict=True):
            rate = c.loc[("rtw_rate", g)]
            assert cell == (f"{_num(rate.numerator, 0, lang)}/{_num(rate.denominator, 0, lang)}"
                            f" ({_pct(rate.estimate, 1, lang)})")


def test_benchmark_is_expected_against_observed_in_name_order(counts):
    comp = counts["comp"]
    bench = comp[comp.metric == "expected_rtw_rate"].set_index("municipality")
    rows = _table(_section(counts["md"]["en"], "en"), "observed against expected")
    assert [r[0] for r in rows] == sorted(bench.index)  # by name, not by performance
    statuses = set()
    for name, observed, expected, limits, status in rows:
        b = bench.loc[name]
        assert observed == _pct(b.observed_rate, 1, "en")
        assert expected == _pct(b.estimate, 1, "en")
        assert limits == f"{100 * b.ci_low:.1f} to {100 * b.ci_high:.1f}"
        want = ("above" if b.observed_rate > b.ci_high else
                "below" if b.observed_rate < b.ci_low else "within")
        assert status.startswith(want)
        statuses.add(want)
    assert statuses == {"above", "below", "within"}
    text = counts["md"]["en"].lower()
    assert "rank" not in text.replace("not a ranking", "")


# --- disclosure control ---------------------------------------------------------------------


def test_person_level_sample_shows_every_site_effect(persons):
    """Small dropout and relapse counts are masked in the person-level sample, but no site's
    RTW count is: every site effect and the pooled table are shown."""
    for lang in LANGS:
        sec = _section(persons["md"][lang], lang)
        rows = _table(sec, Labels(lang)("sites.table_sites"))
        assert len(rows) == 17 and all("·" not in cell for r in rows for cell in r[1:4])
        pooled = _table(sec, Labels(lang)("sites.table_pooled"))
        assert len(pooled) == 10 and all(r[1] != "·" for r in pooled)
        assert Labels(lang)("sites.intro_hidden", k="17") not in sec


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    """Three municipalities; Kommune S returned 3 of 40 in the intervention group."""
    d = pd.read_csv(SAMPLE / "aktive_17_aggregate.csv", sep=";", encoding="utf-8-sig",
                    dtype=str)
    d = d[d["kommune"].isin(["Kommune A", "Kommune B"])]
    small = pd.DataFrame({"kommune": ["Kommune S", "Kommune S"],
                          "gruppe": ["deltager", "kontrol"], "antal": ["40", "42"],
                          "raskmeldt": ["3", "20"], "delvis_raskmeldt": ["10", "12"],
                          "tilbagefald": ["0", "6"], "stoppet": ["7", "8"],
                          "anden_ydelse": ["9", "10"], "aktivt_tilbud": ["30", "11"]})
    path = tmp_path_factory.mktemp("small") / "small.csv"
    pd.concat([d, small]).to_csv(path, sep=";", index=False, encoding="utf-8")
    cohort = load_cohort(path)
    rep = _report(cohort)
    return {**rep, "comp": compare_municipalities(cohort).tidy()}


@pytest.mark.parametrize("lang", LANGS)
def test_small_site_is_masked_with_everything_derived(small_site, lang):
    comp = small_site["comp"]
    eff = comp[(comp.municipality == "Kommune S") & (comp.metric == "rtw_rate")
               & (comp.group == "difference")].iloc[0]
    assert eff.estimate == pytest.approx(3 / 40 - 20 / 42)  # the number that must not show
    sec = _section(small_site["md"][lang], lang)
    rows = {r[0]: r for r in _table(sec, Labels(lang)("sites.table_sites"))}
    assert rows["Kommune S"][1] == "<5/40"
    assert rows["Kommune S"][2] == f"20/42 ({_pct(20 / 42, 1, lang)})"
    assert rows["Kommune S"][3] == "·"
    # Kommune A's RTW count is hidden too (else the all-municipality total would give S's
    # count back); Kommune B keeps its effect
    assert rows["Kommune A"][1].startswith("·/") and rows["Kommune A"][3] == "·"
    b = comp[(comp.municipality == "Kommune B") & (comp.metric == "rtw_rate")
             & (comp.group == "difference")].iloc[0]
    assert rows["Kommune B"][3] == _pp(b.estimate, b.ci_low, b.ci_high, lang)
    text = small_site["md"][lang]
    for x in (eff.estimate, eff.ci_low, eff.ci_high, 3 / 40):
        assert not re.search(rf"(?<![\d,.]){re.escape(_num(100 * x, 1, lang))}(?![\d])",
                             sec), x
    pooled = _table(sec, Labels(lang)("sites.table_pooled"))
    assert all(r[1] == "·" and r[2] in ("·", "") for r in pooled)
    for method in ("fixed-iv", "random-effects-reml", "prediction-interval"):
        r = comp[(comp.municipality == "all") & (comp.method == method)].iloc[0]
        assert _pp(r.estimate, r.ci_low, r.ci_high, lang) not in text
    legend = Labels(lang)("report.legend_small", threshold="5", below="4")
    assert legend in sec
    fig = next(f for f in small_site["docs"][lang].figures() if f.id == "fig-sites-forest")
    assert "Kommune S (·)" in fig.svg


def test_masked_rows_lose_weights_too(small_site):
    """Extra value columns (weights, benchmark verdicts) are cleared with the estimate."""
    from fastholdelse_eval.privacy.cross_site import SITES_LEVEL, mask_cross_site
    from fastholdelse_eval.privacy.disclosure import suppress

    sup = mask_cross_site(suppress(small_site["inputs"].table))
    t = sup.table[sup.table["level"] == SITES_LEVEL]
    masked = t[t["suppressed"] != ""]
    assert set(masked["municipality"]) == {"Kommune A", "Kommune S", "all"}
    assert masked["estimate"].isna().all() and masked["p_value"].isna().all()
    assert pd.to_numeric(masked["weight"], errors="coerce").isna().all()
    shown = t[(t["suppressed"] == "") & (t["group"] == "difference")]
    assert set(shown["municipality"]) == {"Kommune B"}
    # weights rest on τ², i.e. on every count: gone once anything is hidden
    assert pd.to_numeric(t["weight"], errors="coerce").isna().all()
    log = sup.log[sup.log["level"] == SITES_LEVEL]
    assert list(log["metric"]) == ["pooled_across_municipalities"]
    # without suppression nothing is masked and the weights are the comparison's
    raw = mask_cross_site(suppress(small_site["inputs"].table, enabled=False)).table
    raw = raw[(raw["level"] == SITES_LEVEL) & (raw["group"] == "difference")
              & (raw["municipality"] != "all")]
    comp = small_site["comp"]
    want = comp[(comp.group == "difference") & (comp.municipality != "all")]
    assert np.allclose(pd.to_numeric(raw["weight"]), want["weight"])
    assert np.isfinite(pd.to_numeric(raw["weight"])).all()


# --- one municipality, determinism ----------------------------------------------------------


def test_one_municipality_has_no_such_section(greve_cohort):
    inputs = analyse(evaluate(greve_cohort))
    assert not (inputs.table.get("level", pd.Series(dtype=str)) == "@sites").any()
    for lang in LANGS:
        doc = report(inputs, lang=lang)
        assert "municipalities" not in [s.id for s in doc.sections]
        text = render_markdown(doc, "greve")
        assert TITLE[lang] not in text and "fig-sites" not in text
        assert "DerSimonian" not in text and "Paule" not in text


def test_two_runs_are_byte_identical(counts):
    again = _report(load_cohort(SAMPLE / "aktive_17_aggregate.csv"))
    assert again["md"] == counts["md"] and again["html"] == counts["html"]
