"""``fastholdelse-eval validate PATH``: check a cohort or aggregate file."""

from __future__ import annotations

import argparse
import sys

from ..loading import load_cohort
from ..validation import parse_date_option

NAME = "validate"
HELP = "check a cohort or aggregate-counts file; exit 0 if valid, 1 with every problem listed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="cohort or aggregate file (.csv, .xlsx, .parquet)")
    parser.add_argument("--followup-date", help="study-wide follow-up date for rows without one")
    parser.add_argument("--municipality", help="municipality for rows without one")


def run(args: argparse.Namespace) -> int:
    parse_date_option(args.followup_date, "--followup-date")
    cohort = load_cohort(args.path, followup_date=args.followup_date,
                         municipality=args.municipality)
    print(f"{args.path}: valid — {cohort!r}")
    for note in cohort.notes:
        print(f"  note: {note}", file=sys.stdout)
    return 0
