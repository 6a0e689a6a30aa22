"""``fastholdelse-eval compare PATH...``: per-municipality and pooled comparison (tidy table)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from fastholdelse_eval.analysis.compare import OUTCOMES, Comparison, compare_municipalities
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.files import format_for
from fastholdelse_eval.core.formatting import Formatter
from fastholdelse_eval.data.loading import load_cohort
from fastholdelse_eval.present.output import TIDY_FORMATS, write_text, write_tidy

# Terminal numbers: plain ASCII, one formatter (core.formatting).
PLAIN = Formatter("plain")


def _sig4(v: float) -> str:
    return PLAIN.significant(v, 4)

NAME = "compare"
HELP = ("compare municipalities: per-site effects, pooled fixed and random effects, "
        "heterogeneity and risk-adjusted benchmarks")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="cohort and/or aggregate files (.csv, .xlsx, .parquet); each "
                             "municipality in one file only")
    parser.add_argument("--measure", default="rd", choices=["rd", "rr", "or"],
                        help="effect measure: risk difference (default), risk ratio, odds ratio")
    parser.add_argument("--method", default="reml", choices=["reml", "dl", "pm"],
                        help="tau² estimator of the primary random-effects model "
                             "(default reml, as metafor)")
    parser.add_argument("--hartung-knapp", action="store_true",
                        help="Hartung–Knapp(–Sidik–Jonkman) intervals for random effects")
    parser.add_argument("--outcome", default="rtw", choices=list(OUTCOMES),
                        help="binary outcome to compare (default rtw)")
    parser.add_argument("--level", type=float, default=0.95,
                        help="confidence level of intervals (default 0.95)")
    parser.add_argument("--followup-date", help="study-wide follow-up date for rows without one")
    parser.add_argument("--format", default=None, choices=["table", "csv", "json"],
                        help="output format (default: from the --out suffix .csv/.json, "
                             "else a readable table)")
    parser.add_argument("--out", help="write to this file instead of standard output")


def readable(cmp: Comparison) -> str:
    """Terminal view: effects per municipality, pooled rows, heterogeneity, benchmarks."""
    t = cmp.tidy()
    parts = [f"Comparison of {cmp.outcome} rate across municipalities "
             f"(measure {cmp.measure}, random effects {cmp.method}"
             f"{', Hartung-Knapp' if cmp.hartung_knapp else ''})", ""]
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        parts += [cmp.summary_frame().to_string(index=False), ""]
        het = t.loc[t["metric"].str.startswith(("heterogeneity_", "interaction_"))]
        cols = ["metric", "estimate", "ci_low", "ci_high", "p_value", "method"]
        if len(het):
            parts += ["Heterogeneity",
                      het[cols].to_string(index=False, float_format=_sig4), ""]
        hr = t.loc[t["metric"] == "hazard_ratio_rtw"]
        if len(hr):
            parts += ["Hazard ratio of RTW (Cox, Efron ties)",
                      hr[["municipality"] + cols[1:]].to_string(
                          index=False, float_format=lambda v: PLAIN.significant(v, 3)), ""]
        b = cmp.benchmarks
        if not b.empty:
            view = b[["municipality", "n", "observed_rate", "expected_rate", "limit_low",
                      "limit_high", "p_value"]]
            parts += [f"Benchmark ({cmp.benchmark_group} group, {b['method'].iloc[0]})",
                      view.to_string(index=False, float_format=lambda v: PLAIN.number(v, 3)), ""]
    parts += [f"note: {n}" for n in cmp.notes]
    return "\n".join(parts).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    if args.out and any(Path(args.out).resolve() == Path(p).resolve() for p in args.paths):
        raise ConfigError("--out: would overwrite an input file")
    sources = [load_cohort(p, followup_date=args.followup_date) for p in args.paths]
    cmp = compare_municipalities(sources, measure=args.measure, method=args.method,
                                 hartung_knapp=args.hartung_knapp, outcome=args.outcome,
                                 level=args.level)
    fmt = format_for(args.out, args.format, allowed=TIDY_FORMATS, default="table")
    if fmt == "table":
        text = write_text(readable(cmp), args.out)
    else:
        text = write_tidy(cmp.tidy(), fmt, args.out)
    if text is not None:
        sys.stdout.write(text)
    return 0
