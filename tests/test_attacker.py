"""Attacker test (issue 11): everything one report publishes together — the cleared tidy table
(estimates, intervals, differences, ratios, totals) and the data its figures draw (curve
heights, numbers at risk) — must not give back a suppressed count.

The attacker knows the policy and every published number, and tries, for each count disclosure
control hid:

1. the row's own estimate or interval with the denominator (a Wilson interval, or a percentage
   with decimals, pins k of n);
2. the difference or ratio row with the other group's published rate;
3. totals: the pooled or total row minus the other groups; a flow (returned + other benefit +
   stopped + still on benefit = n) minus its other published parts;
4. the figures: every count a drawn curve shows — n × its height at each step, the size of each
   step, the numbers at risk and their differences. With suppression on, none of those may be a
   small count (1 to threshold − 1). The same attack on the curves as fitted (not coarsened)
   finds such counts, so the attack is not toothless.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from fastholdelse_eval import Cohort, evaluate, load_cohort
from fastholdelse_eval.data.simulate import simulate_cohort
from fastholdelse_eval.pipeline.run import analyse, clear
from fastholdelse_eval.privacy.figures import coarsen_cif, coarsen_km

THRESHOLD = 5
FLOW = ("rtw_rate", "other_benefit_rate", "dropout_rate", "on_benefit_rate")
KEY = ["municipality", "metric", "group"]


def _published(table: pd.DataFrame, level: str = "") -> pd.DataFrame:
    if "level" not in table.columns:
        return table.set_index(KEY) if level == "" else table.iloc[:0].set_index(KEY)
    return table[table["level"].fillna("") == level].set_index(KEY)


def _num(x: object) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


def _candidates_from_rate(row: pd.Series, n: int, level: float) -> set[int]:
    """Counts k in 0..n consistent with the row's published estimate and interval."""
    est, lo, hi = _num(row.get("estimate")), _num(row.get("ci_low")), _num(row.get("ci_high"))
    if est is None and lo is None and hi is None:
        return set(range(n + 1))
    ks = np.arange(n + 1)
    ok = np.ones(n + 1, dtype=bool)
    if est is not None:
        ok &= np.isclose(ks / n, est, atol=5e-4)
    if lo is not None or hi is not None:
        low, high = proportion_confint(ks, np.full(n + 1, n), alpha=1 - level,
                                       method="wilson")
        if lo is not None:
            ok &= np.isclose(low, lo, atol=5e-4)
        if hi is not None:
            ok &= np.isclose(high, hi, atol=5e-4)
    return set(ks[ok].tolist())


def recovered_from_table(raw: pd.DataFrame, cleared: pd.DataFrame, level: float = 0.95
                         ) -> list[tuple]:
    """Suppressed numerators the published table pins to their true value."""
    truth = _published(raw)
    pub = _published(cleared)
    # The municipality comparison publishes each site's risk difference again (level @sites).
    sites = _published(cleared, "@sites")
    found = []
    hidden = pub[pub["numerator"].isna() & truth.reindex(pub.index)["numerator"].notna()]
    for key in hidden.index:
        muni, metric, group = key
        k_true = int(truth.loc[key, "numerator"])
        n_pub = _num(pub.loc[key, "denominator"])
        n = int(n_pub) if n_pub is not None else None
        if n is None:
            n_row = ("all" if group == "all" else muni, "n", group)
            n = int(_num(pub.loc[n_row, "estimate"])) if n_row in pub.index and _num(
                pub.loc[n_row, "estimate"]) is not None else None
        if n is None or n == 0:
            continue
        cands = _candidates_from_rate(pub.loc[key], n, level)
        other = {"intervention": "control", "control": "intervention"}.get(group)
        if other and (muni, metric, other) in pub.index:
            o = pub.loc[(muni, metric, other)]
            p_other = _num(o.get("estimate"))
            sources = [(pub, "difference"), (pub, "ratio"), (sites, "difference")]
            for table, kind in sources:
                if (muni, metric, kind) not in table.index or p_other is None:
                    continue
                d = _num(table.loc[(muni, metric, kind), "estimate"])
                if d is None:
                    continue
                sign = 1 if group == "intervention" else -1
                p = (p_other + sign * d) if kind == "difference" else (
                    p_other * d if group == "intervention" else (p_other / d if d else None))
                if p is not None:
                    cands &= {k for k in range(n + 1) if abs(k / n - p) < 5e-4}
            if (muni, metric, "all") in pub.index:
                total = _num(pub.loc[(muni, metric, "all"), "numerator"])
                k_other = _num(o.get("numerator"))
                if total is not None and k_other is not None:
                    cands &= {int(total - k_other)}
        if metric in FLOW:
            parts = [_num(pub.loc[(muni, m, group), "numerator"]) if (muni, m, group) in pub.index
                     else None for m in FLOW if m != metric]
            if all(p is not None for p in parts) and len(parts) == len(FLOW) - 1:
                cands &= {int(n - sum(parts))}
        if cands == {k_true}:
            found.append((key, k_true))
    return found


def curve_counts(fit, groups, coarsen: int) -> dict[str, set[int]]:
    """Every count the drawn curves of ``groups`` show (see the module docstring)."""
    shown: dict[str, set[int]] = {}
    for g in groups:
        km, cif = fit.km[g], fit.cif[g]
        if coarsen:
            km, cif = coarsen_km(km, coarsen), coarsen_cif(cif, coarsen)
        counts: set[int] = set()
        n = km.n
        for heights, base in ((1 - km.surv, n), (cif.cif[cif.causes.index(1)], n)):
            values = np.concatenate([[0.0], heights]) * base
            for v in np.concatenate([values, np.diff(values)]):
                if abs(v - round(v)) < 0.02:
                    counts.add(round(abs(v)))
        risk = km.risk_at(np.arange(0, km.last_time + 1, 5.0))
        counts |= {int(r) for r in risk} | {int(abs(d)) for d in np.diff(risk)}
        # What the attacker learns week by week with the numbers at risk: the events per step.
        counts |= {int(e) for e in km.n_event}
        shown[g] = counts
    return shown


def _report(cohort):
    ev = evaluate(cohort)
    inputs = analyse(ev)
    return ev, inputs, clear(inputs, threshold=THRESHOLD)


SMALL = [(20, 3), (30, 11), (40, 3), (0, 5)]  # n = 0: two small municipalities (30 and 25)


@pytest.fixture(scope="module", params=SMALL,
                ids=lambda p: f"n{p[0]}-seed{p[1]}" if p[0] else "two-sites")
def small_report(request):
    n, seed = request.param
    if n:
        return _report(Cohort.from_frame(simulate_cohort(n, seed=seed)))
    frame = pd.concat([simulate_cohort(30, seed=seed, municipality="A"),
                       simulate_cohort(25, seed=seed + 1, municipality="B")], ignore_index=True)
    return _report(Cohort.from_frame(frame))


def test_no_suppressed_count_recovered_from_the_table(small_report):
    _, inputs, cleared = small_report
    assert cleared.table["suppressed"].fillna("").ne("").any(), "scenario hides nothing"
    assert recovered_from_table(inputs.table, cleared.table) == []


def test_the_table_attack_finds_counts_when_nothing_is_hidden(small_report):
    """Control: with suppression off, the same attack gives every small count back."""
    _, inputs, _ = small_report
    raw = inputs.table
    naive = raw.copy()
    small = naive["numerator"].notna() & (naive["numerator"] < THRESHOLD) \
        & (naive["numerator"] > 0)
    naive.loc[small, "numerator"] = pd.NA  # hide the count only, as a naive report would
    assert recovered_from_table(raw, naive), "the attack recovers nothing: it cannot fail"


def test_no_small_count_readable_from_the_figures(small_report):
    ev, _, cleared = small_report
    fit = ev.durations.fit()
    for fig in cleared.figures:
        assert fig.coarsen == THRESHOLD
        shown = curve_counts(fit, fig.groups, fig.coarsen)
        for group, counts in shown.items():
            small = sorted(c for c in counts if 0 < c < THRESHOLD)
            assert not small, f"{fig.spec.id} {group}: counts {small} readable"


def test_the_figure_attack_finds_small_counts_in_uncoarsened_curves(small_report):
    ev, _, cleared = small_report
    fit = ev.durations.fit()
    shown = curve_counts(fit, tuple(fit.km), 0)
    assert any(0 < c < THRESHOLD for counts in shown.values() for c in counts)


def test_aggregate_report_gives_nothing_back(tmp_path):
    path = tmp_path / "agg.csv"
    path.write_text("kommune;gruppe;antal;raskmeldt;stoppet;anden_ydelse;tilbagefald\n"
                    "A;deltager;40;30;3;4;2\nA;kontrol;38;20;6;2;1\n"
                    "B;deltager;25;20;1;2;0\nB;kontrol;30;18;4;7;3\n", encoding="utf-8")
    _, inputs, cleared = _report(load_cohort(path))
    assert recovered_from_table(inputs.table, cleared.table) == []


def test_notes_print_no_small_count():
    from fastholdelse_eval.privacy.notes import clear_note

    assert clear_note("3 row(s) without municipality set to 'unknown'", 5) == \
        "<5 row(s) without municipality set to 'unknown'"
    assert clear_note("12 of 40 persons have no group (3 of them had an index spell)", 5) == \
        "12 of 40 persons have no group (<5 of them had an index spell)"
    # not counts of persons: weeks, decimals, dates, row lists, municipalities
    for keep in ("horizon 4 weeks", "0.5 added to every cell", "2009-03-02",
                 "2 empty row(s) skipped: rows 4, 7"[-7:], "2 municipalities with one arm"):
        assert clear_note(keep, 5) == keep


def test_report_notes_are_cleared(tmp_path):
    frame = simulate_cohort(40, seed=3)
    frame.loc[frame.index[:3], "municipality"] = ""
    cohort = Cohort.from_frame(frame, municipality="Syntetisk")
    assert any(n.startswith("3 rows") for n in cohort.notes)
    _, _, cleared = _report(cohort)
    assert any(n.startswith("<5 rows") for n in cleared.meta.notes)
    assert not any(n.startswith("3 row") for n in cleared.meta.notes)
