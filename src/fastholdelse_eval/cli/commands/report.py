"""``fastholdelse-eval report PATH-or-study.toml --out DIR``: the evaluation report."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from fastholdelse_eval.analysis.reference import parse_reference
from fastholdelse_eval.cli.business_case import add_business_case_arguments, business_case_options
from fastholdelse_eval.cli.commands import (
    add_reference_arguments,
    add_split_arguments,
    add_target_arguments,
    check_followup_date,
    reference_spec,
    target_specs,
)
from fastholdelse_eval.cli.progress import progress
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.core.options import ReportOptions
from fastholdelse_eval.pipeline.reports import FORMATS, check_formats, write_study_reports
from fastholdelse_eval.pipeline.study import StudyConfig, load_config
from fastholdelse_eval.present.labels import LANGUAGES

NAME = "report"
HELP = ("write the evaluation report (HTML, Markdown, PDF; Danish/English) for a study config "
        "or a cohort file")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=None,
                        help="study config (.toml) or cohort/aggregate file")
    add_split_arguments(parser)
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--lang", default=None,
                        help=f"language(s), comma-separated: {','.join(LANGUAGES)} "
                             "(default: the config's, else da)")
    parser.add_argument("--format", default="html,md,pdf",
                        help=f"format(s), comma-separated: {','.join(FORMATS)} "
                             "(default: all three)")
    parser.add_argument("--threshold", type=int, default=None,
                        help="suppress counts below this (default: the config's, else 5)")
    parser.add_argument("--no-suppression", action="store_true",
                        help="turn disclosure control OFF (the report then carries a warning; "
                             "never publish such a report)")
    parser.add_argument("--followup-date", default=None,
                        help="study-wide follow-up date (overrides the config's)")
    add_target_arguments(parser)
    add_reference_arguments(parser)
    parser.add_argument("--title", default=None,
                        help="the report's title, in every language (overrides the config's; "
                             "default: the config's, else 'Evaluering af en "
                             "fastholdelsesindsats' / 'Evaluation of a job-retention "
                             "intervention')")
    parser.add_argument("--municipality", default=None,
                        help="the municipality the report is about, named in its subtitle and "
                             "given to rows without a municipality column (overrides the "
                             "config's)")
    add_business_case_arguments(parser)
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on standard error (they are shown only when "
                             "standard error is a terminal)")
    parser.add_argument("--progression", default=None, metavar="FILE",
                        help="progression measurements (person_id, date, instrument, item, "
                             "value or score) linked to the cohort (overrides the config's)")


def _config(args: argparse.Namespace) -> StudyConfig:
    if args.intervention or args.control:
        if args.path is not None:
            raise ConfigError(message("cli_path_or_files"))
        if not (args.intervention and args.control):
            raise ConfigError(message("cli_both_files"))
        for option, name in (("--intervention", args.intervention), ("--control", args.control)):
            if not Path(name).is_file():
                raise ConfigError(message("cli_file_not_found", name=option, file=name))
        return StudyConfig(intervention=Path(args.intervention).resolve(),
                           control=Path(args.control).resolve())
    if args.path is None:
        raise ConfigError(message("cli_name_the_data_or_study"))
    path = Path(args.path)
    if path.suffix.lower() == ".toml":
        return load_config(path)
    if not path.is_file():
        raise ConfigError(message("cli_path_not_found", path=path))
    # A bare data file: a config with every option at its default.
    return StudyConfig(data=[path.resolve()])


def run(args: argparse.Namespace) -> int:
    targets = target_specs(args)  # bad targets fail before the data are read
    check_followup_date(args)
    reference = reference_spec(args, parse_reference)
    config = _config(args)
    if targets:  # added to the config's own targets
        config = dataclasses.replace(config, targets=[*config.targets, *targets])
    if reference:  # the flags replace the config's [reference]
        config = dataclasses.replace(config, reference=reference)
    # The TOML's [business_case] with the flags given on top (one options object for both).
    case = business_case_options(args, config.business_case)
    if case is not config.business_case:
        config = dataclasses.replace(config, business_case=case)
    for flag, value in (("--title", args.title), ("--municipality", args.municipality)):
        if value is not None and not value.strip():
            raise ConfigError(message("cfg_not_text", name=flag))
    if args.title is not None:
        config = dataclasses.replace(config, title=args.title.strip())
    if args.municipality is not None:
        config = dataclasses.replace(config, municipality=args.municipality.strip())
    languages = None
    if args.lang:
        languages = [x.strip() for x in args.lang.split(",") if x.strip()]
        bad = [x for x in languages if x not in LANGUAGES]
        if bad or not languages:
            raise ConfigError(message("cli_lang", name="--lang", expected=" or ".join(LANGUAGES),
                                      value=repr(args.lang)))
    formats = check_formats(args.format, name="--format")
    if args.threshold is not None and args.threshold < 1:
        raise ConfigError(message("cli_at_least_1_got", name="--threshold",
                                  value=args.threshold))
    # One typed object carries what the flags and the config decided (flags win).
    options = ReportOptions(
        languages=tuple(languages or config.languages), formats=tuple(formats),
        threshold=config.suppression_threshold if args.threshold is None else args.threshold,
        suppression=not args.no_suppression)
    if not options.suppression:
        print("WARNING: disclosure control is OFF; the report shows small counts and must not "
              "be published.", file=sys.stderr)
    say = progress(NAME, args.quiet)
    written = write_study_reports(config, args.out, options, followup_date=args.followup_date,
                                  progress=say, progression=args.progression)
    if say:
        say(f"done: {len(written)} files")
    for path in written:
        print(path)
    return 0
