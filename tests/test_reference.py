"""An external reference instead of a control group (analysis/reference.py).

Expected numbers from R 4 and statsmodels, calls beside them. The Greve sample's participants:
137 of 188 returned to work; the reference: 412 of 800 (a Jobindsats-style count).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from fastholdelse_eval import evaluate
from fastholdelse_eval.analysis.reference import Reference, parse_reference
from fastholdelse_eval.core.errors import ConfigError

FIGURES = {"label": "Jobindsats 2008", "rtw_rate": "412/800",
           "median_weeks_on_benefit": {"estimate": 11.0, "se": 0.8},
           "rmst_weeks_on_benefit": "12.5 se 0.4"}


@pytest.fixture(scope="module")
def split(greve_cohort):
    data = greve_cohort.data
    part = dataclasses.replace(greve_cohort, data=data[data["group"] == "intervention"]
                               .reset_index(drop=True))
    hist = dataclasses.replace(greve_cohort, data=data[data["group"] == "control"]
                               .reset_index(drop=True))
    return part, hist


def _rows(table, metric):
    return table[table["metric"] == metric].set_index("group")


def test_parse_forms_and_errors():
    ref = parse_reference({"rtw_rate": {"events": 412, "n": 800},
                           "partial_rtw_rate": [120, 800],
                           "median_weeks_on_benefit": "11,0 se 0,8"})
    assert ref.rates == {"rtw_rate": (412, 800), "partial_rtw_rate": (120, 800)}
    assert ref.values == {"median_weeks_on_benefit": (11.0, 0.8)}
    assert ref.kind == "reference" and not ref.historic
    assert parse_reference({"file": "x.csv"}).kind == "historic reference"
    for bad, words in [({"rtw_rate": "412 of"}, "events/n"),
                       ({"rtw_rate": "900/800"}, "events ≤ n"),
                       ({"rtw_rate": {"events": 1.5, "n": 8}}, "whole numbers"),
                       ({"median_weeks_on_benefit": {"estimate": 11}}, "'estimate' and 'se'"),
                       ({"median_weeks_on_benefit": "11 se 0"}, "standard error > 0"),
                       ({"happiness": 3}, "unknown key"),
                       ({"label": "x"}, "no reference given"),
                       ({"file": "x.csv", "rtw_rate": "1/2"}, "not both")]:
        with pytest.raises(ConfigError, match=words):
            parse_reference(bad)


def test_rate_against_reference_numbers(split):
    part, _ = split
    ev = evaluate(part, reference=FIGURES)
    r = _rows(ev.tidy(), "reference:rtw_rate")
    assert set(r.index) == {"reference", "difference", "ratio"}
    assert (r["comparison"] == "reference").all()
    assert (r["reference_label"] == "Jobindsats 2008").all()
    # R: prop.test(412, 800, correct = FALSE)$conf.int = 0.480379091934411 0.549477541779418
    ref = r.loc["reference"]
    assert (ref["estimate"], ref["ci_low"], ref["ci_high"]) == pytest.approx(
        (0.515, 0.480379091934411, 0.549477541779418), abs=1e-12)
    assert (ref["numerator"], ref["denominator"]) == (412, 800)
    # Newcombe's hybrid score interval (method 10), by hand in R from the Wilson limits:
    #   w <- function(x, n) prop.test(x, n, correct = FALSE)$conf.int
    #   a <- w(137, 188); b <- w(412, 800); p1 <- 137/188; p0 <- 412/800; d <- p1 - p0
    #   d - sqrt((p1 - a[1])^2 + (b[2] - p0)^2) = 0.137782805461715
    #   d + sqrt((a[2] - p1)^2 + (p0 - b[1])^2) = 0.28170284454288
    # fisher.test(matrix(c(137, 51, 412, 388), 2))$p.value = 9.06467711165183e-08
    diff = r.loc["difference"]
    assert (diff["estimate"], diff["ci_low"], diff["ci_high"]) == pytest.approx(
        (0.213723404255319, 0.137782805461715, 0.28170284454288), abs=1e-12)
    assert diff["p_value"] == pytest.approx(9.06467711165183e-08, rel=1e-8)
    sm = confint_proportions_2indep(137, 188, 412, 800, method="newcomb", compare="diff")
    assert (diff["ci_low"], diff["ci_high"]) == pytest.approx(sm, abs=1e-12)
    # Katz: exp(log(p1/p0) ± 1.96 sqrt(1/137 − 1/188 + 1/412 − 1/800)) in R:
    #   1.41499690146664 (1.26743750316659, 1.57973566835273)
    ratio = r.loc["ratio"]
    assert (ratio["estimate"], ratio["ci_low"], ratio["ci_high"]) == pytest.approx(
        (1.41499690146664, 1.26743750316659, 1.57973566835273), rel=1e-10)
    assert ev.notes[0].startswith("Comparison with a reference (Jobindsats 2008), not a "
                                  "controlled effect")


def test_durations_against_reference_numbers(split):
    part, _ = split
    t = evaluate(part, reference=FIGURES).tidy()
    z = 1.959963984540054
    for name, (est0, se0) in (("median_weeks_on_benefit", (11.0, 0.8)),
                              ("rmst_weeks_on_benefit", (12.5, 0.4))):
        r = _rows(t, f"reference:{name}")
        own = t[(t["metric"] == name) & (t["group"] == "intervention")].iloc[0]
        assert r.loc["reference", "estimate"] == est0
        assert r.loc["reference", "ci_high"] == pytest.approx(est0 + z * se0)
        # by hand: participants' se from their interval, both se combined, two-sided z-test
        se1 = (own["ci_high"] - own["ci_low"]) / (2 * z)
        se = math.hypot(se1, se0)
        d = own["estimate"] - est0
        assert r.loc["difference", "estimate"] == pytest.approx(d)
        assert r.loc["difference", "ci_low"] == pytest.approx(d - z * se)
        assert r.loc["difference", "p_value"] == pytest.approx(
            math.erfc(abs(d) / se / math.sqrt(2)), rel=1e-12)
    # median: 68/7 − 11 = −1.285714 weeks, se1 = (78/7 − 55/7)/(2z)
    med = _rows(t, "reference:median_weeks_on_benefit").loc["difference"]
    assert med["estimate"] == pytest.approx(68 / 7 - 11)
    assert med["p_value"] == pytest.approx(0.2671649, abs=1e-7)
    assert "approximated" in med["method"]


def test_historic_cohort_uses_the_control_group_estimators(split, greve_cohort):
    """Participants + a historic cohort give the same numbers as the two-group study built
    from the same persons (every estimator of the control group), labelled as a reference."""
    part, hist = split
    hist_t = evaluate(part, reference={"label": "Greve 2007", "cohort": hist},
                      horizon_weeks=26).tidy()
    both_t = evaluate(greve_cohort, horizon_weeks=26).tidy()
    keys = ["municipality", "metric", "group"]
    m = hist_t.merge(both_t, on=keys, suffixes=("", "_two"))
    assert len(m) == len(both_t) == len(hist_t)
    for col in ("estimate", "ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(m[col], m[f"{col}_two"], rtol=1e-12, equal_nan=True)
    between = hist_t[hist_t["group"].isin(["control", "difference", "ratio"])]
    assert (between["comparison"] == "historic reference").all()
    assert (between["reference_label"] == "Greve 2007").all()
    assert (hist_t.loc[hist_t["group"] == "intervention", "comparison"] == "").all()
    # log-rank and Cox are there, as with a control group
    assert {"logrank_rtw", "hazard_ratio_rtw"} <= set(hist_t["metric"])


def test_historic_cohort_refused_when_the_study_has_controls(split, greve_cohort):
    _, hist = split
    with pytest.raises(ConfigError, match="own control group"):
        evaluate(greve_cohort, reference=Reference(label="x", cohort=hist))


def test_disclosure_masks_reference_rows_with_the_participants_rate(split):
    from fastholdelse_eval.privacy.disclosure import suppress

    part, _ = split
    t = evaluate(part, reference={"rtw_rate": "412/800"}).tidy()
    # hide the participants' rate: the difference and ratio against the reference go too
    t.loc[(t["metric"] == "rtw_rate") & (t["group"] == "intervention"), "numerator"] = 3
    masked = suppress(t, 5).table
    r = _rows(masked, "reference:rtw_rate")
    assert r.loc["difference", "suppressed"] and r.loc["ratio", "suppressed"]
    assert pd.isna(r.loc["difference", "estimate"])


def test_study_toml_cli_and_report(split, tmp_path, greve_path):
    from fastholdelse_eval.cli.main import main
    from fastholdelse_eval.pipeline.study import load_config, load_study_reference

    part, hist = split
    part_csv, hist_csv = tmp_path / "part.csv", tmp_path / "hist.csv"
    raw = pd.read_csv(greve_path, dtype=str, sep=";", encoding="utf-8-sig")
    control = raw["gruppe"] == "kontrol"
    assert control.sum() == 180
    raw[~control].to_csv(part_csv, index=False, sep=";")
    raw[control].to_csv(hist_csv, index=False, sep=";")
    toml = tmp_path / "study.toml"
    toml.write_text('data = "part.csv"\n[reference]\nlabel = "Jobindsats 2008"\n'
                    'rtw_rate = "412/800"\n', encoding="utf-8")
    config = load_config(toml)
    assert load_study_reference(config) == {"label": "Jobindsats 2008", "rtw_rate": "412/800"}
    (tmp_path / "hist.toml").write_text(
        'data = "part.csv"\n[reference]\nlabel = "Greve 2007"\nfile = "hist.csv"\n',
        encoding="utf-8")
    ref = load_study_reference(load_config(tmp_path / "hist.toml"))
    assert len(ref["cohort"].data) == 180
    (tmp_path / "bad.toml").write_text('data = "part.csv"\n[reference]\nfile = "nope.csv"\n',
                                       encoding="utf-8")
    with pytest.raises(ConfigError, match="reference.file: file not found"):
        load_config(tmp_path / "bad.toml")
    out = tmp_path / "t.csv"
    assert main(["evaluate", str(part_csv), "--reference", "rtw_rate 412/800",
                 "--reference-label", "Jobindsats 2008", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    diff = table[(table["metric"] == "reference:rtw_rate") & (table["group"] == "difference")]
    assert diff["estimate"].iloc[0] == pytest.approx(0.213723404255319)
    out2 = tmp_path / "h.csv"
    assert main(["evaluate", str(part_csv), "--reference-file", str(hist_csv),
                 "--out", str(out2)]) == 0
    assert (pd.read_csv(out2)["comparison"] == "historic reference").any()
    assert main(["evaluate", str(part_csv), "--reference", "rtw_rate 412"]) != 0
    for lang, words in (("en", ["Comparison with a reference",
                                "not a controlled effect", "51.5% (48.0 to 54.9)",
                                "+21.4 pp (13.8 to 28.2)"]),
                        ("da", ["Sammenligning med en reference",
                                "ikke en kontrolleret effekt", "51,5\u00a0% (48,0 til 54,9)"])):
        assert main(["report", str(toml), "--out", str(tmp_path / lang), "--lang", lang,
                     "--format", "md", "--quiet"]) == 0
        text = next((tmp_path / lang).glob("*.md")).read_text(encoding="utf-8")
        for w in words:
            assert w in text
    assert main(["report", str(tmp_path / "hist.toml"), "--out", str(tmp_path / "h"),
                 "--lang", "en", "--format", "md", "--quiet"]) == 0
    text = next((tmp_path / "h").glob("*.md")).read_text(encoding="utf-8")
    assert "historic reference (Greve 2007)" in text
    assert "| Historic reference |" in text or "Historic reference:" in text
    km = next((tmp_path / "h").glob("*-fig-km.svg")).read_text(encoding="utf-8")
    assert "Historic reference (n=" in km and "Control" not in km  # legend and at-risk rows


def _sections(md: str) -> dict[str, str]:
    return {part.split("\n", 1)[0]: part for part in md.split("\n## ")}


@pytest.mark.parametrize(("lang", "findings", "flow", "historic", "control"), [
    ("en", "Main findings", "Participants and where they went", "historic reference",
     "control group"),
    ("da", "Hovedresultater", "Deltagere og forløb", "historisk", "kontrolgruppe"),
])
def test_historic_report_running_text_names_the_reference(tmp_path, greve_path, lang,
                                                          findings, flow, historic,
                                                          control):
    """The running text (subtitle, main findings, flow intro) names a historic cohort as a
    historic reference, not a control group; a later report in the same process still says
    control group (the words of one report do not leak into the next)."""
    from fastholdelse_eval.cli.main import main

    raw = pd.read_csv(greve_path, dtype=str, sep=";", encoding="utf-8-sig")
    control_rows = raw["gruppe"] == "kontrol"
    raw[~control_rows].to_csv(tmp_path / "part.csv", index=False, sep=";")
    raw[control_rows].to_csv(tmp_path / "hist.csv", index=False, sep=";")
    (tmp_path / "hist.toml").write_text(
        'data = "part.csv"\n[reference]\nlabel = "Greve 2007"\nfile = "hist.csv"\n',
        encoding="utf-8")
    assert main(["report", str(tmp_path / "hist.toml"), "--out", str(tmp_path / "h"),
                 "--lang", lang, "--format", "md", "--quiet"]) == 0
    md = next((tmp_path / "h").glob("*.md")).read_text(encoding="utf-8")
    parts = _sections(md)
    head = parts[next(k for k in parts if k.startswith(findings))]
    intro = parts[next(k for k in parts if k.startswith(flow))]
    subtitle = md.split("\n")[2]
    for text in (subtitle, intro, head.split("\n- ", 1)[1]):  # the bullets
        assert historic in text.lower() and control not in text.lower(), text
    assert historic in head.split("\n- ", 1)[0].lower()  # the intro names it too
    assert main(["report", str(greve_path), "--out", str(tmp_path / "g"), "--lang", lang,
                 "--format", "md", "--quiet"]) == 0
    plain = next((tmp_path / "g").glob("*.md")).read_text(encoding="utf-8").lower()
    assert control in plain and historic not in plain
