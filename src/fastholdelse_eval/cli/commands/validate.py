"""``fastholdelse-eval validate PATH``: check a cohort or aggregate file."""

from __future__ import annotations

import argparse
import sys

from fastholdelse_eval.cli.commands import (
    add_cohort_arguments,
    check_followup_date,
    input_paths,
    load_from_args,
)
from fastholdelse_eval.cli.main import message_language
from fastholdelse_eval.data.cohort import one_group_note
from fastholdelse_eval.data.localize import translate

NAME = "validate"
HELP = "check a cohort or aggregate-counts file; exit 0 if valid, 1 with every problem listed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_cohort_arguments(parser)
    parser.add_argument("--lang", default=None, choices=["en", "da"],
                        help="language of the problems and notes listed (default en; da: "
                             "Danish)")


def run(args: argparse.Namespace) -> int:
    check_followup_date(args)
    cohort = load_from_args(args)
    print(f"{' + '.join(input_paths(args))}: valid — {cohort!r}")
    one = one_group_note(cohort)
    lang = message_language(args)
    for note in [*cohort.notes, *([one] if one else [])]:
        print(f"  note: {translate(note, lang)}", file=sys.stdout)
    return 0
