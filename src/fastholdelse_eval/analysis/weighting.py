"""A non-randomised comparison group made comparable: propensity score, weights or matching,
overlap and balance — :func:`weigh` returns a :class:`Weighting`.

Methods (``method``; the ``weighting`` column of every row it produces names it):

==========  ========  =======================================================================
method      estimand  how
==========  ========  =======================================================================
``att``     ATT       inverse-probability weights: controls weigh e/(1 − e) (default)
``ate``     ATE       1/e and 1/(1 − e)
``overlap`` ATO       1 − e and e (the population where both groups are common)
``match``   ATT       greedy nearest-neighbour matching on the logit score, caliper ``caliper``
                      SD (0.2), ``ratio`` controls per participant, with/without replacement
``entropy`` ATT       entropy balancing: control weights matching the participants' means
``sets``    ATT       matched sets given in the cohort's ``matched_set`` column (register
                      controls drawn by risk-set matching, :mod:`~fastholdelse_eval.data.\
register_match`): participant 1, each control 1/(controls in its set); a set without controls
                      weighs 0. The propensity model is fitted only for the overlap and balance
                      diagnostics
==========  ========  =======================================================================

The propensity score ``e`` is a logistic regression of taking part on ``covariates``
(:mod:`fastholdelse_eval.stats.propensity`; ``splines={"age": 4}`` puts age in as a natural
cubic spline). Persons with a missing covariate value get weight 0 and are counted in a note.

Rows (municipality ``all``, or the only municipality):

* ``effective_n`` (intervention, control): Kish's effective sample size under the weights;
  ``denominator`` = persons with a positive weight.
* ``outside_support_rate`` (intervention, control): share of the group whose score lies outside
  the other group's range (numerator = those persons).
* ``balance_{covariate}`` (difference; ``level`` per category): the standardised mean difference
  after weighting (``estimate``) and before (``smd_before``), the variance ratios
  (``variance_ratio``, ``variance_ratio_before``; numeric covariates) and ``balanced``
  (|SMD| < 0.1 and variance ratio 0.5–2), see :mod:`fastholdelse_eval.stats.balance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fastholdelse_eval.core import tidy
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.options import WEIGHTING_METHODS
from fastholdelse_eval.core.results import Result
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.plots.balance import plot_love, plot_overlap
from fastholdelse_eval.plots.words import Words
from fastholdelse_eval.stats import balance as bal
from fastholdelse_eval.stats.matching import entropy_balance, nearest_neighbour
from fastholdelse_eval.stats.propensity import (
    balancing_weights,
    common_support,
    design_matrix,
    effective_n,
    fit_propensity,
)

METHODS = WEIGHTING_METHODS
ESTIMAND = {"att": "ATT", "ate": "ATE", "overlap": "ATO", "match": "ATT", "entropy": "ATT",
            "sets": "ATT"}
# Methods whose persons come in matched sets that variances cluster on and the bootstrap
# resamples whole (with the matching kept).
SET_METHODS = ("match", "sets")


@dataclass(frozen=True)
class WeightingSpec:
    """How the comparison group is weighted (see the module docstring)."""

    method: str = "att"
    covariates: tuple[str, ...] = ()
    splines: tuple[tuple[str, int], ...] = ()
    trim: float | None = None
    caliper: float | None = 0.2
    ratio: int = 1
    replace: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(message("cfg_one_of_list", name="weighting",
                                      choices=", ".join(METHODS), value=repr(self.method)))
        if not self.covariates:
            raise ConfigError(message("cfg_weighting_needs_covariates", name="weighting"))
        if self.trim is not None and self.method in ("match", "entropy", "sets"):
            raise ConfigError(message("wt_trim_methods", name="trim"))

    @property
    def estimand(self) -> str:
        return ESTIMAND[self.method]


def weights_for(spec: WeightingSpec, frame: pd.DataFrame, treat: np.ndarray
                ) -> tuple[np.ndarray, dict[str, Any]]:
    """Weights (0 for persons with a missing covariate) and the fitted pieces, for ``frame``'s
    rows. Used by :func:`weigh` and, on every bootstrap replicate, by the weighted outcomes."""
    if spec.method == "sets" and "matched_set" not in frame.columns:
        raise ConfigError(message("wt_sets_need_matched_set", name="weighting sets"))
    design = design_matrix(frame, spec.covariates, dict(spec.splines))
    ok = design.complete
    t = treat[ok]
    w = np.zeros(len(frame))
    score = np.full(len(frame), np.nan)
    logit = np.full(len(frame), np.nan)
    subclass = np.full(len(frame), -1, dtype="int64")
    fit = fit_propensity(design.x, t, design.names)
    score[ok], logit[ok] = fit.score, fit.logit
    if spec.method == "match":
        m = nearest_neighbour(fit.logit, t, caliper=spec.caliper, ratio=spec.ratio,
                              replace=spec.replace)
        w[ok] = m.weights
        subclass[ok] = m.subclass
    elif spec.method == "sets":
        w[ok], subclass[ok] = set_weights(frame.loc[ok, "matched_set"].to_numpy(), t)
    elif spec.method == "entropy":
        w[ok] = entropy_balance(design.x, t)
    else:
        w[ok] = balancing_weights(fit.score, t, spec.method, spec.trim)
    return w, {"fit": fit, "score": score, "logit": logit, "subclass": subclass,
               "complete": ok}


def set_weights(matched_set: np.ndarray, treat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ATT weights and set numbers (0, 1, …; −1 = weight 0) of given matched sets: a
    participant weighs 1 if its set has a control, each control 1/(controls in its set) — so
    each set's controls stand for its participant(s), as MatchIt's weights for k:1 matching."""
    codes, uniques = pd.factorize(pd.Series(matched_set), use_na_sentinel=True)
    n_sets = len(uniques)
    n_t = np.bincount(codes[(codes >= 0) & treat], minlength=n_sets)
    n_c = np.bincount(codes[(codes >= 0) & ~treat], minlength=n_sets)
    idx = np.where(codes >= 0, codes, 0)
    usable = (codes >= 0) & (n_t[idx] > 0) & (n_c[idx] > 0)
    w = np.where(treat, 1.0, n_t[idx] / np.maximum(n_c[idx], 1))
    w = np.where(usable, w, 0.0)
    return w, np.where(usable, codes, -1).astype("int64")


@dataclass
class Weighting(Result):
    """The weighted (or matched) design: weights, scores, balance and overlap."""

    spec: WeightingSpec
    group: np.ndarray  # "intervention"/"control" per person (cohort order)
    weights: np.ndarray
    score: np.ndarray
    logit: np.ndarray
    subclass: np.ndarray  # matched set (−1 = none; only for methods "match" and "sets")
    balance: pd.DataFrame
    municipality: str = "all"
    notes: list[str] = field(default_factory=list)
    propensity: Any = None

    @property
    def treat(self) -> np.ndarray:
        return self.group == "intervention"

    def effective_n(self) -> dict[str, float]:
        return {"intervention": effective_n(self.weights[self.treat]),
                "control": effective_n(self.weights[~self.treat])}

    def support(self) -> dict[str, tuple[int, int]]:
        ok = np.isfinite(self.score)
        return common_support(self.score[ok], self.treat[ok])

    def is_balanced(self) -> bool:
        return bool(bal.is_balanced(self.balance).all())

    def tidy(self) -> pd.DataFrame:
        m, extra = self.municipality, {"weighting": self.spec.method,
                                       "estimand": self.spec.estimand}
        rows: list[dict[str, Any]] = []
        ess = self.effective_n()
        for g, mask in (("intervention", self.treat), ("control", ~self.treat)):
            rows.append(tidy.row("effective_n", g, ess[g],
                                 denominator=int((self.weights[mask] > 0).sum()),
                                 method="kish", municipality=m, **extra))
        for g, (k, n) in self.support().items():
            rows.append(tidy.row("outside_support_rate", g, k / n if n else float("nan"),
                                 numerator=k, denominator=n, method="min-max",
                                 municipality=m, **extra))
        ok = bal.is_balanced(self.balance)
        for rec, good in zip(self.balance.to_dict("records"), ok, strict=True):
            rows.append(tidy.row(
                f"balance_{rec['covariate']}", "difference", rec["smd_after"],
                method="smd", municipality=m, level=rec["level"],
                smd_before=rec["smd_before"], variance_ratio=rec["variance_ratio_after"],
                variance_ratio_before=rec["variance_ratio_before"], balanced=bool(good),
                **extra))
        return tidy.frame(rows)

    def plot_love(self, ax=None, *, lang: str = "en", **kwargs):
        """|SMD| per covariate (level) before and after weighting, words in ``lang``; returns
        the Axes."""
        kwargs.setdefault("label_after", f"{Words(lang)('after')} ({self.spec.method})")
        return plot_love(self.balance, ax=ax, lang=lang, **kwargs)

    def plot_overlap(self, ax=None, *, lang: str = "en", **kwargs):
        """Propensity score distributions by group (histograms), words in ``lang``; returns the
        Axes."""
        ok = np.isfinite(self.score)
        return plot_overlap(self.score[ok], self.treat[ok], ax=ax, lang=lang, **kwargs)

    def _glance(self) -> dict[str, Any]:
        ess = self.effective_n()
        return {"n": int(np.isfinite(self.score).sum()), "method": self.spec.method,
                "estimand": self.spec.estimand, "covariates": ",".join(self.spec.covariates),
                "ess_intervention": ess["intervention"], "ess_control": ess["control"],
                "balanced": self.is_balanced()}

    def _title(self) -> str:
        return f"Weighting ({self.spec.method}, {self.spec.estimand})"


def weigh(cohort: Cohort, covariates: Sequence[str], method: str = "att", *,
          splines: dict[str, int] | None = None, trim: float | None = None,
          caliper: float | None = 0.2, ratio: int = 1, replace: bool = False) -> Weighting:
    """Propensity score, weights (or matching) and balance for a person-level cohort (see the
    module docstring)."""
    if not isinstance(cohort, Cohort):
        raise ConfigError(message("wt_person_level"))
    spec = WeightingSpec(method=method, covariates=tuple(covariates),
                         splines=tuple(sorted((splines or {}).items())), trim=trim,
                         caliper=caliper, ratio=ratio, replace=replace)
    data = cohort.data
    group = data["group"].to_numpy(dtype=object).astype(str)
    treat = group == "intervention"
    w, parts = weights_for(spec, data, treat)
    notes = []
    dropped = int((~parts["complete"]).sum())
    if dropped:
        notes.append(message("note_weighting_missing", n=dropped))
    if spec.trim is not None:
        cut = int((parts["complete"] & (w == 0)).sum())
        notes.append(message("note_weighting_trimmed", n=cut, low=f"{spec.trim:g}",
                             high=f"{1 - spec.trim:g}"))
    if spec.method in SET_METHODS:
        unmatched = int((treat & parts["complete"] & (w == 0)).sum())
        if unmatched:
            notes.append(message("note_matching_unmatched", n=unmatched))
    if not parts["fit"].converged:
        notes.append(message("note_propensity_not_converged"))
    ok = parts["complete"]
    table = bal.balance_table(data.loc[ok].reset_index(drop=True), spec.covariates,
                              treat[ok], w[ok])
    munis = cohort.municipalities
    return Weighting(spec=spec, group=group, weights=w, score=parts["score"],
                     logit=parts["logit"], subclass=parts["subclass"], balance=table,
                     municipality=munis[0] if len(munis) == 1 else "all", notes=notes,
                     propensity=parts["fit"])
