"""Propensity score, matching, balance and weighted estimators against R (numbers held here).

The test data set is made by :func:`_data` (seeded numpy); R read the same rows from a CSV
written by ``_data().to_csv("d.csv", index=False)``. R 4.x with survival, survey 4.x and
MatchIt 4.5.1 (Debian's r-cran-* packages)::

    d <- read.csv("d.csv")
    g <- glm(treat ~ age + sex + diagnosis, family = binomial, data = d)
    d$e <- fitted(g); d$w <- ifelse(d$treat == 1, 1, d$e / (1 - d$e))          # ATT weights
    des <- svydesign(ids = ~1, weights = ~w, data = d)
    svyby(~rtw, ~treat, des, svymean); svyglm(rtw ~ treat, design = des)
    km <- survfit(Surv(time, event) ~ treat, data = d, weights = w)
    summary(km, times = c(10, 30, 50)); summary(km, rmean = 40)$table
    ms <- survfit(Surv(time, factor(cause)) ~ treat, data = d, weights = w)
    summary(ms, times = c(10, 30, 50))$pstate
    coxph(Surv(time, rtw) ~ treat, data = d, weights = w, robust = TRUE)
    coxph(Surv(time, rtw) ~ treat, data = d, weights = w, robust = TRUE, cluster = muni)
    coxph(Surv(time, rtw) ~ treat + age, data = d, weights = w, robust = TRUE)

Matching (tests/data/matchit_weights.csv holds ``m$weights``): MatchIt 4.5.1 compares distances
with an integer ``abs()`` (MatchIt issue #163: calipers ignored, left neighbour always taken),
so R was given the logit scaled by 10⁶, where the truncation is below 10⁻⁶::

    lp <- predict(g)
    matchit(treat ~ age, data = d, distance = lp * 1e6, caliper = c * sd(lp) * 1e6,
            std.caliper = FALSE, ratio = k, replace = r)   # m.order "largest" (default)

for (k, r, c) = (1, FALSE, 0.2), (2, FALSE, 0.2), (1, TRUE, 0.2), (3, FALSE, 0.05). With
``replace = TRUE`` and ``ratio > 1`` MatchIt 4.5.1 gives a participant the same control twice
(a second bug in that version), so that case is not compared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.stats import balance as bal
from fastholdelse_eval.stats import propensity as P
from fastholdelse_eval.stats import weighted as W
from fastholdelse_eval.stats.matching import entropy_balance, nearest_neighbour
from fastholdelse_eval.stats.weighted_cox import weighted_cox

DATA = Path(__file__).resolve().parent / "data"


def _data(seed: int = 15, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 65, n)
    sex = rng.choice(["kvinde", "mand"], n)
    diag = rng.choice(["andet", "muskel", "psykisk"], n, p=[0.2, 0.5, 0.3])
    lin = -0.5 + 0.04 * (age - 45) + 0.5 * (sex == "mand") - 0.7 * (diag == "psykisk")
    treat = (rng.uniform(size=n) < 1 / (1 + np.exp(-lin))).astype(int)
    days = rng.integers(1, 60, n)
    cause = rng.choice([0, 1, 2], n, p=[0.3, 0.5, 0.2])
    muni = rng.choice(["A", "B", "C", "D", "E"], n)
    return pd.DataFrame({"age": age, "sex": sex, "diagnosis": diag, "treat": treat,
                         "time": days, "cause": cause, "event": (cause > 0).astype(int),
                         "rtw": (cause == 1).astype(int), "muni": muni})


@pytest.fixture(scope="module")
def d() -> pd.DataFrame:
    return _data()


@pytest.fixture(scope="module")
def fit(d):
    design = P.design_matrix(d, ["age", "sex", "diagnosis"])
    return P.fit_propensity(design.x, d["treat"].to_numpy(), design.names)


@pytest.fixture(scope="module")
def att(d, fit) -> np.ndarray:
    return P.balancing_weights(fit.score, d["treat"].to_numpy(), "att")


def test_propensity_model_is_rs_glm(fit) -> None:
    np.testing.assert_allclose(fit.params, [-1.8401389716051002, 0.0245913953418549,
                                            0.3714854970787469, 0.3118432894072339,
                                            -0.2314396323923101], rtol=1e-8)
    assert fit.names == ("(Intercept)", "age", "sex=mand", "diagnosis=muskel",
                         "diagnosis=psykisk")
    np.testing.assert_allclose(fit.score[:3], [0.492945326602979, 0.431892359390443,
                                               0.390328416891255], rtol=1e-8)


def test_weights_by_estimand() -> None:
    e = np.array([0.2, 0.5, 0.8, 0.25])
    t = np.array([1, 0, 1, 0])
    np.testing.assert_allclose(P.balancing_weights(e, t, "att"), [1, 1, 1, 1 / 3])
    np.testing.assert_allclose(P.balancing_weights(e, t, "ate"), [5, 2, 1.25, 4 / 3])
    np.testing.assert_allclose(P.balancing_weights(e, t, "overlap"), [0.8, 0.5, 0.2, 0.25])
    # 0.2 and 0.8 lie outside [0.21, 0.79]
    np.testing.assert_allclose(P.balancing_weights(e, t, "att", trim=0.21), [0, 1, 0, 1 / 3])
    with pytest.raises(ConfigError, match="weighting"):
        P.balancing_weights(e, t, "atc")


def test_kish_effective_n_and_common_support() -> None:
    assert P.effective_n(np.ones(7)) == 7
    assert P.effective_n(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)
    assert P.effective_n(np.zeros(3)) == 0
    score = np.array([0.1, 0.2, 0.3, 0.9, 0.15, 0.25, 0.35])
    treat = np.array([1, 1, 1, 1, 0, 0, 0])
    # controls span 0.15–0.35: treated 0.1 and 0.9 lie outside; treated span 0.1–0.9: none
    assert P.common_support(score, treat) == {"intervention": (2, 4), "control": (0, 3)}


def test_spline_adds_df_minus_one_columns(d) -> None:
    design = P.design_matrix(d, ["age", "sex"], {"age": 4})
    assert design.names == ("age[cr1]", "age[cr2]", "age[cr3]", "sex=mand")
    fit = P.fit_propensity(design.x, d["treat"].to_numpy(), design.names)
    assert fit.converged and np.all((fit.score > 0) & (fit.score < 1))
    with pytest.raises(ConfigError, match="splines"):
        P.design_matrix(d, ["age"], {"age": 2})


def test_spline_propensity_is_rs_glm_with_ns(d) -> None:
    """patsy's ``cr(age, df=4)`` spans the natural cubic splines with boundary knots at the range
    and two interior knots at the 1/3 and 2/3 quantiles of the *distinct* values — R's ``ns``
    with those knots, so the fitted scores and the other coefficients agree::

        k <- quantile(unique(d$age), c(1/3, 2/3))      # 34.667, 49.333
        g <- glm(treat ~ ns(age, knots = k, Boundary.knots = range(d$age)) + sex,
                 family = binomial, data = d)
        fitted(g)[1:5]; coef(g)["sexmand"]; logLik(g)   # -193.222524433723
    """
    design = P.design_matrix(d, ["age", "sex"], {"age": 4})
    fit = P.fit_propensity(design.x, d["treat"].to_numpy(), design.names)
    np.testing.assert_allclose(fit.score[:5], [0.450152614588722, 0.327315231650633,
                                               0.411174175815600, 0.457140683068582,
                                               0.398171434146085], rtol=1e-8)
    assert fit.params[-1] == pytest.approx(0.361239589215767, rel=1e-7)
    t = d["treat"].to_numpy()
    loglik = float(np.sum(t * np.log(fit.score) + (1 - t) * np.log(1 - fit.score)))
    assert loglik == pytest.approx(-193.222524433723, rel=1e-9)


def test_missing_covariate_rows_are_left_out(d) -> None:
    frame = d.copy()
    frame.loc[[0, 5], "age"] = np.nan
    design = P.design_matrix(frame, ["age", "sex"])
    assert design.complete.sum() == len(d) - 2 and design.x.shape[0] == len(d) - 2


@pytest.mark.parametrize(("column", "ratio", "replace", "caliper"), [
    ("nn1_caliper02", 1, False, 0.2), ("nn2_caliper02", 2, False, 0.2),
    ("nn1_replace_caliper02", 1, True, 0.2), ("nn3_caliper005", 3, False, 0.05)])
def test_matching_is_matchits(d, fit, column, ratio, replace, caliper) -> None:
    expected = pd.read_csv(DATA / "matchit_weights.csv")[column].to_numpy()
    m = nearest_neighbour(fit.logit, d["treat"].to_numpy(), caliper=caliper, ratio=ratio,
                          replace=replace)
    np.testing.assert_allclose(m.weights, expected, atol=1e-12)
    assert m.caliper_width == pytest.approx(caliper * np.std(fit.logit, ddof=1))


def test_matching_with_replacement_takes_distinct_controls() -> None:
    logit = np.array([0.0, 0.01, 0.02, 0.03, 1.0])
    treat = np.array([1, 0, 0, 0, 0])
    m = nearest_neighbour(logit, treat, caliper=None, ratio=2, replace=True)
    np.testing.assert_allclose(m.weights, [1, 1, 1, 0, 0])


def test_caliper_leaves_participants_unmatched() -> None:
    logit = np.array([0.0, 5.0, 0.1, 0.2])
    treat = np.array([1, 1, 0, 0])
    m = nearest_neighbour(logit, treat, caliper=0.1)  # width 0.1·sd ≈ 0.24
    # the participant at 5.0 has no control within the caliper
    np.testing.assert_allclose(m.weights, [1, 0, 1, 0])
    assert m.subclass.tolist() == [0, -1, 0, -1]


def test_entropy_balancing_reaches_the_participants_means(d) -> None:
    design = P.design_matrix(d, ["age", "sex", "diagnosis"])
    t = d["treat"].to_numpy().astype(bool)
    w = entropy_balance(design.x, t)
    np.testing.assert_allclose(w[t], 1.0)
    assert w[~t].sum() == pytest.approx((~t).sum())
    np.testing.assert_allclose(np.average(design.x[~t], axis=0, weights=w[~t]),
                               design.x[t].mean(axis=0), atol=1e-9)


def test_weighted_shares_are_svymean_and_svyglm(d, att) -> None:
    a, b, diff = W.weighted_shares(d["rtw"], d["treat"], att)
    assert a.estimate == pytest.approx(0.530434782608696, rel=1e-12)
    assert a.se == pytest.approx(0.0466165436668405, rel=1e-10)
    assert b.estimate == pytest.approx(0.518522651036412, rel=1e-12)
    assert b.se == pytest.approx(0.0401888690854615, rel=1e-10)
    assert diff.estimate == pytest.approx(0.0119121315722836, rel=1e-10)
    assert diff.se == pytest.approx(0.0615487395631362, rel=1e-10)


def test_weighted_shares_clustered_by_matched_set(d, fit) -> None:
    # svydesign(ids = ~subclass, weights = ~w, data = d[w > 0, ]); svyby / svyglm
    m = nearest_neighbour(fit.logit, d["treat"].to_numpy(), caliper=0.2)
    cluster = np.where(m.subclass >= 0, m.subclass, -1 - np.arange(len(d)))
    a, b, diff = W.weighted_shares(d["rtw"], d["treat"], m.weights, cluster=cluster)
    assert a.se == pytest.approx(0.0467424563767942, rel=1e-10)
    assert b.se == pytest.approx(0.0466856611475842, rel=1e-10)
    assert diff.estimate == pytest.approx(-0.00869565217391293, rel=1e-10)
    assert diff.se == pytest.approx(0.0670799381658522, rel=1e-10)


@pytest.mark.parametrize(("arm", "surv", "rmean", "median", "cif"), [
    (0, [0.861178686165825, 0.596387850561112, 0.251998737173515], 29.9127065554973, 37,
     [0.0719118511832221, 0.2730867015292213, 0.5235372806955130]),
    (1, [0.902363958161060, 0.598742933432591, 0.229014880154905], 29.4431797992809, 35,
     [0.0887017452234844, 0.2938509392126501, 0.5455905453843694]),
])
def test_weighted_km_rmst_and_cif_are_survfits(d, att, arm, surv, rmean, median, cif) -> None:
    g = (d["treat"] == arm).to_numpy()
    km = W.weighted_km(d["time"][g], d["event"][g], att[g])
    np.testing.assert_allclose([km.at(t) for t in (10, 30, 50)], surv, rtol=1e-12)
    assert W.rmst(km, 40) == pytest.approx(rmean, rel=1e-12)
    assert W.median(km) == median
    curve = W.weighted_cif(d["time"][g], d["cause"][g], att[g], 1)
    np.testing.assert_allclose([curve.at(t) for t in (10, 30, 50)], cif, rtol=1e-12)


def test_weighted_cox_robust_and_clustered_are_coxphs(d, att) -> None:
    fit = weighted_cox(d["time"], d["rtw"], d["treat"], att)
    assert fit.params[0] == pytest.approx(0.140170499633648, rel=1e-8)
    assert np.sqrt(fit.naive_cov[0, 0]) == pytest.approx(0.182498648545678, rel=1e-8)
    assert np.sqrt(fit.robust_cov[0, 0]) == pytest.approx(0.166686524884013, rel=1e-8)
    clustered = weighted_cox(d["time"], d["rtw"], d["treat"], att, cluster=d["muni"])
    assert np.sqrt(clustered.robust_cov[0, 0]) == pytest.approx(0.14464325521794, rel=1e-8)
    two = weighted_cox(d["time"], d["rtw"], np.column_stack([d["treat"], d["age"]]), att)
    np.testing.assert_allclose(two.params, [0.14160274566368147, 0.00597909696249864],
                               rtol=1e-7)
    np.testing.assert_allclose(np.sqrt(np.diag(two.naive_cov)),
                               [0.18247578940153036, 0.00721901985387147], rtol=1e-7)
    np.testing.assert_allclose(np.sqrt(np.diag(two.robust_cov)),
                               [0.16831129514381352, 0.00698583653140979], rtol=1e-7)


def test_unit_weights_give_the_ordinary_cox(d) -> None:
    from fastholdelse_eval.stats.survival import cox_efron

    plain = cox_efron(d["time"], d["rtw"], d["treat"])
    fit = weighted_cox(d["time"], d["rtw"], d["treat"], np.ones(len(d)))
    assert fit.params[0] == pytest.approx(plain.params[0], rel=1e-9)
    assert fit.naive_cov[0, 0] == pytest.approx(plain.cov[0, 0], rel=1e-9)


def test_balance_table_by_hand() -> None:
    frame = pd.DataFrame({"age": [30.0, 40.0, 50.0, 20.0, 30.0, 40.0],
                          "diag": ["a", "a", "b", "a", "a", "a"]})
    treat = np.array([1, 1, 1, 0, 0, 0])
    w = np.array([1, 1, 1, 1, 1, 4.0])
    t = bal.balance_table(frame, ["age", "diag"], treat, w)
    age = t.iloc[0]
    # before: means 40 vs 30, variances 100 and 100 → SMD 1; after: control mean
    # (20 + 30 + 160)/6 = 35 → (40 − 35)/10 = 0.5
    assert age["smd_before"] == pytest.approx(1.0)
    assert age["smd_after"] == pytest.approx(0.5)
    assert age["variance_ratio_before"] == pytest.approx(1.0)
    # weighted variance of control: Σw(x−35)² = 225 + 25 + 100 = 350; ·Σw/((Σw)² − Σw²) =
    # 350 · 6/(36 − 18) = 116.67; treated 100 → 0.857
    assert age["variance_ratio_after"] == pytest.approx(100 / (350 * 6 / 18))
    # level b is absent among the controls: shares 1/3 vs 0, pooled var (2/9)/2
    b = t[(t["covariate"] == "diag") & (t["level"] == "b")].iloc[0]
    assert b["smd_before"] == pytest.approx((1 / 3) / np.sqrt((2 / 9) / 2))
    assert np.isnan(b["variance_ratio_before"])
    ok = bal.is_balanced(t)
    assert not ok.any()


def test_bootstrap_is_seeded_and_keeps_clusters_whole() -> None:
    values = np.arange(10.0)
    clusters = np.repeat(np.arange(5), 2)
    seen = []

    def stat(rows):
        seen.append(rows)
        return np.array([values[rows].mean()])

    a = W.bootstrap(stat, clusters, replicates=30, seed=3)
    b = W.bootstrap(stat, clusters, replicates=30, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    for rows in seen:  # both members of a cluster come together
        pairs = rows.reshape(-1, 2)
        assert np.all(pairs[:, 0] // 2 == pairs[:, 1] // 2)
