"""``fastholdelse-eval register``: weekly register panel (DREAM-style) → cohort table."""

from __future__ import annotations

import argparse
import sys

from fastholdelse_eval.cli.main import message_language
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.files import check_output
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.data.cohort import Cohort
from fastholdelse_eval.data.localize import translate
from fastholdelse_eval.data.register import (
    check_output_path,
    parse_intake,
    register_frame,
    write_cohort_frame,
)
from fastholdelse_eval.data.register_match import DEFAULT_SEED, match_controls

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
    parser.add_argument("--lang", default=None, choices=["en", "da"],
                        help="language of the notes, of the line saying what was written and "
                             "of the problems listed when the panel, mapping, groups or "
                             "participants file is wrong (default en; da: Danish)")
    m = parser.add_argument_group(
        "register controls (risk-set matching; instead of --groups)",
        "draw controls on sickness benefit in each participant's intake week, with as many "
        "weeks on benefit by then; the cohort then starts at that week for both and has a "
        "matched_set column (evaluate --weighting sets clusters on it)")
    m.add_argument("--participants", metavar="FILE",
                   help="person_id,intake table (intake: ISO week 2009-W05 or a date in it)")
    m.add_argument("--controls", type=int, default=1, metavar="K",
                   help="controls per participant (default 1)")
    m.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"seed of the draw (default {DEFAULT_SEED})")
    m.add_argument("--tolerance", type=int, default=0, metavar="WEEKS",
                   help="weeks on benefit at intake may differ by this much (default 0: exact)")
    m.add_argument("--persons", metavar="FILE",
                   help="person_id + attributes (municipality, covariates) of everyone in the "
                        "panel; carried into the cohort")
    m.add_argument("--exact", metavar="COLS", default="",
                   help="comma-separated --persons columns to match exactly, e.g. municipality")
    m.add_argument("--history-caliper", type=int, metavar="WEEKS",
                   help="match benefit weeks in the year before the spell within this many weeks")
    m.add_argument("--history-bands", metavar="EDGES",
                   help="or in bands with these lower edges, e.g. 0,1,13,27")
    m.add_argument("--history-weeks", type=int, default=52, metavar="WEEKS",
                   help="length of the history window before the spell (default 52)")
    m.add_argument("--with-replacement", action="store_true",
                   help="a person may be a control for several participants of the same week")
    m.add_argument("--later-participants", choices=("censor", "keep"), default="censor",
                   help="a control who becomes a participant later: censor at its intake "
                        "(default) or keep following")


def _bands(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(message("cli_history_bands", name="--history-bands")) from None


def run(args: argparse.Namespace) -> int:
    check_output_path(args.out)  # before the work, not after
    parse_intake(args.intake, "--intake")  # register_frame would call it "intake"
    # Never onto its own panel, mapping or groups file (nor through a link).
    inputs = (args.panel, args.mapping, args.groups, args.participants, args.persons)
    check_output(args.out, protect=[p for p in inputs if p])
    if args.participants:
        return _match(args)
    result = register_frame(
        args.panel, mapping=args.mapping, groups=args.groups, intake=args.intake,
        memory_limit=args.memory_limit, temp_directory=args.temp_dir, progress=not args.quiet,
    )
    # The same validation `evaluate` applies, so what is written is known to load.
    Cohort.from_frame(result.frame)
    write_cohort_frame(result.frame, args.out)
    for note in result.notes:
        print(translate(note, message_language(args)), file=sys.stderr)
    print(translate(message("register_wrote_persons", n=len(result.frame), path=args.out),
                    message_language(args)))
    return 0


def _match(args: argparse.Namespace) -> int:
    if args.groups:
        raise ConfigError(message("cli_participants_not_groups"))
    if args.intake:
        raise ConfigError(message("cli_intake_with_participants", name="--intake"))
    # match_controls checks these too, by its parameter names (k, tolerance, history_weeks).
    for flag, value, low in (("--controls", args.controls, 1), ("--tolerance", args.tolerance, 0),
                             ("--seed", args.seed, 0), ("--history-caliper",
                                                        args.history_caliper, 0),
                             ("--history-weeks", args.history_weeks, 1)):
        if value is not None and value < low:
            raise ConfigError(message("cfg_whole_number_at_least", name=flag, low=low,
                                      value=value))
    if args.history_caliper is not None and args.history_bands:
        raise ConfigError(message("match_spec", problems=(message(
            "match_spec_caliper_and_bands", caliper="--history-caliper",
            bands="--history-bands"),)))
    result = match_controls(
        args.panel, args.participants, mapping=args.mapping, k=args.controls, seed=args.seed,
        tolerance=args.tolerance, persons=args.persons,
        exact=[c.strip() for c in args.exact.split(",") if c.strip()],
        history_caliper=args.history_caliper, history_bands=_bands(args.history_bands),
        history_weeks=args.history_weeks, replace=args.with_replacement,
        later_participants=args.later_participants, memory_limit=args.memory_limit,
        temp_directory=args.temp_dir, progress=not args.quiet,
    )
    Cohort.from_frame(result.frame)
    write_cohort_frame(result.frame, args.out)
    for note in result.notes:
        print(translate(note, message_language(args)), file=sys.stderr)
    print(translate(message("register_wrote_matched", n=len(result.frame),
                            controls=result.counts["control_rows"], sets=len(result.eligible),
                            path=args.out), message_language(args)))
    return 0
