"""Per-municipality inputs of the cross-municipality comparison and its fair benchmarks.

Split from :mod:`fastholdelse_eval.analysis.compare` (which documents both): the counts of each
site from person-level or aggregate sources, and the expected rate of each site under a
logistic model fitted across all sites (indirect standardisation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.data.cohort import AggregateCohort, Cohort
from fastholdelse_eval.data.localize import message
from fastholdelse_eval.data.outcomes import BINARY_OUTCOMES, person_outcomes
from fastholdelse_eval.data.schema import KNOWN_COVARIATES

OUTCOMES = BINARY_OUTCOMES  # outcome: (person_outcomes column, aggregate count column)

Source = Cohort | AggregateCohort


# --- inputs -----------------------------------------------------------------------------------


def as_sources(data: Source | Sequence[Source]) -> list[Source]:
    if isinstance(data, Cohort | AggregateCohort):
        return [data]
    if isinstance(data, Iterable) and not isinstance(data, str | bytes | pd.DataFrame):
        items = list(data)
        if items and all(isinstance(d, Cohort | AggregateCohort) for d in items):
            return items
    raise ConfigError(message("cmp_sources"))


def site_counts(sources: list[Source], outcome: str,
                 notes: list[str]) -> tuple[pd.DataFrame, list[Cohort]]:
    """One row per municipality: events and persons per group, and where the data came from."""
    person_col, agg_col = OUTCOMES[outcome]
    rows: list[pd.DataFrame] = []
    cohorts: list[Cohort] = []
    for src in sources:
        if isinstance(src, Cohort):
            out = person_outcomes(src)
            flag = out[person_col]
            if flag.isna().any():
                raise ConfigError(message("cmp_outcome_missing", outcome=outcome,
                                          n=int(flag.isna().sum()),
                                          source=src.name or message("cmp_a_cohort")))
            f = pd.DataFrame({"municipality": out["municipality"], "group": out["group"],
                              "event": flag.astype(bool).to_numpy(), "n": 1})
            counts = f.groupby(["municipality", "group"], sort=False)[["event", "n"]].sum()
            counts = counts.reset_index().assign(source="person")
            cohorts.append(src)
        else:
            d = src.data
            if agg_col not in d.columns or d[agg_col].isna().all():
                raise ConfigError(message("cmp_aggregate_no_counts", outcome=outcome,
                                          file=src.name or "", column=agg_col))
            missing = d.loc[d[agg_col].isna(), "municipality"].unique().tolist()
            if missing:
                notes.append(message("note_count_not_reported",
                                     municipalities=", ".join(map(str, missing)),
                                     column=agg_col))
            d = d.loc[d[agg_col].notna()]
            counts = pd.DataFrame({"municipality": d["municipality"].astype(str),
                                   "group": d["group"].astype(str),
                                   "event": d[agg_col].astype("int64"),
                                   "n": d["n"].astype("int64"), "source": "aggregate"})
            counts = counts.groupby(["municipality", "group", "source"], sort=False,
                                    as_index=False)[["event", "n"]].sum()
        rows.append(counts)
    long = pd.concat(rows, ignore_index=True)
    seen: dict[str, int] = {}
    for i, src in enumerate(sources):
        for m in src.municipalities:
            if m in seen and seen[m] != i:
                raise ConfigError(message("cmp_municipality_twice", municipality=m))
            seen[m] = i
    wide = long.pivot_table(index="municipality", columns="group", values=["event", "n"],
                            aggfunc="sum", fill_value=0, sort=False)
    sites = pd.DataFrame({"municipality": wide.index.astype(str)})
    for g, short in (("intervention", "i"), ("control", "c")):
        sites[f"x_{short}"] = (wide["event"][g].to_numpy() if g in wide["event"] else 0)
        sites[f"n_{short}"] = (wide["n"][g].to_numpy() if g in wide["n"] else 0)
    src_of = long.groupby("municipality", sort=False)["source"].first()
    sites["source"] = src_of.reindex(sites["municipality"]).to_numpy()
    sites = sites.astype({"x_i": "int64", "n_i": "int64", "x_c": "int64", "n_c": "int64"})
    return sites.sort_values("municipality", kind="stable").reset_index(drop=True), cohorts


# --- fair benchmarks ------------------------------------------------------------------------------


def _design(frame: pd.DataFrame, covariates: list[str]) -> tuple[np.ndarray, list[str]]:
    cols = [np.ones(len(frame))]
    names = ["intercept"]
    for c in covariates:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            cols.append(s.to_numpy(dtype="float64"))
            names.append(c)
        else:
            levels = sorted(s.astype(str).unique().tolist())
            for lev in levels[1:]:
                cols.append((s.astype(str) == lev).to_numpy(dtype="float64"))
                names.append(f"{c}={lev}")
    return np.column_stack(cols), names


def choose_covariates(cohorts: list[Cohort], sources: list[Source],
                       covariates: Sequence[str] | None, notes: list[str]) -> list[str]:
    if any(isinstance(s, AggregateCohort) for s in sources):
        if covariates:
            raise ConfigError(message("cmp_covariates_person_level"))
        notes.append(message("note_benchmarks_unadjusted"))
        return []
    frames = [c.data for c in cohorts]
    if covariates is None:
        present = [c for c in KNOWN_COVARIATES if all(c in f.columns for f in frames)]
        chosen = []
        for c in present:
            n_missing = int(sum(f[c].isna().sum() for f in frames))
            if n_missing:
                notes.append(message("note_covariate_missing", covariate=c, n=n_missing))
            else:
                chosen.append(c)
        return chosen
    chosen = list(covariates)
    for c in chosen:
        if not all(c in f.columns for f in frames):
            raise ConfigError(message("cmp_covariate_not_everywhere", covariate=c))
        if any(f[c].isna().any() for f in frames):
            raise ConfigError(message("cmp_covariate_missing_values", covariate=c))
    return chosen


def benchmarks(sites: pd.DataFrame, cohorts: list[Cohort], outcome: str, group: str,
                covariates: list[str], level: float) -> pd.DataFrame:
    """Expected vs observed rate per municipality (indirect standardisation, logistic model)."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    short = "i" if group == "intervention" else "c"
    if covariates:
        person_col = OUTCOMES[outcome][0]
        parts = []
        for c in cohorts:
            out = person_outcomes(c)
            keep = (out["group"] == group).to_numpy() & out["municipality"].isin(
                sites["municipality"]).to_numpy()
            part = c.data.loc[keep, covariates].reset_index(drop=True)
            part["municipality"] = out.loc[keep, "municipality"].to_numpy()
            part["y"] = out.loc[keep, person_col].astype(bool).to_numpy().astype(float)
            parts.append(part)
        persons = pd.concat(parts, ignore_index=True)
        if persons.empty:
            return pd.DataFrame()
        X, names = _design(persons, covariates)
        y = persons["y"].to_numpy()
        munis = persons["municipality"].to_numpy()
        try:
            res = sm.GLM(y, X, family=sm.families.Binomial()).fit()
        except (np.linalg.LinAlgError, PerfectSeparationError, ValueError) as exc:
            raise ConfigError(message("cmp_benchmark_not_fitted", covariates=", ".join(covariates),
                                      error=type(exc).__name__)) from exc
        p = res.predict(X)
        cov = np.asarray(res.cov_params())
        frame = pd.DataFrame({"municipality": munis, "y": y, "p": p, "pq": p * (1 - p)})
        grad = pd.DataFrame(X * (p * (1 - p))[:, None]).groupby(munis, sort=True).sum()
        agg = frame.groupby("municipality", sort=True).agg(
            n=("y", "size"), observed=("y", "sum"), expected=("p", "sum"), var_b=("pq", "sum"))
        g = grad.loc[agg.index].to_numpy()
        agg["variance"] = agg["var_b"] + np.einsum("ij,jk,ik->i", g, cov, g)
        overall = float(y.mean())
        method = "logistic-indirect-standardisation"
    else:
        # Intercept-only logistic model, in closed form on the counts: p = pooled rate, the
        # intercept's variance 1/(N p(1-p)) adds n² p(1-p)/N to a site's binomial variance.
        agg = pd.DataFrame({"municipality": sites["municipality"].to_numpy(),
                            "n": sites[f"n_{short}"].to_numpy(),
                            "observed": sites[f"x_{short}"].to_numpy()})
        agg = agg.loc[agg["n"] > 0].set_index("municipality").sort_index()
        total = int(agg["n"].sum())
        if total == 0:
            return pd.DataFrame()
        overall = float(agg["observed"].sum() / total)
        pq = overall * (1 - overall)
        agg["expected"] = agg["n"] * overall
        agg["variance"] = agg["n"] * pq + agg["n"] ** 2 * pq / total
        names = ["intercept"]
        method = "unadjusted-pooled-rate"
    sd = np.sqrt(agg["variance"].to_numpy())
    zq = stats.norm.ppf(0.5 + level / 2)
    n = agg["n"].to_numpy()
    agg["observed_rate"] = agg["observed"] / n
    agg["expected_rate"] = agg["expected"] / n
    agg["limit_low"] = np.clip((agg["expected"] - zq * sd) / n, 0, 1)
    agg["limit_high"] = np.clip((agg["expected"] + zq * sd) / n, 0, 1)
    agg["z_score"] = (agg["observed"] - agg["expected"]) / sd
    agg["p_value"] = 2 * stats.norm.sf(np.abs(agg["z_score"]))
    agg["standardised_ratio"] = agg["observed"] / agg["expected"]
    agg["adjusted_rate"] = agg["standardised_ratio"] * overall
    # Interval for the adjusted rate: observed ± z·sd, rescaled like the estimate.
    agg["adjusted_low"] = np.clip((agg["observed"] - zq * sd) / agg["expected"] * overall, 0, 1)
    agg["adjusted_high"] = np.clip((agg["observed"] + zq * sd) / agg["expected"] * overall, 0, 1)
    agg["overall_rate"] = overall
    agg["method"] = method
    agg["covariates"] = ",".join(covariates)
    agg["model_terms"] = ",".join(names[1:])
    return agg.reset_index()
