"""``fastholdelse-eval evaluate PATH``: the tidy result table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fastholdelse_eval.analysis.evaluation import evaluate
from fastholdelse_eval.analysis.reference import parse_reference
from fastholdelse_eval.cli.business_case import add_business_case_arguments, business_case_options
from fastholdelse_eval.cli.commands import (
    add_cohort_arguments,
    add_reference_arguments,
    add_target_arguments,
    check_followup_date,
    input_paths,
    load_from_args,
    reference_spec,
    target_specs,
)
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.files import check_output
from fastholdelse_eval.core.messages import error_text, message, renamed
from fastholdelse_eval.core.options import EvaluationOptions
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.loading import load_cohort
from fastholdelse_eval.data.localize import translate
from fastholdelse_eval.data.progression import load_progression
from fastholdelse_eval.pipeline.study import (
    StudyConfig,
    load_config,
    load_study_cohort,
    load_study_progression,
)
from fastholdelse_eval.present.output import TIDY_FORMATS, write_tidy
from fastholdelse_eval.privacy.disclosure import DEFAULT_THRESHOLD, suppress

NAME = "evaluate"
HELP = "evaluate intervention vs control and print or write the tidy result table"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_cohort_arguments(parser)
    parser.add_argument("--format", default=None, choices=list(TIDY_FORMATS),
                        help="output format: csv-da is Danish Excel's CSV (';', decimal comma, "
                             "BOM), xlsx a workbook with the tidy table and a readable sheet "
                             "(default: from the --out suffix .csv/.json/.xlsx, "
                             "else a readable table)")
    parser.add_argument("--out", help="write to this file instead of standard output")
    parser.add_argument("--lang", default=None, choices=["en", "da"],
                        help="da: CSV in Danish Excel's dialect, Danish numbers in the "
                             "workbook's readable sheet and Danish validation messages and "
                             "notes "
                             "(default: a study config's language, else en)")
    parser.add_argument("--level", type=float, default=None,
                        help="confidence level of intervals (default: a study config's, "
                             "else 0.95)")
    parser.add_argument("--suppress", action="store_true",
                        help="mask small cells as reports do (for tables you share, e.g. CI "
                             "artifacts); adds the columns suppressed, numerator_mask, "
                             "denominator_mask")
    parser.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD,
                        help=f"with --suppress: mask counts below this (default "
                             f"{DEFAULT_THRESHOLD})")
    parser.add_argument("--horizon-weeks", type=float, default=None,
                        help="horizon of restricted mean and cumulative incidence, in weeks "
                             "(default 26, capped at the last week both groups are observed)")
    parser.add_argument("--covariates", default="",
                        help="comma-separated columns to adjust the Cox model for, e.g. "
                             "age,diagnosis")
    parser.add_argument("--progression", default=None, metavar="FILE",
                        help="progression measurements (person_id, date, instrument, item, "
                             "value or score; WHO-5 built in) linked to the cohort: adds the "
                             "progression_* rows")
    parser.add_argument("--sustained-weeks", type=float, default=None,
                        help="weeks without relapse after RTW for sustained RTW (default: a "
                             "study config's, else 4)")
    add_target_arguments(parser)
    add_reference_arguments(parser)
    add_business_case_arguments(parser)
    parser.add_argument("--weighting", default=None,
                        choices=["att", "ate", "overlap", "match", "entropy", "sets"],
                        help="also weight or match the comparison group on --covariates "
                             "(propensity score): att (effect on participants), ate, overlap, "
                             "match (nearest neighbour on the logit score), entropy; sets: "
                             "the cohort's matched_set column (register --participants), "
                             "balance checked on --covariates")
    parser.add_argument("--trim", type=float, default=None,
                        help="with --weighting att/ate/overlap: weight 0 for propensity "
                             "scores outside [trim, 1 − trim]")
    parser.add_argument("--caliper", type=float, default=0.2,
                        help="with --weighting match: caliper in SD of the logit score "
                             "(default 0.2)")
    parser.add_argument("--ratio", type=int, default=1,
                        help="with --weighting match: controls per participant (default 1)")
    parser.add_argument("--with-replacement", action="store_true",
                        help="with --weighting match: a control may serve several participants")
    parser.add_argument("--cluster-municipality", action="store_true",
                        help="with --weighting: robust variances clustered by municipality")
    parser.add_argument("--weighting-bootstrap", type=int, default=200,
                        help="with --weighting: bootstrap replicates for the weighted "
                             "survival intervals (default 200, seeded)")


# The weighting options' argument names (the same as EvaluationOptions' fields).
WEIGHTING_ARGS = ("weighting", "trim", "caliper", "ratio", "with_replacement",
                  "cluster_municipality", "weighting_bootstrap")


def evaluate_options(args: argparse.Namespace,
                     config: StudyConfig | None = None) -> EvaluationOptions:
    """The options of :func:`evaluate` from the parsed command line (checked here, once); with
    a study config, its options with the flags given on top (targets are added to its own)."""
    base = config.options if config is not None else EvaluationOptions()
    case = business_case_options(args, base.business_case)  # names its own flags in errors
    targets = [*base.targets, *target_specs(args)]  # names --target in errors
    weighting = ({k: getattr(args, k) for k in WEIGHTING_ARGS if hasattr(args, k)}
                 if getattr(args, "weighting", None) or config is None
                 else {k: getattr(base, k) for k in WEIGHTING_ARGS})
    try:
        return EvaluationOptions(
            level=base.level if args.level is None else args.level,
            horizon_weeks=base.horizon_weeks if args.horizon_weeks is None
            else args.horizon_weeks,
            covariates=args.covariates or base.covariates,
            sustained_weeks=base.sustained_weeks if args.sustained_weeks is None
            else args.sustained_weeks,
            business_case=case, targets=targets, **weighting)
    except ConfigError as exc:  # name the option as the user typed it
        name, _, rest = str(exc).partition(":")
        option = f"--{name.replace('_', '-')}"
        raise ConfigError(renamed(error_text(exc), option) or f"{option}:{rest}") from None


def study_config(args: argparse.Namespace) -> StudyConfig | None:
    """The study config named as PATH (a ``.toml``), else None."""
    if not (args.path and Path(args.path).suffix.lower() == ".toml"):
        return None
    if args.intervention or args.control:
        raise ConfigError(message("cli_study_or_files"))
    return load_config(args.path)


def run(args: argparse.Namespace) -> int:
    config = study_config(args)
    options = evaluate_options(args, config)  # bad options fail before the data are read
    check_followup_date(args)
    if args.suppress and args.threshold < 1:  # suppress() would call it "suppression threshold"
        raise ConfigError(message("cli_at_least_1_got", name="--threshold",
                                  value=args.threshold))
    reference = reference_spec(args, parse_reference)
    if args.out:  # an unsafe --out (a link, an input) fails before the work, not after it
        inputs = (*input_paths(args), args.progression, (reference or {}).get("file"),
                  *(config.files if config is not None else []))
        check_output(args.out, protect=[p for p in inputs if p])
    cohort = (load_study_cohort(config, args.followup_date) if config is not None
              else load_from_args(args))
    lang = args.lang or (config.languages[0] if config is not None else "en")
    if reference and reference.get("file"):  # a historic cohort, read like the study's data
        reference["cohort"] = load_cohort(reference.pop("file"),
                                          followup_date=args.followup_date,
                                          municipality=args.municipality)
    progression = None
    if config is not None:
        progression = load_study_progression(config, cohort, args.progression)
    elif args.progression:
        if not isinstance(cohort, Cohort):
            raise ConfigError(message("cfg_progression_person_level", name="--progression"))
        progression = load_progression(args.progression, cohort)
    ev = evaluate(cohort, options, progression=progression, reference=reference)
    for note in ev.not_recorded_notes:  # not recorded ≠ 0: say which metrics are left out
        print(f"note: {translate(note, lang)}", file=sys.stderr)
    table = suppress(ev.tidy(), args.threshold).table if args.suppress else ev.tidy()
    text = write_tidy(table, args.format, args.out, summary=ev, lang=lang)
    if text is not None:
        sys.stdout.write(text)
    return 0
