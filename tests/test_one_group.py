"""One-group studies (participants only, no comparison group), issue 14 part 1.

The shipped sample ``greve_2009_participants.csv`` is the 188 participants of the synthetic
Greve sample. Its expected numbers come from R 4.x (``survival``, ``cmprsk``), on the same
persons written out as (weeks_on_benefit, cause: 0 censored, 1 RTW, 2 other benefit, 3 dropout;
weeks_to_partial_rtw_event, partial_rtw_event):

    km <- survfit(Surv(weeks_on_benefit, cause > 0) ~ 1, data = d, conf.type = "log-log")
    print(km, rmean = 26)      # median 9.7142857143 (7.8571428571, 11.1428571429);
                               # rmean 11.71461816, se 0.6187660139
    ms <- survfit(Surv(weeks_on_benefit, factor(cause, 0:3)) ~ 1, data = d)
    summary(ms, times = c(4, 13, 26))$pstate        # weekly status (see WEEKLY)
    cuminc(d$weeks_on_benefit, d$cause, cencode = 0) # same CIFs
    pm <- survfit(Surv(weeks_to_partial_rtw_event, factor(partial_rtw_event, 0:2)) ~ 1, d)
    summary(pm, times = 26)$pstate[2]               # 0.303396072; max 0.3216731251 < 0.5
    prop.test(x, n, correct = FALSE)$conf.int       # Wilson intervals (see WILSON)
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE

import fastholdelse_eval as fe
from fastholdelse_eval.analysis import one_group
from fastholdelse_eval.cli.main import main
from fastholdelse_eval.data.cohort import one_group_note

PARTICIPANTS = SAMPLE / "greve_2009_participants.csv"
STUDY = SAMPLE / "greve_2009_participants.toml"

# prop.test(x, n, correct = FALSE)$conf.int
WILSON = {"rtw_rate": (137, 188, 0.6610604627, 0.7872263702),
          "partial_rtw_rate": (59, 188, 0.2517860567, 0.3833293119),
          "relapse_rate": (10, 137, 0.04012862258, 0.12915007575),
          "dropout_rate": (3, 188, 0.005441558416, 0.045858399796),
          "other_benefit_rate": (16, 188, 0.05306373213, 0.13376480348),
          "active_offer_rate": (160, 188, 0.7931660162, 0.8949021460)}
# summary(ms, times = c(4, 13, 26))$pstate: on benefit, returned, other benefit, dropout
WEEKLY = {4: (0.7553191489, 0.2127659574, 0.02659574468, 0.005319148936),
          13: (0.3829787234, 0.5372340426, 0.06914893617, 0.010638297872),
          26: (0.1695478723, 0.7290558511, 0.08510638298, 0.016289893617)}


@pytest.fixture(scope="module")
def cohort():
    return fe.load_cohort(PARTICIPANTS)


@pytest.fixture(scope="module")
def ev(cohort):
    return fe.evaluate(cohort, horizon_weeks=26)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_sample_is_the_greve_participants_byte_for_byte():
    """The one-group sample is the header and the 'deltager' rows of the Greve sample."""
    lines = (SAMPLE / "greve_2009.csv").read_bytes().split(b"\n")
    keep = [lines[0], *(row for row in lines[1:] if row.split(b";")[1:2] == [b"deltager"])]
    assert PARTICIPANTS.read_bytes() == b"\n".join(keep) + b"\n"
    assert len(keep) - 1 == 188


def test_only_the_groups_rows_no_control_or_comparison_rows(ev):
    t = ev.tidy()
    assert set(t["group"]) == {"intervention"}
    assert not t["metric"].str.contains("hazard_ratio|logrank").any()
    assert t.loc[t["metric"] == "n", "estimate"].tolist() == [188.0]


@pytest.mark.parametrize("metric", list(WILSON))
def test_rates_with_wilson_intervals_as_r(ev, metric):
    x, n, low, high = WILSON[metric]
    r = ev.tidy().set_index("metric").loc[metric]
    assert (r["numerator"], r["denominator"]) == (x, n)
    assert r["estimate"] == pytest.approx(x / n, abs=1e-12)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((low, high), abs=1e-9)


def test_durations_as_r(ev):
    t = ev.tidy().set_index("metric")
    med = t.loc["median_weeks_on_benefit"]
    assert (med["estimate"], med["ci_low"], med["ci_high"]) == pytest.approx(
        (9.7142857143, 7.8571428571, 11.1428571429), abs=1e-9)
    rmst = t.loc["rmst_weeks_on_benefit"]
    z = 1.959963984540054
    assert rmst["estimate"] == pytest.approx(11.71461816, abs=1e-8)
    assert (rmst["ci_low"], rmst["ci_high"]) == pytest.approx(
        (11.71461816 - z * 0.6187660139, 11.71461816 + z * 0.6187660139), abs=1e-8)
    assert t.loc["cif_rtw", "estimate"] == pytest.approx(0.7290558511, abs=1e-9)
    assert t.loc["cif_partial_rtw", "estimate"] == pytest.approx(0.303396072, abs=1e-9)
    # the partial-return curve tops out at 0.3217 (R): the median is not reached
    assert np.isnan(t.loc["median_weeks_to_partial_rtw", "estimate"])


def test_same_numbers_as_the_participants_rows_of_the_two_group_study(ev, greve_cohort):
    """Leaving the controls out changes no participant's number (same estimators)."""
    both = fe.evaluate(greve_cohort, horizon_weeks=26).tidy()
    both = both[both["group"] == "intervention"].set_index("metric")
    for _, r in ev.tidy().iterrows():
        other = both.loc[r["metric"]]
        for col in ("estimate", "ci_low", "ci_high"):
            assert r[col] == pytest.approx(other[col], abs=1e-12, nan_ok=True), (r["metric"],
                                                                                col)


def test_weekly_status_as_r(ev):
    ws = ev.durations.weekly_status(weeks=[4, 13, 26])
    assert set(ws["group"]) == {"intervention"}  # no difference rows for one group
    for week, expected in WEEKLY.items():
        got = ws[ws["week"] == week].set_index("state")["estimate"]
        assert [got[s] for s in ("on_benefit", "returned", "other_benefit", "dropout")] == \
            pytest.approx(expected, abs=1e-9)
    ax = ev.plot_weekly_status()
    assert len(ax.get_lines()) >= 3


def test_relapse_and_sustained_return_for_one_group(ev):
    t = ev.tidy().set_index("metric")
    assert t.loc["relapse_rate", "numerator"] == 10
    assert t.loc["relapse_by_26_weeks", "denominator"] == 137
    assert 0 < t.loc["sustained_rtw_rate", "estimate"] <= 137 / 188


def test_summary_has_one_column(ev):
    s = ev.summary()
    assert list(s.columns) == ["intervention"]
    assert s.loc["rtw_rate", "intervention"] == "137/188 = 72.9 % (66.1 to 78.7)"


def test_aggregate_counts_of_one_group(tmp_path):
    text = (SAMPLE / "greve_2009_aggregate.csv").read_text("utf-8-sig").splitlines()
    path = tmp_path / "one.csv"
    path.write_text("\n".join([text[0], *[r for r in text[1:] if ";deltager;" in r]]) + "\n",
                    "utf-8")
    agg = fe.load_cohort(path)
    t = fe.evaluate(agg).tidy()
    assert set(t["group"]) == {"intervention"}
    rtw = t.set_index("metric").loc["rtw_rate"]
    assert (rtw["numerator"], rtw["denominator"]) == (137, 188)
    assert rtw["ci_low"] == pytest.approx(WILSON["rtw_rate"][2], abs=1e-9)
    assert one_group_note(agg) is not None


def test_a_one_armed_site_is_trimmed_and_the_others_are_not(greve_cohort):
    data = greve_cohort.data.copy()
    # Label columns are categories (docs/input.md): a new label goes into them as text.
    data = data.astype({"municipality": str, "group": str})
    data.loc[data.index[:60], "municipality"] = "Solrød"
    data.loc[data.index[:60], "group"] = "intervention"
    t = one_group.trim(fe.evaluate(fe.Cohort(data)).tidy())
    solrod, greve = t[t["municipality"] == "Solrød"], t[t["municipality"] == "Greve"]
    assert set(solrod["group"]) == {"intervention"}
    assert {"control", "difference", "ratio"} <= set(greve["group"])
    assert one_group.one_group_units(t) == {"Solrød": "intervention"}


def test_trim_leaves_two_group_tables_alone(greve_cohort):
    t = fe.evaluate(greve_cohort).tidy()
    assert one_group.trim(t).equals(t)
    assert one_group.one_group_units(t) == {}


def test_validate_says_one_group_plainly(capsys, greve_path):
    code, out, _ = run(capsys, "validate", PARTICIPANTS)
    assert code == 0
    assert "note: the file holds one group only: the intervention group (participants), no " \
        "control group." in out
    assert "cannot show an effect" in out
    code, out, _ = run(capsys, "validate", greve_path)
    assert code == 0 and "one group" not in out


def test_evaluate_cli_prints_no_control_column(capsys):
    code, out, _ = run(capsys, "evaluate", PARTICIPANTS)
    assert code == 0
    assert "control" not in out.split("note:")[0] and "difference" not in out
    assert "137/188 = 72.9 % (66.1 to 78.7)" in out


TABLE_ROW = re.compile(r"^\|.*\|$", re.M)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_one_group_report_renders_completely(tmp_path, lang):
    shutil.copy(PARTICIPANTS, tmp_path)
    shutil.copy(STUDY, tmp_path)
    code = main(["report", str(tmp_path / STUDY.name), "--format", "md,html", "--lang", lang,
                 "--out", str(tmp_path / "out")])
    assert code == 0
    md = next((tmp_path / "out").glob(f"*.{lang}.md")).read_text("utf-8")
    html = next((tmp_path / "out").glob(f"*.{lang}.html")).read_text("utf-8")
    words = {"da": ("ingen sammenligningsgruppe", "viser ikke en effekt", "Kontrolgruppe",
                    "Forskel", "ikke nået"),
             "en": ("no comparison group", "do not show an effect", "Control", "Difference",
                    "not reached")}[lang]
    plain, effect, control, difference, not_reached = words
    assert plain in md and effect in md and plain in html
    for text in (md, html):
        assert not re.search(r"\bnan\b", text, re.I)
        assert control not in text and difference not in text
        assert "SMD" not in text
    assert "| – |" not in md.replace("| – | – |", "")  # no cell left as a bare dash
    for row in TABLE_ROW.findall(md):
        cells = [c.strip() for c in row.strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):
            continue
        # a subheading row (a covariate's name in bold) is the only row with empty cells
        assert all(cells) or cells[0].startswith("**"), row
    assert f"| {not_reached} |" in md
    # the headline: figures with intervals, no comparison words
    head = md.split("\n## ")[1]
    assert "72,9\u00a0%" in head or "72.9%" in head
    assert ("66,1 til 78,7" in head) or ("66.1 to 78.7" in head)
    # one column in every table of group estimates (outcome + intervention)
    assert "| Resultat | Indsatsgruppe |" in md or "| Outcome | Intervention |" in md
    # the km figure: one curve
    km = next((tmp_path / "out").glob(f"*.{lang}-fig-km.svg")).read_text("utf-8")
    assert km.count("Indsats" if lang == "da" else "Intervention") >= 1
    assert ("Kontrol" if lang == "da" else "Control") not in km


def test_two_group_report_keeps_its_comparison(tmp_path, greve_cohort):
    md = fe.evaluate(greve_cohort).to_markdown(tmp_path / "r.md", lang="en")[0]
    text = md.read_text("utf-8")
    assert "Difference" in text and "Control" in text and "no comparison group" not in text


def test_methods_cite_no_comparison_estimator(tmp_path, ev):
    text = ev.to_markdown(tmp_path / "r.md", lang="en")[0].read_text("utf-8")
    assert "Newcombe" not in text and "Katz" not in text and "Welch" not in text
    assert "One group only was followed" in text
    pd.testing.assert_index_equal(pd.Index(["intervention"]), pd.Index(ev.summary().columns))


def test_terminal_says_a_median_is_not_reached(capsys, tmp_path):
    """The participants' median time to partial return is never reached (fewer than half
    return partly): the terminal table says so, as the report does, instead of an empty cell;
    the Danish workbook sheet says it in Danish."""
    assert main(["evaluate", str(STUDY)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("median_weeks_to_partial_rtw"))
    assert line.split()[1:] == ["not", "reached"]
    assert "median_weeks_on_benefit  " in out and "not reached" not in next(
        x for x in out.splitlines() if x.startswith("median_weeks_on_benefit "))
    from_cli = tmp_path / "t.xlsx"
    assert main(["evaluate", str(STUDY), "--lang", "da", "--out", str(from_cli)]) == 0
    sheet = pd.read_excel(from_cli, sheet_name="oversigt", engine="openpyxl").set_index("metric")
    assert sheet.loc["median_weeks_to_partial_rtw", "intervention"] == "ikke nået"
