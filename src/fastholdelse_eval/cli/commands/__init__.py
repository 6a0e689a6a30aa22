"""Sub-commands of the ``fastholdelse-eval`` command line.

Each module here defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Add a command by adding its module here and its name and help to
:data:`fastholdelse_eval.cli.main.COMMANDS`; keep option parsing in the command module and the
work in the library, so Python and CLI users get the same behaviour.
"""

from __future__ import annotations

import argparse

from fastholdelse_eval.cli.main import COMMANDS
from fastholdelse_eval.data.cohort import AggregateCohort, Cohort
from fastholdelse_eval.data.loading import load_cohort


def add_cohort_arguments(parser: argparse.ArgumentParser) -> None:
    """The input file and the options that complete it, shared by validate and evaluate."""
    parser.add_argument("path", help="cohort or aggregate file (.csv, .xlsx, .parquet)")
    parser.add_argument("--followup-date", help="study-wide follow-up date for rows without one")
    parser.add_argument("--municipality", help="municipality for rows without one")


def load_from_args(args: argparse.Namespace) -> Cohort | AggregateCohort:
    """Load the cohort named by :func:`add_cohort_arguments`' options."""
    return load_cohort(args.path, followup_date=args.followup_date,
                       municipality=args.municipality)


COMMAND_MODULES = list(COMMANDS)
