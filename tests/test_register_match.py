"""Risk-set (sequential) matching of register controls (issue 15, part 5).

Hand-built panels use the one-character-per-week notation of ``test_register.py`` (from
2010-W01, Monday 2010-01-04): ``.`` empty, ``S`` sick, ``P`` partial, ``U`` unemployed, ``O``
other benefit, ``N`` pension, ``C`` censor. The eligible sets are worked out by hand in the
comments; a larger random panel is checked against an independent pandas/Python implementation
(:func:`reference`) written from the definition: loops over persons and weeks, ``hashlib.md5``
for the keys, a literal serial dictatorship for the draw without replacement.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval.core.errors import ConfigError, ValidationError
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.register import parse_week
from fastholdelse_eval.data.register_match import match_controls
from tests.test_register import MAPPING, long_panel, wide_panel

FIRST = date(2010, 1, 4)


def monday(j: int) -> pd.Timestamp:
    """Monday of week index j (0 = 2010-W01)."""
    return pd.Timestamp(FIRST + timedelta(weeks=j))


def wk(j: int) -> str:
    return f"{FIRST + timedelta(weeks=j):%G-W%V}"


# p1 intake W05 (index 4): its run starts W03, so W05 is week d = 3.
# c_exact  run from W03: d = 3 at W05 → eligible (exact).
# c_near   run from W04: d = 2 → eligible only with tolerance ≥ 1.
# c_far    run from W02 (W01 empty, start known): d = 4 → eligible with tolerance ≥ 1.
# c_left   sick from W01 (start unknown) → never eligible.
# c_late   run from W04 (d = 2 at W05), becomes a participant at W08 → eligible at W05 (before
#          its own intake), tolerance ≥ 1; as a control censored at W08 (its own intake).
# c_gone   not sick at W05 → never.
# c_part   partial at W05, run from W03, d = 3 → eligible exact (partial is on benefit).
ROWS = {
    "p1":      "..SSSSSS....",
    "c_exact": "..SSSSSUU...",
    "c_near":  "...SSSSS..SS",
    "c_far":   ".SSSSSSSSSSS",
    "c_left":  "SSSSSSSS....",
    "c_late":  "...SSSSSSS..",
    "c_gone":  "..SS....SS..",
    "c_part":  "..SSPPOO....",
}
PART = pd.DataFrame({"person_id": ["p1", "c_late"], "intake": [wk(4), wk(7)]})


def eligible_sets(res) -> dict[int, int]:
    return res.eligible.to_dict()


def test_eligible_sets_by_hand():
    exact = match_controls(wide_panel(ROWS), PART, mapping=MAPPING, k=10)
    # Set 1 = p1 (W05): c_exact, c_part. Set 2 = c_late (W08, run from W04: d = 5):
    # c_near (run W04–W08, d = 5) only; p1 (d = 6 at W08) is a participant since W05.
    assert eligible_sets(exact) == {1: 2, 2: 1}
    f = exact.frame
    assert sorted(f.loc[f.matched_set == 1, "register_id"]) == ["c_exact", "c_part", "p1"]
    assert sorted(f.loc[f.matched_set == 2, "register_id"]) == ["c_late", "c_near"]
    tol = match_controls(wide_panel(ROWS), PART, mapping=MAPPING, k=10, tolerance=1)
    # Set 1 adds c_near (d = 2), c_far (d = 4), c_late (d = 2, before its own intake);
    # set 2 (d = 5) adds nobody new: p1 d = 6 but already a participant, c_far d = 7.
    assert eligible_sets(tol) == {1: 5, 2: 1}


def test_control_outcomes_from_the_index_week():
    res = match_controls(wide_panel(ROWS), PART, mapping=MAPPING, k=10, tolerance=1)
    f = res.frame.set_index("person_id")
    # Every row of set 1 starts at p1's intake week W05 (index 4), not at its spell start.
    assert (f.loc[f.matched_set == 1, "start_date"] == monday(4)).all()
    p1 = f.loc["p1"]
    assert (p1.group, p1.end_date, p1.end_reason) == ("intervention", monday(8), "rtw")
    assert p1.spell_start_date == monday(2) and p1.weeks_sick_at_index == 3
    # c_exact: run W03–W07, then unemployed → rtw (end_detail unemployed) at W08.
    ce = f.loc["c_exact@1"]
    assert (ce.end_date, ce.end_reason, ce.end_detail) == (monday(7), "rtw", "unemployed")
    assert ce.followup_date == monday(12)  # the Monday after the panel's last week
    # c_part: partial from W05 (the index week counts), then other benefit at W07.
    cp = f.loc["c_part@1"]
    assert (cp.partial_rtw_date, cp.end_date, cp.end_reason) == (monday(4), monday(6),
                                                                 "other_benefit")
    # c_near: back at W09, sick again at W11 → relapse.
    cn = f.loc["c_near@1"]
    assert (cn.end_date, cn.relapse_date) == (monday(8), monday(10))
    # c_far: still sick at the panel's end → censored.
    cf = f.loc["c_far@1"]
    assert pd.isna(cf.end_date) and cf.end_detail == "panel_end"
    # c_late as a control: censored at its own intake (W08), spell still going then.
    cl = f.loc["c_late@1"]
    assert pd.isna(cl.end_date) and cl.end_detail == "later_participant"
    assert cl.followup_date == monday(7) and cl.end_reason == "censored"
    # ... and followed on with later_participants="keep".
    keep = match_controls(wide_panel(ROWS), PART, mapping=MAPPING, k=10, tolerance=1,
                          later_participants="keep").frame.set_index("person_id")
    assert keep.loc["c_late@1", "end_date"] == monday(10)
    # The table loads as a cohort (person_id unique per row) and runs through evaluate.
    cohort = Cohort.from_frame(res.frame)
    assert len(cohort.data) == len(res.frame)


def test_without_replacement_within_a_week():
    # Two participants in the same week, both d = 2, three eligible controls, k = 2: no
    # control twice in that week; the first in priority gets 2, the other 1.
    rows = {"a": "...SSSS.", "b": "...SSSS.", "x": "...SSS..", "y": "...SSSSS",
            "z": "...SS..."}
    part = pd.DataFrame({"person_id": ["a", "b"], "intake": [wk(4), wk(4)]})
    res = match_controls(wide_panel(rows), part, mapping=MAPPING, k=2)
    c = res.frame[res.frame.group == "control"]
    assert c.register_id.is_unique and len(c) == 3
    assert sorted(c.groupby("matched_set").size().tolist()) == [1, 2]
    assert res.counts["participants_matched_short"] == 1
    rep = match_controls(wide_panel(rows), part, mapping=MAPPING, k=2, replace=True)
    assert (rep.frame.group == "control").sum() == 4


def test_seeded_reproducible_and_seed_matters():
    panel, part = random_panel(300, 40, seed=3)
    a = match_controls(panel, part, mapping=MAPPING, k=2, tolerance=2, seed=7).frame
    b = match_controls(panel, part, mapping=MAPPING, k=2, tolerance=2, seed=7).frame
    c = match_controls(panel, part, mapping=MAPPING, k=2, tolerance=2, seed=8).frame
    pd.testing.assert_frame_equal(a, b)
    assert set(a.person_id) != set(c.person_id)


def test_exact_municipality_and_history():
    # q at W07 (index 6), run from W06: d = 2. Controls all d = 2 at W07.
    # h1: 3 unemployed weeks in the 4 weeks before its run; h0: none; m2 other municipality.
    rows = {"q":  "....U.SS....", "h1": "..UUU.SS....", "h0": "......SS....",
            "m2": "......SS...."}
    part = pd.DataFrame({"person_id": ["q"], "intake": [wk(7)]})
    persons = pd.DataFrame({"person_id": ["q", "h1", "h0", "m2"],
                            "municipality": ["Greve", "Greve", "Greve", "Solrød"],
                            "age": ["40", "50", "60", "30"]})
    both = match_controls(wide_panel(rows), part, mapping=MAPPING, k=5, persons=persons,
                          exact=["municipality"], history_weeks=4)
    assert both.eligible.tolist() == [2]
    hist = match_controls(wide_panel(rows), part, mapping=MAPPING, k=5, persons=persons,
                          exact=["municipality"], history_weeks=4, history_caliper=1)
    # q has 1 benefit week in W02–W05; h0 has 0 (|1 − 0| ≤ 1), h1 has 3.
    assert hist.eligible.tolist() == [1]
    f = hist.frame.set_index("register_id")
    assert f.loc["h0", "benefit_weeks_prior"] == 0 and f.loc["q", "benefit_weeks_prior"] == 1
    assert f.loc["h0", "municipality"] == "Greve" and f.loc["h0", "age"] == "60"
    bands = match_controls(wide_panel(rows), part, mapping=MAPPING, k=5, persons=persons,
                           history_weeks=4, history_bands=[0, 1, 3])
    # bands [0], [1, 2], [3, …]: q in band 1, h0 in 0, h1 in 2, m2 in 0 → nobody.
    assert bands.eligible.tolist() == [0]
    assert bands.counts["participants_without_controls"] == 1
    # A history window reaching before the panel: left out, counted.
    with pytest.raises(ValidationError, match="history window starts before the panel"):
        match_controls(wide_panel(rows), part, mapping=MAPPING, k=5, history_weeks=52,
                       history_caliper=1)


def test_no_ids_in_notes_and_no_cpr_in_output():
    res = match_controls(wide_panel(ROWS), PART, mapping=MAPPING, k=2, tolerance=1)
    text = " ".join(res.notes)
    assert not any(pid in text for pid in ROWS)
    rows = {("0101901234" if k == "c_exact" else k): v for k, v in ROWS.items()}
    with pytest.raises(ValidationError) as info:
        match_controls(wide_panel(rows), PART, mapping=MAPPING, k=5)
    assert "0101901234" not in str(info.value) and "CPR" in str(info.value)
    bad = PART.assign(person_id=["0101901234", "c_late"])
    with pytest.raises(ValidationError) as info:
        match_controls(wide_panel(ROWS), bad, mapping=MAPPING)
    assert "0101901234" not in str(info.value) and "CPR" in str(info.value)


def test_clear_errors():
    panel = wide_panel(ROWS)
    with pytest.raises(ValidationError, match="missing column 'intake'"):
        match_controls(panel, PART.rename(columns={"intake": "x"}), mapping=MAPPING)
    with pytest.raises(ValidationError) as info:
        match_controls(panel, pd.DataFrame({"person_id": ["p1", "p1", "c1"],
                                            "intake": ["2010-W05", "2010-W06", "week 5"]}),
                       mapping=MAPPING)
    text = str(info.value)
    assert "row 3" in text and "row 4" in text and "week 5" not in text
    with pytest.raises(ValidationError, match="outside the panel"):
        match_controls(panel, pd.DataFrame({"person_id": ["p1"], "intake": ["2011-W05"]}),
                       mapping=MAPPING)
    with pytest.raises(ConfigError, match="needs a persons table"):
        match_controls(panel, PART, mapping=MAPPING, exact=["municipality"])
    with pytest.raises(ValidationError, match="missing column 'municipality'"):
        match_controls(panel, PART, mapping=MAPPING, exact=["municipality"],
                       persons=pd.DataFrame({"person_id": ["p1"]}))
    with pytest.raises(ConfigError, match="k"):
        match_controls(panel, PART, mapping=MAPPING, k=0)
    with pytest.raises(ConfigError, match="give history_caliper or history_bands, not both"):
        match_controls(panel, PART, mapping=MAPPING, history_caliper=2, history_bands=[0, 4])
    gap = panel.drop(columns=["y_1003"])
    with pytest.raises(ValidationError, match="skip 1 week"):
        match_controls(gap, PART, mapping=MAPPING)
    with pytest.raises(ValidationError, match="missing column 'person_id'"):
        match_controls(panel.rename(columns={"person_id": "who"}), PART, mapping=MAPPING)


def test_not_sick_participants_are_counted():
    part = pd.DataFrame({"person_id": ["p1", "c_gone", "nobody", "c_left"],
                         "intake": [wk(4), wk(5), wk(5), wk(5)]})
    res = match_controls(wide_panel(ROWS), part, mapping=MAPPING, k=1)
    assert res.counts["participants_not_sick_at_intake"] == 2
    assert res.counts["participants_spell_start_unknown"] == 1
    assert list(res.eligible.index) == [1]
    # c_left and c_gone are participants (from W06), so not eligible after that.


def test_long_panel_gives_the_same_table():
    a = match_controls(wide_panel(ROWS), PART, mapping=MAPPING, k=2, tolerance=1).frame
    b = match_controls(long_panel(ROWS), PART, mapping=MAPPING, k=2, tolerance=1).frame
    pd.testing.assert_frame_equal(a, b)


# --- against an independent implementation ---------------------------------------------------

STATE = {"S": "sick", "P": "sick_partial", ".": "self_support", "U": "unemployed",
         "O": "other_benefit", "N": "pension", "C": "censor"}


def random_panel(n: int, weeks: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = {}
    for i in range(n):
        s = np.array(list(rng.choice(list(".SSSPUOC"), size=weeks,
                                     p=[.55, .1, .1, .1, .05, .05, .04, .01])))
        # make runs longer: each sick week extends with probability 0.8
        for j in range(1, weeks):
            if s[j - 1] in "SP" and rng.random() < 0.8:
                s[j] = "S" if rng.random() < 0.9 else "P"
        rows[f"r{i:04d}"] = "".join(s)
    ids = np.array(list(rows))
    chosen = rng.choice(len(ids), size=n // 6, replace=False)
    part = pd.DataFrame({"person_id": ids[chosen],
                         "intake": [wk(int(j)) for j in rng.integers(1, weeks, len(chosen))]})
    return wide_panel(rows), part


def reference(rows: dict[str, str], part: pd.DataFrame, k: int, tol: int, seed: int,
              replace: bool = False) -> dict[str, list[str]]:
    """participant id → its controls' ids (sorted), from the definition."""
    t_of = {p: parse_week(w) - parse_week(wk(0)) for p, w in zip(part.person_id, part.intake,
                                                                 strict=True)}
    base = parse_week(wk(0))

    def run_start(s: str, j: int) -> int | None:
        """Start of the sick run covering week j, None if not sick or start unknown."""
        if s[j] not in "SP":
            return None
        a = j
        while a > 0 and s[a - 1] in "SP":
            a -= 1
        return None if a == 0 else a

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    sets = []
    for p, t in t_of.items():
        a = run_start(rows[p], t)
        if a is not None:
            sets.append((t, p, t - a + 1))
    out: dict[str, list[str]] = {}
    for t in sorted({s[0] for s in sets}):
        week_sets = sorted((md5(f"{seed}:{p}"), p, d) for tt, p, d in sets if tt == t)
        taken: set[str] = set()
        for _, p, d in week_sets:
            elig = []
            for c, s in rows.items():
                a = run_start(s, t)
                if c == p or a is None or abs((t - a + 1) - d) > tol:
                    continue
                if c in t_of and t_of[c] <= t:
                    continue
                key = f"{seed}:{p}:{c}" if replace else f"{seed}:{t + base}:{c}"
                elig.append((md5(key), c))
            free = sorted(e for e in elig if replace or e[1] not in taken)
            pick = [c for _, c in free[:k]]
            taken.update(pick)
            out[p] = sorted(pick)
    return out


@pytest.mark.parametrize("k,tol,replace", [(1, 0, False), (3, 2, False), (2, 1, True)])
def test_against_reference(k, tol, replace):
    panel, part = random_panel(400, 30, seed=11)
    rows = {pid: "".join({v: ch for ch, v in
                          {"S": "110", "P": "111", "U": "120", "O": "130", "N": "140",
                           "C": "190"}.items()}.get(x, ".") if isinstance(x, str) else "."
                         for x in panel.loc[i, panel.columns[1:]])
            for i, pid in enumerate(panel.person_id)}
    res = match_controls(panel, part, mapping=MAPPING, k=k, tolerance=tol, seed=5,
                         replace=replace)
    f = res.frame
    got = {f.loc[(f.matched_set == s) & (f.group == "intervention"), "register_id"].iloc[0]:
           sorted(f.loc[(f.matched_set == s) & (f.group == "control"), "register_id"])
           for s in f.matched_set.unique()}
    want = reference(rows, part, k, tol, 5, replace)
    assert got == want
    # Not a vacuous comparison: most participants have controls, and without replacement
    # the draw differs from the one with replacement (participants of a week compete).
    assert sum(len(v) > 0 for v in want.values()) > 0.8 * len(want) > 20
    if k > 1 and not replace:
        assert want != reference(rows, part, k, tol, 5, True)


def test_cli_writes_matched_cohort(tmp_path, capsys):
    from fastholdelse_eval import load_cohort
    from fastholdelse_eval.cli.main import main

    wide_panel(ROWS).to_parquet(tmp_path / "panel.parquet", index=False)
    pd.DataFrame({"code": list(MAPPING), "state": list(MAPPING.values())}).to_csv(
        tmp_path / "mapping.csv", index=False)
    PART.to_csv(tmp_path / "participants.csv", index=False)
    persons = pd.DataFrame({"person_id": list(ROWS), "municipality": "Greve"})
    persons.to_csv(tmp_path / "persons.csv", index=False)
    ref = match_controls(wide_panel(ROWS), PART, mapping=MAPPING, k=2, tolerance=1, seed=3,
                         persons=persons, exact=["municipality"]).frame
    code = main(["register", str(tmp_path / "panel.parquet"), "--mapping",
                 str(tmp_path / "mapping.csv"), "--participants",
                 str(tmp_path / "participants.csv"), "--controls", "2", "--tolerance", "1",
                 "--seed", "3", "--persons", str(tmp_path / "persons.csv"), "--exact",
                 "municipality", "--out", str(tmp_path / "m.csv"), "--quiet"])
    assert code == 0
    got = load_cohort(tmp_path / "m.csv").data
    assert sorted(got.person_id) == sorted(ref.person_id)
    assert "matched_set" in got.columns and "register_id" in got.columns
    out = capsys.readouterr()
    assert out.out == (f"wrote {len(got)} rows (3 controls in 2 matched sets) to "
                       f"{tmp_path / 'm.csv'}\n")
    assert not any(pid in out.err for pid in ROWS)
    # --groups and --participants together: a clear error, nothing written.
    code = main(["register", str(tmp_path / "panel.parquet"), "--mapping",
                 str(tmp_path / "mapping.csv"), "--participants",
                 str(tmp_path / "participants.csv"), "--groups", str(tmp_path / "persons.csv"),
                 "--out", str(tmp_path / "x.csv"), "--quiet"])
    assert code != 0 and not (tmp_path / "x.csv").exists()
    assert "instead of --groups" in capsys.readouterr().err
    code = main(["register", str(tmp_path / "panel.parquet"), "--mapping",
                 str(tmp_path / "mapping.csv"), "--participants",
                 str(tmp_path / "participants.csv"), "--controls", "2", "--tolerance", "1",
                 "--seed", "3", "--persons", str(tmp_path / "persons.csv"), "--exact",
                 "municipality", "--out", str(tmp_path / "m_da.csv"), "--quiet", "--lang", "da"])
    assert code == 0
    assert capsys.readouterr().out == (f"skrev {len(got)} rækker (3 kontroller i 2 matchede "
                                       f"sæt) til {tmp_path / 'm_da.csv'}\n")


# --- the matched cohort in evaluate (weighting="sets") ---------------------------------------

def sets_cohort() -> pd.DataFrame:
    """Five sets: 1 (P rtw; C rtw, C no), 2 (P no; C rtw), 3 (P rtw; C no, C no),
    4 (P rtw; C rtw, C rtw), 5 (P no; no control → weight 0)."""
    sets = [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 5]
    treat = [1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1]
    rtw = [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0]
    n = len(sets)
    return pd.DataFrame({
        "person_id": [f"x{i}" for i in range(n)],
        "group": ["intervention" if t else "control" for t in treat],
        "matched_set": sets,
        "start_date": "2010-02-01",
        "end_date": ["2010-03-01" if r else "" for r in rtw],
        "end_reason": ["rtw" if r else "" for r in rtw],
        "followup_date": "2010-06-01",
        "age": [40, 41, 52, 33, 30, 45, 47, 39, 50, 55, 36, 44],
    })


def test_sets_weights_and_clustered_rates():
    from fastholdelse_eval import evaluate
    from fastholdelse_eval.analysis.weighting import set_weights

    w, sub = set_weights(np.array(sets_cohort().matched_set),
                         sets_cohort().group.eq("intervention").to_numpy())
    assert w.tolist() == [1, .5, .5, 1, 1, 1, .5, .5, 1, .5, .5, 0]
    assert sub.tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3, -1]
    from fastholdelse_eval.core.options import EvaluationOptions

    opts = EvaluationOptions(weighting="sets", covariates=("age",), weighting_bootstrap=20)
    ev = evaluate(Cohort.from_frame(sets_cohort()), opts)
    t = ev.tidy().set_index(["metric", "group"])
    rate = t.loc["weighted_rtw_rate"]
    # R: d <- data.frame(set, treat, y, w) of sets 1–4 (above);
    #    des <- svydesign(ids = ~set, weights = ~w, data = d)
    #    svyby(~y, ~treat, des, svymean); svyglm(y ~ treat, design = des)
    assert rate.loc["control", "estimate"] == pytest.approx(0.625)
    assert rate.loc["intervention", "estimate"] == pytest.approx(0.75)
    assert rate.loc["difference", "estimate"] == pytest.approx(0.125)
    se = (rate.loc["difference", "ci_high"] - rate.loc["difference", "ci_low"]) / (2 * 1.959964)
    assert se == pytest.approx(0.426956281914983, rel=1e-6)
    assert rate.loc["control", "variance"] == "clustered by matched set"
    assert rate.loc["control", "denominator"] == 7 and rate.loc["intervention",
                                                                  "denominator"] == 4
    assert any("1 participant found no control" in n for n in ev.notes)
    with pytest.raises(ConfigError, match="matched_set"):
        evaluate(Cohort.from_frame(sets_cohort().drop(columns="matched_set")),
                 weighting="sets", covariates=["age"])


def test_study_toml_draws_controls_and_reports(tmp_path):
    from fastholdelse_eval.cli.main import main
    from fastholdelse_eval.pipeline.study import load_config, load_study_cohort

    panel, part = random_panel(400, 30, seed=11)
    panel.to_parquet(tmp_path / "panel.parquet", index=False)
    pd.DataFrame({"code": list(MAPPING), "state": list(MAPPING.values())}).to_csv(
        tmp_path / "mapping.csv", index=False)
    part.to_csv(tmp_path / "deltagere.csv", index=False)
    (tmp_path / "study.toml").write_text(
        'title = "Register controls (synthetic)"\nmunicipality = "Greve"\n'
        'covariates = ["weeks_sick_at_index"]\nweighting = "sets"\nlanguage = "en"\n'
        '[register_controls]\npanel = "panel.parquet"\nmapping = "mapping.csv"\n'
        'participants = "deltagere.csv"\ncontrols = 2\ntolerance = 1\nseed = 5\n')
    config = load_config(tmp_path / "study.toml")
    cohort = load_study_cohort(config)
    direct = match_controls(panel, part, mapping=MAPPING, k=2, tolerance=1, seed=5).frame
    assert sorted(cohort.data.person_id) == sorted(direct.person_id)
    assert any(n.startswith("register controls:") for n in cohort.notes)
    code = main(["report", str(tmp_path / "study.toml"), "--out", str(tmp_path / "r"),
                 "--format", "md"])
    assert code == 0
    md = next((tmp_path / "r").glob("*.md")).read_text()
    assert "drawn from the register" in md
    # A register study without weighting = "sets" is refused, naming the key.
    (tmp_path / "bad.toml").write_text(
        '[register_controls]\npanel = "panel.parquet"\nmapping = "mapping.csv"\n'
        'participants = "deltagere.csv"\n')
    with pytest.raises(ConfigError, match='weighting = "sets"'):
        load_config(tmp_path / "bad.toml")
    (tmp_path / "bad2.toml").write_text(
        'weighting = "sets"\ncovariates = ["age"]\n[register_controls]\npanel = "panel.parquet"\n'
        'mapping = "mapping.csv"\nparticipants = "deltagere.csv"\ncontrols = "2"\n')
    with pytest.raises(ConfigError, match="register_controls.controls: must be a whole number"):
        load_config(tmp_path / "bad2.toml")


@pytest.mark.parametrize("lang,text", [
    ("en", "match controls: give --history-caliper or --history-bands, not both"),
    ("da", "matchning af kontroller: angiv --history-caliper eller --history-bands, ikke "
           "begge dele")])
def test_cli_caliper_and_bands_named_as_typed(tmp_path, capsys, lang, text):
    from fastholdelse_eval.cli.main import main

    code = main(["register", str(tmp_path / "panel.parquet"), "--mapping",
                 str(tmp_path / "mapping.csv"), "--participants", str(tmp_path / "p.csv"),
                 "--out", str(tmp_path / "m.csv"), "--history-caliper", "4",
                 "--history-bands", "0,4", "--lang", lang])
    assert code != 0 and not (tmp_path / "m.csv").exists()
    assert capsys.readouterr().err.strip() == f"fastholdelse-eval register: {text}"
