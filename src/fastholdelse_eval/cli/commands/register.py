"""``fastholdelse-eval register``: weekly register panel (DREAM-style) → cohort table."""

from __future__ import annotations

import argparse
import sys

from fastholdelse_eval.core.files import check_output
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.register import check_output_path, register_frame, write_cohort_frame

NAME = "register"
HELP = ("derive a study cohort (one index sickness spell per person) from a weekly register "
        "panel, wide (y_YYWW columns) or long (person_id, week, code), CSV or Parquet")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("panel", metavar="PANEL", help="the panel file (.csv or .parquet)")
    parser.add_argument("--mapping", required=True, metavar="FILE",
                        help="code,state table; states: sick, sick_partial, self_support, "
                             "unemployed, other_benefit, pension, censor")
    parser.add_argument("--groups", metavar="FILE",
                        help="person_id,group table (deltager/kontrol, …); other columns such "
                             "as municipality or covariates are carried over. Not needed if a "
                             "long panel has a group column")
    parser.add_argument("--out", required=True, metavar="COHORT",
                        help="cohort table to write (.csv or .parquet); written atomically")
    parser.add_argument("--intake", metavar="FROM..TO",
                        help="index spells must start in these ISO weeks, e.g. 2009W01..2009W26")
    parser.add_argument("--memory-limit", metavar="SIZE",
                        help="DuckDB memory limit, e.g. 2GB (larger panels spill to --temp-dir)")
    parser.add_argument("--temp-dir", metavar="DIR", help="DuckDB spill directory")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    check_output_path(args.out)  # before the work, not after
    # Never onto its own panel, mapping or groups file (nor through a link).
    check_output(args.out, protect=[p for p in (args.panel, args.mapping, args.groups) if p])
    result = register_frame(
        args.panel, mapping=args.mapping, groups=args.groups, intake=args.intake,
        memory_limit=args.memory_limit, temp_directory=args.temp_dir, progress=not args.quiet,
    )
    # The same validation `evaluate` applies, so what is written is known to load.
    Cohort.from_frame(result.frame)
    write_cohort_frame(result.frame, args.out)
    for note in result.notes:
        print(note, file=sys.stderr)
    print(f"wrote {len(result.frame)} persons to {args.out}")
    return 0
