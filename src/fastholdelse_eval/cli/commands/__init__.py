"""Sub-commands of the ``fastholdelse-eval`` command line.

Each module here defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Add a command by adding its module here and its name and help to
:data:`fastholdelse_eval.cli.main.COMMANDS`; keep option parsing in the command module and the
work in the library, so Python and CLI users get the same behaviour.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from fastholdelse_eval.analysis.targets import parse_target
from fastholdelse_eval.cli.main import COMMANDS
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message, said_of
from fastholdelse_eval.data.cohort import AggregateCohort, Cohort
from fastholdelse_eval.data.loading import load_cohort
from fastholdelse_eval.data.parse import parse_date_option


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


def check_followup_date(args: argparse.Namespace) -> None:
    """``--followup-date``, checked before any file is read: the loaders check it too, but name
    it by their parameter (``followup_date: not a valid date``), not as the user typed it."""
    parse_date_option(getattr(args, "followup_date", None), "--followup-date")


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
            raise ConfigError(said_of(exc, f"--target {text!r}", "targets")) from None
    return texts


def add_reference_arguments(parser: argparse.ArgumentParser) -> None:
    """An external reference instead of a control group (docs/targets.md, [reference])."""
    parser.add_argument("--reference", action="append", default=[], metavar="TEXT",
                        help="a reference figure, repeatable: 'rtw_rate 412/800' (a rate with "
                             "its count), 'median_weeks_on_benefit 11.0 se 0.8' (an estimate "
                             "with its standard error); compared with the participants as a "
                             "reference, not a controlled effect")
    parser.add_argument("--reference-file", metavar="FILE", default=None,
                        help="a historic cohort (person-level file) compared with the "
                             "participants as their control group, labelled historic reference")
    parser.add_argument("--reference-label", metavar="TEXT", default=None,
                        help="the reference's name in tables and reports, e.g. "
                             "'Jobindsats, Greve 2008'")


def reference_spec(args: argparse.Namespace, check: Callable[[dict], object]) -> dict | None:
    """The ``--reference*`` options as a ``[reference]`` table (its file not yet read),
    checked by ``check`` (analysis.reference.parse_reference: its statistics are not loaded
    here, where every command's options are parsed)."""
    spec: dict = {}
    for text in getattr(args, "reference", None) or []:
        name, _, value = text.strip().partition(" ")
        if not value.strip():
            raise ConfigError(message("cli_reference_needs_figure",
                                      name=f"--reference {text!r}"))
        spec[name] = value.strip()
    if getattr(args, "reference_file", None):
        if not Path(args.reference_file).is_file():
            raise ConfigError(message("cli_file_not_found", name="--reference-file",
                                      file=args.reference_file))
        spec["file"] = str(Path(args.reference_file).resolve())
    if getattr(args, "reference_label", None):
        spec["label"] = args.reference_label
    if not spec:
        return None
    try:
        check(spec)
    except ConfigError as exc:
        raise ConfigError(said_of(exc, "--reference", "reference")) from None
    return spec


def input_paths(args: argparse.Namespace) -> list[str]:
    """The input files named on the command line (PATH, or --intervention and --control)."""
    return [p for p in (args.path, getattr(args, "intervention", None),
                        getattr(args, "control", None)) if p]


def load_from_args(args: argparse.Namespace) -> Cohort | AggregateCohort:
    """Load the cohort named by :func:`add_cohort_arguments`' options."""
    if args.path is None and not (args.intervention or args.control):
        raise ConfigError(message("cli_name_the_data"))
    check_followup_date(args)
    return load_cohort(args.path, followup_date=args.followup_date,
                       municipality=args.municipality, intervention=args.intervention,
                       control=args.control)


COMMAND_MODULES = list(COMMANDS)
