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
from fastholdelse_eval.cli.commands import check_followup_date
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
                        help="da: the readable table in Danish words and numbers, CSV in "
                             "Danish Excel's dialect, Danish numbers in the workbook's readable "
                             "sheet, and the notes, problems and errors listed in Danish "
                             "(default en)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on standard error (they are shown only when "
                             "standard error is a terminal)")


EN = Labels("en")

# codes of the comparison whose words are a reference entry under another name
_SAME_AS = {"logistic-lr-municipality-x-intervention": "municipality-interaction",
            "logistic-indirect-standardisation": "indirect-standardisation"}


def method_name(code: str, words: Labels | None = None) -> str:
    """A method code (``wald-rd``, ``fixed-iv``, ``cox-efron``) in words (English unless
    ``words`` are another language's)."""
    words = words or EN
    code = _SAME_AS.get(code, code)
    for key in (f"compare.method_{code.replace('-', '_')}",
                f"sites.method_{code.replace('-', '_')}"):
        if words.has(key):
            return words(key)
    entry = words.method(code) or next((words.method(k) for k in words.method_keys(code)),
                                       None)
    return entry[0] if entry else code


class _Terminal:
    """The words (present/<lang>.toml) and numbers of the terminal table in one language:
    Danish words and decimal commas with ``--lang da``; ASCII signs either way."""

    def __init__(self, lang: str, level: float):
        self.words = Labels(lang, level)
        self.numbers = PLAIN if lang == "en" else Formatter("da").with_rules(minus="-")

    def __call__(self, key: str, **values: object) -> str:
        return self.words(f"compare.{key}", **values)


def _effects(cmp: Comparison, t: pd.DataFrame, say: _Terminal) -> pd.DataFrame:
    """Effects per municipality and pooled (``t``: the comparison's tidy table): risk
    differences in percentage points."""
    num = say.numbers
    eff = t.loc[(t["group"] == EFFECT_GROUP[cmp.measure])
                & (t["metric"] == f"{cmp.outcome}_rate")]
    if cmp.measure == "rd":
        est = [num.points(v) for v in eff["estimate"]]
        ci = [num.interval(num.number(100 * lo, 1, True), num.number(100 * hi, 1, True))
              for lo, hi in zip(eff["ci_low"], eff["ci_high"], strict=True)]
    else:
        est = [num.ratio(v) for v in eff["estimate"]]
        ci = [num.interval(lo, hi, 2)
              for lo, hi in zip(eff["ci_low"], eff["ci_high"], strict=True)]
    return pd.DataFrame({say("municipality"): eff["municipality"].replace(
                             {"all": say("all_pooled")}),
                         say("estimator"): [method_name(m, say.words) for m in eff["method"]],
                         say("effect"): est, say("ci"): ci})


def _stat(metric: str, value: float, num: Formatter) -> str:
    return num.percent(value) if metric == "heterogeneity_i2" else num.significant(value, 4)


def readable(cmp: Comparison, lang: str = "en") -> str:
    """Terminal view in ``lang``: effects per municipality, pooled rows, heterogeneity,
    benchmarks and the notes."""
    say = _Terminal(lang, cmp.level)
    words, num = say.words, say.numbers
    t = cmp.tidy()
    method = method_name("random-effects-" + cmp.method, words) + (
        say("hartung_knapp") if cmp.hartung_knapp else "")
    parts = [say("title", outcome=words.metric(f"{cmp.outcome}_rate"),
                 measure=say(f"measure_{cmp.measure}"), method=method), ""]
    with pd.option_context("display.width", 200, "display.max_rows", 500,
                           "display.max_colwidth", 80):
        parts += [_effects(cmp, t, say).to_string(index=False), ""]
        het = t.loc[t["metric"].str.startswith(("heterogeneity_", "interaction_"))]
        if len(het):
            view = pd.DataFrame({
                say("statistic"): [words(f"sites.{m}") if words.has(f"sites.{m}")
                                   else words.metric(m) for m in het["metric"]],
                say("estimate"): [_stat(m, v, num) for m, v in
                                  zip(het["metric"], het["estimate"], strict=True)],
                say("interval"): [num.interval(_stat(m, lo, num), _stat(m, hi, num))
                                  if pd.notna(lo) else ""
                                  for m, lo, hi in zip(het["metric"], het["ci_low"],
                                                       het["ci_high"], strict=True)],
                say("p"): [num.p_value(p) if pd.notna(p) else "" for p in het["p_value"]],
                say("estimator"): [method_name(m, words) for m in het["method"]]})
            parts += [say("heterogeneity"), view.to_string(index=False), ""]
        hr = t.loc[t["metric"] == "hazard_ratio_rtw"]
        if len(hr):
            view = pd.DataFrame({
                say("municipality"): hr["municipality"].replace({"all": say("all_stratified")}),
                say("hazard_ratio"): [num.ratio(v) for v in hr["estimate"]],
                say("ci"): [num.interval(lo, hi, 2) for lo, hi in
                            zip(hr["ci_low"], hr["ci_high"], strict=True)],
                say("p"): [num.p_value(p) for p in hr["p_value"]]})
            parts += [f"{words.metric('hazard_ratio_rtw')} ({method_name('cox-efron', words)})",
                      view.to_string(index=False), ""]
        b = cmp.benchmarks
        if not b.empty:
            view = pd.DataFrame({
                say("municipality"): b["municipality"], say("n"): b["n"],
                say("observed"): [num.percent(v) for v in b["observed_rate"]],
                say("expected"): [num.percent(v) for v in b["expected_rate"]],
                say("expected_range"): [num.interval(num.number(100 * lo, 1),
                                                     num.number(100 * hi, 1))
                                        for lo, hi in zip(b["limit_low"], b["limit_high"],
                                                          strict=True)],
                say("p"): [num.p_value(p) for p in b["p_value"]]})
            parts += [say("benchmark", group=say(f"group_{cmp.benchmark_group}"),
                          method=method_name(str(b["method"].iloc[0]), words)),
                      view.to_string(index=False), ""]
    parts += [say("note", text=translate(n, lang)) for n in cmp.notes]
    return "\n".join(parts).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    # Options that the library checks too, checked here so the error names them as typed.
    check_followup_date(args)
    if not 0 < args.level < 1:
        raise ConfigError(message("cfg_level", name="--level", value=repr(args.level)))
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
