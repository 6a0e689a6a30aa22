"""Reports: contents read back against the tidy table, both languages, self-contained HTML,
byte-identical reruns, a valid PDF, small cells suppressed, the CLI and the Python API."""

from __future__ import annotations

import io
import re
import tomllib
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from fastholdelse_eval import evaluate
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.pipeline.run import analyse, report
from fastholdelse_eval.present.html import render_html
from fastholdelse_eval.present.labels import Labels
from fastholdelse_eval.present.markdown import render_markdown
from fastholdelse_eval.present.pdf import render_pdf

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TARGETS = [{"metric": "partial_rtw_rate", "direction": "higher", "relative": 0.25},
           {"metric": "rmst_weeks_on_benefit", "direction": "lower", "relative": 0.2}]
SECTION_ORDER = ["headline", "flow", "baseline", "outcomes", "durations", "relapse", "targets",
                 "methods", "data_quality", "suppression", "software", "suppression_log"]


@pytest.fixture(scope="module")
def ev(greve_cohort):
    return evaluate(greve_cohort, covariates=["age", "sex", "has_employer"], targets=TARGETS)


@pytest.fixture(scope="module")
def inputs(ev):
    return analyse(ev, title="Greve 2009", author="Test", date="2009-11-01")


@pytest.fixture(scope="module")
def docs(inputs):
    return {lang: report(inputs, lang=lang) for lang in ("da", "en")}


@pytest.fixture(scope="module")
def md(docs):
    return {lang: render_markdown(doc, "greve") for lang, doc in docs.items()}


@pytest.fixture(scope="module")
def html(docs):
    return {lang: render_html(doc) for lang, doc in docs.items()}


@pytest.fixture(scope="module")
def pdf(docs):
    return {lang: render_pdf(doc) for lang, doc in docs.items()}


# --- labels and number formatting -----------------------------------------------------------


def test_number_formats_per_language():
    da, en = Labels("da"), Labels("en")
    assert da.percent(97 / 180) == "53,9\u00a0%" and en.percent(97 / 180) == "53.9%"
    assert da.percent(137 / 188) == "72,9\u00a0%" and en.percent(137 / 188) == "72.9%"
    assert da.integer(1234) == "1.234" and en.integer(1234) == "1,234"
    assert da.integer(1234567) == "1.234.567" and en.integer(12) == "12"
    assert da.points(0.18983) == "+19,0\u00a0pct.-point" and en.points(-0.0507) == "−5.1 pp"
    assert da.number(-1234.56, 1) == "−1.234,6" and en.number(-1234.56, 1) == "−1,234.6"
    assert da.number(-0.0004, 2) == "0,00"  # no "−0,00"
    assert da.p_value(0.0004) == "<0,001" and en.p_value(0.2547) == "0.255"
    assert en.p_phrase(0.0004) == "< 0.001" and da.p_phrase(0.0031) == "= 0,003"
    assert da.percent(float("nan")) == "–" and Labels("en", level=0.9).defaults["level"] == "90%"


def test_both_languages_have_the_same_labels():
    def keys(node, prefix=""):
        out = set()
        for k, v in node.items():
            out |= keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
        return out

    files = resources.files("fastholdelse_eval.present")
    da = tomllib.loads(files.joinpath("da.toml").read_text("utf-8"))
    en = tomllib.loads(files.joinpath("en.toml").read_text("utf-8"))
    assert keys(da) == keys(en)


def test_templates_hold_no_words():
    """All user-facing words come from the label files, none from a template."""
    files = resources.files("fastholdelse_eval.present").joinpath("templates")
    for name in ("report.html.j2", "report.md.j2"):
        text = files.joinpath(name).read_text("utf-8")
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
        text = re.sub(r"<!DOCTYPE[^>]*>|<[^>]+>", " ", text)
        assert not re.search(r"[A-Za-zÆØÅæøå]{2,}", text), (name, text)


# --- contents -------------------------------------------------------------------------------


def test_sections_in_order_and_both_languages(docs, md):
    for doc in docs.values():
        assert [s.id for s in doc.sections] == SECTION_ORDER
    assert "## Hovedresultater" in md["da"] and "## Main findings" in md["en"]
    assert "72,9\u00a0%" in md["da"] and "72.9%" in md["en"]
    assert "Indsatsgruppe" in md["da"] and "Intervention" in md["en"]
    assert "Forfatter: Test" in md["da"] and "Date: 1 November 2009" in md["en"]


def _md_tables(text: str) -> dict[str, list[list[str]]]:
    """Markdown tables by caption: rows of unescaped cells."""
    out = {}
    for m in re.finditer(r"\*\*(.+?)\*\*\n\n((?:\|.*\|\n)+)", text):
        lines = m.group(2).strip().splitlines()
        rows = [[c.strip().replace("\\", "") for c in line.strip("|").split(" | ")]
                for line in lines[2:]]
        out[m.group(1).replace("\\", "")] = rows
    return out


def _num(text: str, lang: str) -> float:
    text = text.replace("−", "-").replace("+", "")
    if lang == "da":
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    return float(text)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_outcome_numbers_equal_the_tidy_table(ev, md, lang):
    """Every number of the outcome tables, parsed back, is the tidy table's, rounded."""
    tidy = ev.tidy()
    labels = Labels(lang)
    tables = _md_tables(md[lang])
    shares = next(v for k, v in tables.items() if k.endswith(labels("sections.outcomes")))
    comp = next(v for k, v in tables.items()
                if k.endswith(labels("columns.comparison_caption",
                                     section=labels("sections.outcomes"))))
    number = r"([−+]?[\d.,]+)"
    checked = 0
    for metric in ("rtw_rate", "partial_rtw_rate", "active_offer_rate"):
        row = next(r for r in shares if r[0] == labels.metric(metric))
        for g, (count, pct) in zip(("intervention", "control"), (row[1:3], row[3:5]),
                                   strict=True):
            t = tidy[(tidy.metric == metric) & (tidy.group == g)].iloc[0]
            assert count == f"{t.numerator}/{t.denominator}"
            m = re.fullmatch(number + r"\s?% \(" + number + " (?:til|to) " + number + r"\)",
                             pct)
            assert m, pct
            for got, want in zip(m.groups(), (t.estimate, t.ci_low, t.ci_high), strict=True):
                assert _num(got, lang) == pytest.approx(round(100 * want, 1), abs=1e-9)
                checked += 1
        crow = next(r for r in comp if r[0] == labels.metric(metric))
        d = tidy[(tidy.metric == metric) & (tidy.group == "difference")].iloc[0]
        m = re.match(number + r"\s(?:pct\.-point|pp) \(" + number + " (?:til|to) " + number,
                     crow[1])
        for got, want in zip(m.groups(), (d.estimate, d.ci_low, d.ci_high), strict=True):
            assert _num(got, lang) == pytest.approx(round(100 * want, 1), abs=1e-9)
        r = tidy[(tidy.metric == metric) & (tidy.group == "ratio")].iloc[0]
        m = re.match(number + r" \(" + number + " (?:til|to) " + number, crow[2])
        for got, want in zip(m.groups(), (r.estimate, r.ci_low, r.ci_high), strict=True):
            assert _num(got, lang) == pytest.approx(round(want, 2), abs=1e-9)
        p = crow[3]
        assert (p == labels.p_value(d.p_value)) and (d.p_value >= 0.001 or p.startswith("<"))
        checked += 7
    assert checked == 3 * 13


def test_duration_and_baseline_numbers_equal_the_tidy_table(ev, inputs, md):
    tables = _md_tables(md["en"])
    tidy = inputs.table
    groups = next(v for k, v in tables.items() if "estimates by group" in k and "Time" in k)
    names = {"median_weeks_on_benefit": "Median weeks on benefit",
             "rmst_weeks_on_benefit": "Mean weeks on benefit within 26 weeks"}
    for metric, name in names.items():
        row = next(r for r in groups if r[0] == name)
        t = tidy[(tidy.metric == metric) & (tidy.group == "intervention")].iloc[0]
        est = float(row[1].split(" ")[0])
        assert est == pytest.approx(round(t.estimate, 1))
    base = next(v for k, v in tables.items() if k.endswith("The groups at the start"))
    age = next(r for r in base if r[0] == "Age (years)")
    t = tidy[(tidy.metric == "baseline_age") & (tidy.group == "difference")].iloc[0]
    assert _num(age[3], "en") == pytest.approx(round(t.estimate, 2))
    hr = tidy[(tidy.metric == "hazard_ratio_rtw")].iloc[0]
    assert f"{hr.estimate:.2f} ({hr.ci_low:.2f} to {hr.ci_high:.2f})" in md["en"]


def test_headline_says_what_changed_and_how_sure(md):
    head = md["en"].split("## Main findings")[1].split("##")[0]
    assert "Returned to work: 72.9% in the intervention group vs 53.9% in the control " \
           "group, 19.0 pp more" in head
    assert "chance alone is an unlikely explanation (p < 0.001)" in head.replace("\\<", "<")
    assert "Relapse: 7.3% in the intervention group vs 12.4%" in head
    assert "data are also compatible with no effect (p = 0.255)" in head


def test_methods_name_the_estimators_with_references(md):
    methods = md["en"].split("## Methods and definitions")[1].split("\n## ")[0]
    for ref in ("Wilson EB (1927)", "Newcombe RG (1998)", "Katz D", "Fisher RA",
                "Kaplan EL, Meier P (1958)", "Greenwood", "Aalen OO, Johansen S (1978)",
                "Cox DR (1972)", "Efron B (1977)", "Mantel N (1966)", "Royston P, Parmar",
                "Austin PC (2009)", "Brookmeyer R, Crowley J (1982)"):
        assert ref in methods, ref


def test_targets_and_software_sections(md, greve_path):
    import hashlib

    text = md["en"]
    targets = text.split("## Local targets")[1].split("\n## ")[0]
    assert "Partial return to work: at least 25% higher than in the control group" in targets
    assert "at least 20% lower" in targets
    digest = hashlib.sha256(greve_path.read_bytes()).hexdigest()
    assert f"greve\\_2009.csv | {digest}" in text
    assert str(greve_path.parent) not in text  # file names only: no local paths


def test_aggregate_cohort_has_no_person_level_sections(greve_aggregate_path):
    from fastholdelse_eval import load_cohort

    agg = evaluate(load_cohort(greve_aggregate_path))
    doc = report(analyse(agg), lang="en")
    ids = [s.id for s in doc.sections]
    assert "durations" not in ids and "baseline" not in ids
    assert ids[:2] == ["headline", "flow"] and "outcomes" in ids


# --- self-contained, accessible HTML -------------------------------------------------------


def test_html_has_no_external_reference(html):
    for text in html.values():
        assert not re.search(r"https?:|ftp:|//[a-z0-9]", text, re.I)
        assert not re.search(r"\bsrc\s*=", text, re.I)
        assert not re.search(r"@import|<link|<script", text, re.I)
        assert set(re.findall(r'href="(.)', text)) == {"#"}
        assert set(re.findall(r"url\((.)", text)) <= {"#"}


def test_html_structure(html):
    text = html["da"]
    assert text.startswith("<!DOCTYPE html>") and '<html lang="da">' in text
    assert "@media print" in text and '<th scope="col"' in text and '<th scope="row">' in text
    svgs = re.findall(r"<svg.*?</svg>", text, re.S)
    # outcome shares, Kaplan–Meier, cumulative incidence of RTW and of partial return
    assert len(svgs) == 4
    assert "Andel delvis raskmeldt, uge for uge" in text
    for svg in svgs:
        assert re.search(r'<title id="[^"]+">[^<]+</title>', svg)
        assert re.search(r'<desc id="[^"]+">[^<]+</desc>', svg)
        assert "Creator" not in svg and "<metadata" not in svg and "dc:date" not in svg
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))


# --- determinism ----------------------------------------------------------------------------


def test_two_runs_are_byte_identical(greve_cohort, md, html, pdf):
    ev2 = evaluate(greve_cohort, covariates=["age", "sex", "has_employer"], targets=TARGETS)
    doc2 = report(analyse(ev2, title="Greve 2009", author="Test", date="2009-11-01"), lang="da")
    assert render_markdown(doc2, "greve") == md["da"]
    assert render_html(doc2) == html["da"]
    assert render_pdf(doc2) == pdf["da"]


# --- PDF ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["da", "en"])
def test_pdf_is_valid_with_the_expected_text(pdf, lang):
    pypdf = pytest.importorskip("pypdf")
    data = pdf[lang]
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert 5 <= len(reader.pages) <= 12
    text = "\n".join(p.extract_text() for p in reader.pages)
    labels = Labels(lang)
    for sid in SECTION_ORDER:
        assert labels(f"sections.{sid}") in text
    # pypdf reads the Danish no-break space before "%" as a space
    assert ("72,9 % (66,1 til 78,7)" if lang == "da" else "72.9% (66.1 to 78.7)") in text
    assert ("137/188" in text) and ("<5/188" in text)
    assert reader.metadata["/CreationDate"] == "D:20091101000000Z"
    assert reader.metadata["/Title"] == "Greve 2009"


# --- disclosure control in the report ------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(greve_cohort):
    """Greve with relapse 2 vs 3: keep the first relapses, drop the others."""
    d = greve_cohort.data.copy()
    has = d["relapse_date"].notna()
    keep = set(d.index[has & (d["group"] == "intervention")][:2]) | set(
        d.index[has & (d["group"] == "control")][:3])
    d.loc[has & ~d.index.isin(list(keep)), "relapse_date"] = pd.NaT
    cohort = Cohort(d, name="tiny", sources=greve_cohort.sources, notes=[])
    return evaluate(cohort)


def test_tiny_cells_show_as_small_and_nothing_derived_leaks(tiny):
    t = tiny.tidy()
    rel = t[t.metric == "relapse_rate"].set_index("group")
    assert rel.loc["intervention", "numerator"] == 2 and rel.loc["control", "numerator"] == 3
    doc = report(analyse(tiny), lang="en")
    text = render_markdown(doc, "tiny").replace("\\", "")
    row = next(line for line in text.splitlines() if line.startswith("| Relapse |"))
    assert row == "| Relapse | <5/137 | · | <5/97 | · |"
    comp = [line for line in text.splitlines() if line.startswith("| Relapse |")][1]
    assert comp == "| Relapse | · | · | · |"
    # every number derived from the masked counts is absent: rates, bounds, difference, p.
    # Lines about relapse may show only the denominators and the week counts of their names.
    masked = t[t.metric.str.startswith("relapse") & t.group.isin(
        ["intervention", "control", "difference", "ratio"])]
    allowed = {"137", "97", "4", "13", "26", "5"}
    body = text.split("## Disclosure control")[0]
    lines = [line for line in body.splitlines() if line.startswith("| Relapse")
             or line.startswith("- Relapse")]
    assert len(lines) == 9  # shares, comparison, 3 over time ×2, headline
    for line in lines:
        numbers = set(re.findall(r"\d+(?:\.\d+)?", line))
        assert numbers <= allowed or "0.0%" in line, line
    for _, r in masked.iterrows():
        if r.metric == "relapse_rate":
            for col in ("estimate", "ci_low", "ci_high"):
                pat = rf"(?<![\d.]){100 * r[col]:.1f}(?![\d])"
                assert not re.search(pat, "\n".join(lines)), (r.group, col)
    assert "Relapse: not shown" in text
    log = text.split("## Disclosure control")[1]
    assert "| Relapse | Intervention | count below 5 |" in log


def test_turning_suppression_off_shows_a_banner(tiny):
    doc = report(analyse(tiny), lang="da", suppression=False)
    text = render_markdown(doc, "tiny").replace("\\", "")
    assert doc.banner and doc.banner.startswith("ADVARSEL")
    assert text.count("ADVARSEL") == 1 and "2/137" in text
    assert "role=\"alert\"" in render_html(doc)


def test_numbers_at_risk_are_masked_in_figures():
    from fastholdelse_eval.present.figures import render

    def draw(ax):
        ax.plot([0, 1, 2], [1, 0.5, 0.2])
        ax.set_xticks([0, 1, 2])
        for x, n in zip((0, 1, 2), (12, 4, 1), strict=True):
            ax.annotate(str(n), xy=(x, -0.3), xycoords=ax.get_xaxis_transform(),
                        annotation_clip=False)

    fig = render(draw, "f", "t", "d", threshold=5, small_text="<5")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", fig.svg)
    assert "12" in texts and texts.count("&lt;5") == 2 and "4" not in texts
    assert "1" in texts  # the x-axis tick label "1" is an axis value, not a count


# --- CLI and Python API ---------------------------------------------------------------------


def test_cli_report_from_a_study_config(tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["report", str(SAMPLE / "greve_2009.toml"), "--out", str(out),
                 "--lang", "en", "--format", "md,html"]) == 0
    written = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in written) == sorted([
        "greve_2009.en.md", "greve_2009.en.html", "greve_2009.en-fig-outcomes.svg",
        "greve_2009.en-fig-km.svg", "greve_2009.en-fig-cif.svg",
        "greve_2009.en-fig-partial.svg", "greve_2009.en-fig-tornado.svg",
        "greve_2009.en-fig-love.svg", "greve_2009.en-fig-progression-who5.svg"])
    text = (out / "greve_2009.en.md").read_text("utf-8")
    assert text.startswith("# Active – back to work sooner") and "greve\\_2009.toml" in text
    assert "Local targets" in text


def test_cli_report_errors(tmp_path, capsys):
    args = ["report", str(SAMPLE / "greve_2009.csv"), "--out", str(tmp_path)]
    assert main([*args, "--lang", "de"]) != 0
    assert "--lang" in capsys.readouterr().err
    assert main([*args, "--format", "docx"]) != 0
    assert "format" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nope.toml"), "--out", str(tmp_path)]) != 0
    assert not list(tmp_path.iterdir())


def test_cli_no_suppression_warns(tmp_path, capsys):
    assert main(["report", str(SAMPLE / "greve_2009_aggregate.csv"), "--out", str(tmp_path),
                 "--format", "md", "--lang", "en", "--no-suppression"]) == 0
    assert "OFF" in capsys.readouterr().err
    text = (tmp_path / "greve_2009_aggregate.en.md").read_text("utf-8")
    assert "WARNING: disclosure control is OFF" in text and "| 3/188 |" in text


def test_evaluation_methods(greve_aggregate_path, tmp_path):
    from fastholdelse_eval import load_cohort

    ev = evaluate(load_cohort(greve_aggregate_path))  # aggregate: one figure, quick
    paths = ev.to_markdown(tmp_path / "r.md", lang="en")
    assert paths[0] == tmp_path / "r.md" and all(p.exists() for p in paths)
    assert ev.to_pdf(tmp_path / "r.pdf")[0].read_bytes().startswith(b"%PDF")
    html_text = ev.to_html(tmp_path / "r.html", lang="en", threshold=3)[0].read_text("utf-8")
    assert "Counts from 1 to 2 are shown as" in html_text
    shown = ev._repr_html_()
    assert "<table" in shown and "<svg" in shown and "<title" in shown


def test_several_municipalities_get_a_table_by_site():
    from fastholdelse_eval import load_cohort

    ev = evaluate(load_cohort(SAMPLE / "aktive_17_aggregate.csv"))
    doc = report(analyse(ev), lang="da")
    table = next(t for t in doc.tables() if t.id == "table-sites-rtw_rate")
    assert table.caption == "Tabel 4. Raskmeldt efter kommune"  # flow, 2 outcome tables
    assert len(table.rows) == 18 and table.rows[-1][0] == "Alle"
    tidy = ev.tidy()
    pooled = tidy[(tidy.municipality == "all") & (tidy.metric == "rtw_rate")
                  & (tidy.group == "intervention")].iloc[0]
    assert table.rows[-1][1] == f"{pooled.numerator:,}/{pooled.denominator:,}".replace(",", ".")


def test_a_rare_category_is_not_named(greve_cohort):
    d = greve_cohort.data.copy()
    d["diagnosis"] = d["diagnosis"].astype(str)  # a new label: as text (docs/input.md)
    d.loc[d.index[:2], "diagnosis"] = "ALS"  # two intervention persons
    ev = evaluate(Cohort(d, name="rare", sources=[], notes=[]), covariates=["diagnosis"])
    text = render_markdown(report(analyse(ev), lang="en"), "rare").replace("\\", "")
    assert "ALS" not in text
    assert "| (category hidden to protect individuals) | <5 | 0 (0.0%) | · |" in text


def test_identical_across_processes_and_hash_seeds(tmp_path):
    """Set and dict order must not leak into the output (many masked cells: 17 sites)."""
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "fastholdelse_eval.cli.main", "report",
                        str(SAMPLE / "aktive_17_aggregate.csv"), "--out", str(out),
                        "--format", "md,html", "--lang", "da"], check=True, env=env,
                       capture_output=True)
        outputs.append([(out / f"aktive_17_aggregate.da.{ext}").read_bytes()
                        for ext in ("md", "html")])
    assert outputs[0] == outputs[1]
    assert "<5" in outputs[0][0].decode("utf-8").replace("\\", "")


# --- figures from what disclosure cleared ---------------------------------------------------


@pytest.fixture(scope="module")
def three_returned(greve_cohort):
    """Greve with only 3 of 180 controls returned to work (the others still on benefit)."""
    d = greve_cohort.data.copy()
    rtw = d.index[(d["group"] == "control") & (d["end_reason"] == "rtw")]
    gone = rtw[3:]
    d.loc[gone, "end_reason"] = "censored"
    d.loc[gone, ["end_date", "relapse_date"]] = pd.NaT
    if "end_detail" in d.columns:
        d.loc[gone, "end_detail"] = ""
    return evaluate(Cohort(d, name="three", sources=greve_cohort.sources, notes=[]))


def test_a_curve_that_reveals_a_small_count_is_not_drawn(three_returned):
    from fastholdelse_eval.pipeline.run import clear

    t = three_returned.tidy()
    rtw = t[(t.metric == "rtw_rate") & (t.group == "control")].iloc[0]
    assert rtw.numerator == 3 and rtw.denominator == 180
    inputs = analyse(three_returned)
    # what each figure reveals is listed by the pipeline, per group
    km = next(f for f in inputs.figures if f.id == "fig-km")
    assert {(r.metric, r.group) for r in km.reveals} >= {("n", "control"),
                                                          ("rtw_rate", "control")}
    cleared = clear(inputs)
    for f in cleared.figures:
        assert f.groups == ("intervention",) and f.hidden == ("control",), f.spec.id
    for lang in ("en", "da"):
        L = Labels(lang)
        doc = report(inputs, lang=lang)
        text = render_markdown(doc, "three").replace("\\", "")
        assert "<5/180" in text  # the table hides the count ...
        figs = {f.id: f for f in doc.figures()}
        for fig_id in ("fig-km", "fig-cif", "fig-partial"):  # ... and so do the figures
            svg = figs[fig_id].svg
            assert L.words.group("control") not in svg and L.words.group("intervention") in svg
        notes = [b.text for s in doc.sections if s.id == "durations" for b in s.blocks
                 if getattr(b, "kind", "") == "note"]
        assert len(notes) == 3, notes  # one per survival figure
        assert all(n.startswith(L.group("control") + ":") for n in notes), notes
    # without suppression (explicit) both curves are drawn
    assert all(f.groups == ("intervention", "control")
               for f in clear(inputs, enabled=False).figures)


def test_whole_figure_goes_when_no_curve_is_cleared(three_returned):
    from fastholdelse_eval.pipeline.run import clear
    from fastholdelse_eval.present.build import present

    inputs = analyse(three_returned)
    cleared = clear(inputs, threshold=200)  # every group is "small"
    assert all(not f.groups for f in cleared.figures)
    doc = present(cleared, lang="en")
    assert not [f for f in doc.figures() if f.id in ("fig-km", "fig-cif")]
    text = render_markdown(doc, "x")
    assert "is not shown, because its curves would show counts" in text


def test_the_report_package_runs_no_analysis_and_no_suppression():
    """present/ lays out what the pipeline cleared: no import of analysis/, no suppress()."""
    root = Path(__file__).resolve().parents[1] / "src" / "fastholdelse_eval" / "present"
    for path in root.rglob("*.py"):
        if path.name == "output.py":  # tidy-table writer of evaluate/compare, not the report
            continue
        text = path.read_text(encoding="utf-8")
        assert "fastholdelse_eval.analysis" not in text, path.name
        assert not re.search(r"\bsuppress\(|mask_cross_site\(", text), path.name


def test_a_reveal_without_a_checked_row_is_not_cleared():
    """Fail closed: a figure that shows a row disclosure control never saw is not drawn."""
    from fastholdelse_eval.privacy.figures import Reveal, hidden_reveals

    table = pd.DataFrame({"municipality": ["X", "X"], "metric": ["n", "rtw_rate"],
                          "group": ["control", "control"], "level": ["", ""],
                          "suppressed": ["", "primary"], "numerator_mask": ["", "small"],
                          "denominator_mask": ["", ""]})
    shown, masked, absent = (Reveal("f", "n", "control", "X"),
                             Reveal("f", "rtw_rate", "control", "X"),
                             Reveal("f", "cif_rtw", "control", "X"))
    assert hidden_reveals(table, [shown, masked, absent]) == [masked, absent]
    assert hidden_reveals(table, [shown, masked, absent], enabled=False) == [absent]
