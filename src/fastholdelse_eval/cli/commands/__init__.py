"""Sub-commands of the ``fastholdelse-eval`` command line.

Each module here defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Add a command by adding its module here and its name and help to
:data:`fastholdelse_eval.cli.main.COMMANDS`; keep option parsing in the command module and the
work in the library, so Python and CLI users get the same behaviour.
"""

from __future__ import annotations

import argparse

from fastholdelse_eval.analysis.targets import parse_target
from fastholdelse_eval.cli.main import COMMANDS
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.data.cohort import AggregateCohort, Cohort
from fastholdelse_eval.data.loading import load_cohort


def add_split_arguments(parser: argparse.ArgumentParser) -> None:
    """``--intervention FILE --control FILE``: participants and controls in separate files."""
    parser.add_argument("--intervention", metavar="FILE",
                        help="the participants' file, when participants and controls come in "
                             "separate files (with --control; no PATH then)")
    parser.add_argument("--control", metavar="FILE",
                        help="the control group's file (with --intervention)")


def add_cohort_arguments(parser: argparse.ArgumentParser) -> None:
    """The input file(s) and the options that complete them, shared by validate and evaluate."""
    parser.add_argument("path", nargs="?", default=None,
                        help="cohort or aggregate file (.csv, .xlsx, .parquet)")
    add_split_arguments(parser)
    parser.add_argument("--followup-date", help="study-wide follow-up date for rows without one")
    parser.add_argument("--municipality", help="municipality for rows without one")


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--target TEXT`` (repeatable): the study's targets, as in the study TOML."""
    parser.add_argument("--target", action="append", default=[], metavar="TEXT",
                        help="a target, repeatable: 'rtw_rate at least 50%%', "
                             "'median_weeks_on_benefit at most 12' (judged per group), "
                             "'rmst_weeks_on_benefit lower 20%%' (against the control group), "
                             "'partial return at least 4 weeks earlier' (docs/targets.md)")


def target_specs(args: argparse.Namespace) -> list[str]:
    """The ``--target`` texts, each checked here so that an error names the option."""
    texts = list(getattr(args, "target", None) or [])
    for text in texts:
        try:
            parse_target(text)
        except ConfigError as exc:
            raise ConfigError(f"--target {text!r}: {str(exc).removeprefix('targets: ')}") \
                from None
    return texts


def input_paths(args: argparse.Namespace) -> list[str]:
    """The input files named on the command line (PATH, or --intervention and --control)."""
    return [p for p in (args.path, getattr(args, "intervention", None),
                        getattr(args, "control", None)) if p]


def load_from_args(args: argparse.Namespace) -> Cohort | AggregateCohort:
    """Load the cohort named by :func:`add_cohort_arguments`' options."""
    if args.path is None and not (args.intervention or args.control):
        raise ConfigError("name the data: PATH, or --intervention FILE --control FILE")
    return load_cohort(args.path, followup_date=args.followup_date,
                       municipality=args.municipality, intervention=args.intervention,
                       control=args.control)


COMMAND_MODULES = list(COMMANDS)
