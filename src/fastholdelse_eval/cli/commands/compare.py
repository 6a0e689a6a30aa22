"""``fastholdelse-eval compare PATH...``: per-municipality and pooled comparison (tidy table)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from fastholdelse_eval.analysis.compare import (
    EFFECT_GROUP,
    OUTCOMES,
    Comparison,
    compare_municipalities,
)
from fastholdelse_eval.cli.main import message_language
from fastholdelse_eval.cli.progress import progress
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.files import check_output, format_for
from fastholdelse_eval.core.formatting import Formatter
from fastholdelse_eval.core.messages import message, translate
from fastholdelse_eval.data.loading import load_cohort
from fastholdelse_eval.present.labels import Labels
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
    parser.add_argument("--format", default=None, choices=list(TIDY_FORMATS),
                        help="output format: csv-da is Danish Excel's CSV (';', decimal comma, "
                             "BOM), xlsx a workbook with the tidy table and a readable sheet "
                             "(default: from the --out suffix .csv/.json/.xlsx, "
                             "else a readable table)")
    parser.add_argument("--out", help="write to this file instead of standard output")
    parser.add_argument("--lang", default=None, choices=["en", "da"],
                        help="da: CSV in Danish Excel's dialect, Danish numbers in the "
                             "workbook's readable sheet, and the notes, problems and errors "
                             "listed in Danish (default en); the readable table's words stay "
                             "English")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on standard error (they are shown only when "
                             "standard error is a terminal)")


# The terminal speaks English, in the report's English words (present/en.toml).
EN = Labels("en")


# codes of the comparison whose words are a reference entry under another name
_SAME_AS = {"logistic-lr-municipality-x-intervention": "municipality-interaction",
            "logistic-indirect-standardisation": "indirect-standardisation"}


def method_name(code: str) -> str:
    """A method code (``wald-rd``, ``fixed-iv``, ``cox-efron``) in words."""
    code = _SAME_AS.get(code, code)
    if code == "cox-lr-municipality-x-intervention":
        return "Municipality x intervention: likelihood-ratio test in a stratified Cox model"
    key = f"sites.method_{code.replace('-', '_')}"
    if EN.has(key):
        return EN(key)
    entry = EN.method(code) or next((EN.method(k) for k in EN.method_keys(code)), None)
    return entry[0] if entry else code


def _effects(cmp: Comparison) -> pd.DataFrame:
    """Effects per municipality and pooled: risk differences in percentage points."""
    t = cmp.tidy()
    eff = t.loc[(t["group"] == EFFECT_GROUP[cmp.measure])
                & (t["metric"] == f"{cmp.outcome}_rate")]
    if cmp.measure == "rd":
        est = [PLAIN.points(v) for v in eff["estimate"]]
        ci = [PLAIN.interval(PLAIN.number(100 * lo, 1, True), PLAIN.number(100 * hi, 1, True))
              for lo, hi in zip(eff["ci_low"], eff["ci_high"], strict=True)]
    else:
        est = [PLAIN.ratio(v) for v in eff["estimate"]]
        ci = [PLAIN.interval(lo, hi, 2)
              for lo, hi in zip(eff["ci_low"], eff["ci_high"], strict=True)]
    return pd.DataFrame({"municipality": eff["municipality"].replace({"all": "all (pooled)"}),
                         "estimator": [method_name(m) for m in eff["method"]],
                         "effect": est, f"{100 * cmp.level:g}% CI": ci})


def _stat(metric: str, value: float) -> str:
    return PLAIN.percent(value) if metric == "heterogeneity_i2" else _sig4(value)


MEASURES = {"rd": "risk difference, percentage points", "rr": "risk ratio", "or": "odds ratio"}


def readable(cmp: Comparison, lang: str = "en") -> str:
    """Terminal view: effects per municipality, pooled rows, heterogeneity, benchmarks; the
    notes in ``lang``."""
    t = cmp.tidy()
    outcome = EN.metric(f"{cmp.outcome}_rate")
    parts = [f"{outcome} compared across municipalities ({MEASURES[cmp.measure]}; "
             f"{method_name('random-effects-' + cmp.method)}"
             f"{', Hartung-Knapp' if cmp.hartung_knapp else ''})", ""]
    with pd.option_context("display.width", 200, "display.max_rows", 500,
                           "display.max_colwidth", 80):
        parts += [_effects(cmp).to_string(index=False), ""]
        het = t.loc[t["metric"].str.startswith(("heterogeneity_", "interaction_"))]
        if len(het):
            view = pd.DataFrame({
                "statistic": [EN(f"sites.{m}") if EN.has(f"sites.{m}") else EN.metric(m)
                              for m in het["metric"]],
                "estimate": [_stat(m, v) for m, v in zip(het["metric"], het["estimate"],
                                                          strict=True)],
                "interval": [PLAIN.interval(_stat(m, lo), _stat(m, hi)) if pd.notna(lo) else ""
                             for m, lo, hi in zip(het["metric"], het["ci_low"], het["ci_high"],
                                                  strict=True)],
                "p": [PLAIN.p_value(p) if pd.notna(p) else "" for p in het["p_value"]],
                "estimator": [method_name(m) for m in het["method"]]})
            parts += ["Heterogeneity", view.to_string(index=False), ""]
        hr = t.loc[t["metric"] == "hazard_ratio_rtw"]
        if len(hr):
            view = pd.DataFrame({
                "municipality": hr["municipality"].replace({"all": "all (stratified)"}),
                "hazard ratio": [PLAIN.ratio(v) for v in hr["estimate"]],
                f"{100 * cmp.level:g}% CI": [PLAIN.interval(lo, hi, 2) for lo, hi in
                                             zip(hr["ci_low"], hr["ci_high"], strict=True)],
                "p": [PLAIN.p_value(p) for p in hr["p_value"]]})
            parts += [f"{EN.metric('hazard_ratio_rtw')} ({method_name('cox-efron')})",
                      view.to_string(index=False), ""]
        b = cmp.benchmarks
        if not b.empty:
            view = pd.DataFrame({
                "municipality": b["municipality"], "n": b["n"],
                "observed": [PLAIN.percent(v) for v in b["observed_rate"]],
                "expected": [PLAIN.percent(v) for v in b["expected_rate"]],
                "expected range": [PLAIN.interval(PLAIN.number(100 * lo, 1),
                                                  PLAIN.number(100 * hi, 1))
                                   for lo, hi in zip(b["limit_low"], b["limit_high"],
                                                     strict=True)],
                "p": [PLAIN.p_value(p) for p in b["p_value"]]})
            parts += [f"Benchmark, {cmp.benchmark_group} group "
                      f"({method_name(str(b['method'].iloc[0]))})",
                      view.to_string(index=False), ""]
    parts += [f"note: {translate(n, lang)}" for n in cmp.notes]
    return "\n".join(parts).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    if args.out and any(Path(args.out).resolve() == Path(p).resolve() for p in args.paths):
        raise ConfigError(message("cli_out_overwrites_input", name="--out"))
    if args.out:  # an unsafe --out (a link, an input) fails before the work, not after it
        check_output(args.out, protect=args.paths)
    say = progress(NAME, args.quiet) or (lambda _text: None)
    say(f"loading {len(args.paths)} file(s)")
    sources = [load_cohort(p, followup_date=args.followup_date) for p in args.paths]
    say("comparing municipalities (effects, meta-analysis, Cox, benchmarks)")
    cmp = compare_municipalities(sources, measure=args.measure, method=args.method,
                                 hartung_knapp=args.hartung_knapp, outcome=args.outcome,
                                 level=args.level)
    say("writing")
    fmt = format_for(args.out, args.format, allowed=TIDY_FORMATS, default="table")
    lang = message_language(args)
    if fmt == "table":
        text = write_text(readable(cmp, lang), args.out)
    else:  # the same files as evaluate writes: --lang da gives Danish Excel's CSV
        text = write_tidy(cmp.tidy(), fmt, args.out, lang=lang)
    if text is not None:
        sys.stdout.write(text)
    return 0
