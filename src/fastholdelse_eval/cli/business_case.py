"""The business-case options on the command line, shared by ``evaluate`` and ``report``.

The flags fill the same :class:`~fastholdelse_eval.core.options.BusinessCaseOptions` as a study
TOML's ``[business_case]`` table: with ``report study.toml`` the flags given override the table's
values one by one (the rest stay as the TOML says); without a table (``evaluate``, or ``report``
on a bare data file) the flags are the whole business case, and ``--weekly-benefit`` is then
required. No flag given means no change: no business case, or the TOML's unchanged.
"""

from __future__ import annotations

import argparse

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import error_text, message, renamed
from fastholdelse_eval.core.options import COST_PAYERS, BusinessCaseOptions

# option attribute -> command-line flag (the business case's horizon has its own flag because
# evaluate's --horizon-weeks is the horizon of the durations).
FLAGS = {
    "weekly_benefit": "--weekly-benefit",
    "benefit_year": "--benefit-year",
    "municipality_share": "--municipality-share",
    "cost_per_participant": "--cost-per-participant",
    "cost_per_week": "--cost-per-week",
    "value_of_work_week": "--value-of-work-week",
    "horizon_weeks": "--business-horizon-weeks",
    "cost_payer": "--cost-payer",
    "bootstrap": "--bootstrap",
    "seed": "--seed",
    "sensitivity": "--sensitivity",
    "reference_weeks": "--assumed-reference-weeks",
    "reference_se": "--assumed-reference-se",
    "reference_low": "--assumed-reference-low",
    "reference_high": "--assumed-reference-high",
}
_DEST = {name: "bc_" + name for name in FLAGS}


def add_business_case_arguments(parser: argparse.ArgumentParser) -> None:
    """The business-case flags, in their own group of ``--help``; every default is None
    (= not given), so that a TOML's value is overridden only by a flag the user typed."""
    g = parser.add_argument_group(
        "business case", "what the intervention saves (the same inputs as a study TOML's "
        "[business_case]; flags override the TOML's values). Figures are yours: the package "
        "ships no rates.")
    d = _DEST
    g.add_argument(FLAGS["weekly_benefit"], dest=d["weekly_benefit"], type=float,
                   metavar="KR", help="benefit paid per benefit week, in kroner, for the "
                   "study's year (needed for a business case unless the TOML gives it)")
    g.add_argument(FLAGS["benefit_year"], dest=d["benefit_year"], type=int, metavar="YEAR",
                   help="the year of --weekly-benefit's rate (shown with it)")
    g.add_argument(FLAGS["municipality_share"], dest=d["municipality_share"],
                   metavar="SHARE", help="share of the benefit the municipality pays: one "
                   "number (1.0) or a schedule by week of spell, from_week:share pairs, e.g. "
                   "\"0:1,4:0.5\" (default 1.0)")
    g.add_argument(FLAGS["cost_per_participant"], dest=d["cost_per_participant"], type=float,
                   metavar="KR", help="the project's fixed cost per participant (default 0)")
    g.add_argument(FLAGS["cost_per_week"], dest=d["cost_per_week"], type=float, metavar="KR",
                   help="the project's cost per week a participant is on benefit, up to the "
                   "horizon (default 0)")
    g.add_argument(FLAGS["value_of_work_week"], dest=d["value_of_work_week"], type=float,
                   metavar="KR", help="value of a week in work, for a societal view (default: "
                   "none)")
    g.add_argument(FLAGS["horizon_weeks"], dest=d["horizon_weeks"], type=float, metavar="W",
                   help="weeks over which savings are counted (default: the evaluation's "
                   "horizon)")
    g.add_argument(FLAGS["cost_payer"], dest=d["cost_payer"], choices=COST_PAYERS,
                   help="who pays the project (default municipality)")
    g.add_argument(FLAGS["bootstrap"], dest=d["bootstrap"], type=int, metavar="B",
                   help="person-level bootstrap replicates checking the delta-method "
                   "intervals: 0 (none) or ≥ 100 (default 1000)")
    g.add_argument(FLAGS["seed"], dest=d["seed"], type=int, metavar="S",
                   help="seed of the bootstrap (default 20091008)")
    g.add_argument(FLAGS["sensitivity"], dest=d["sensitivity"], type=float, metavar="REL",
                   help="relative change of rate and cost in the sensitivity table "
                   "(default 0.25 = ±25 %%)")
    g.add_argument(FLAGS["reference_weeks"], dest=d["reference_weeks"], type=float,
                   metavar="W", help="participants only (no control group): the ASSUMED "
                   "benefit weeks per person within --business-horizon-weeks (then required) "
                   "without the project; the business case is labelled as resting on it")
    g.add_argument(FLAGS["reference_se"], dest=d["reference_se"], type=float, metavar="W",
                   help="standard error of --assumed-reference-weeks (enters the intervals)")
    g.add_argument(FLAGS["reference_low"], dest=d["reference_low"], type=float, metavar="W",
                   help="low end of the reference's plausible range (sensitivity table)")
    g.add_argument(FLAGS["reference_high"], dest=d["reference_high"], type=float, metavar="W",
                   help="high end of the reference's plausible range (sensitivity table)")


def business_case_options(args: argparse.Namespace,
                          base: BusinessCaseOptions | None = None) -> BusinessCaseOptions | None:
    """The business case of the command line: ``base`` (the TOML's, or None) with the flags
    the user gave applied; a bad or missing value is an error naming its flag."""
    changes = {name: getattr(args, dest) for name, dest in _DEST.items()
               if getattr(args, dest, None) is not None}
    if not changes:
        return base
    if base is None and "weekly_benefit" not in changes:
        given = ", ".join(FLAGS[name] for name in changes)
        raise ConfigError(message("cli_weekly_benefit_missing", name="--weekly-benefit",
                                  given=given))
    try:
        return BusinessCaseOptions(**changes) if base is None else base.replace(**changes)
    except ConfigError as exc:  # name the flag as the user typed it (or the TOML's key)
        name, sep, rest = str(exc).partition(":")
        if sep and name in changes:
            raise ConfigError(renamed(error_text(exc), FLAGS[name])
                              or f"{FLAGS[name]}:{rest}") from None
        raise
