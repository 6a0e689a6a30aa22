"""``fastholdelse-eval simulate``: write a synthetic cohort (and its aggregate counts)."""

from __future__ import annotations

import argparse

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.data.sample_progression import simulate_progression, write_progression_csv
from fastholdelse_eval.data.simulate import SCENARIOS, aggregate_counts, write_danish_csv

NAME = "simulate"
HELP = "write a seeded synthetic cohort for demos and tests (no real persons)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="greve", choices=sorted(SCENARIOS),
                        help="greve: the published Greve 2009 counts exactly; "
                             "generic: any size (--n per arm); "
                             "aktive17: the synthetic 17-municipality study; "
                             "confounded: participants differ from controls, known true "
                             "effect (--n persons in all)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (scenario default)")
    parser.add_argument("--n", type=int, default=None,
                        help="persons per arm (generic), in all (confounded)")
    parser.add_argument("--out", required=True, help="person-level CSV to write")
    parser.add_argument("--aggregate-out", help="also write the aggregate-counts CSV here")
    parser.add_argument("--progression-out",
                        help="also write synthetic WHO-5 progression measurements for the "
                             "cohort's persons here (same seed)")


def run(args: argparse.Namespace) -> int:
    if args.n is not None and args.n < 1:
        raise ConfigError(message("cli_at_least_1", name="--n"))
    kwargs = {"n": args.n}
    if args.seed is not None:
        kwargs["seed"] = args.seed
    frame = SCENARIOS[args.scenario](**kwargs)
    write_danish_csv(frame, args.out)
    print(f"wrote {len(frame)} synthetic persons to {args.out}")
    if args.aggregate_out:
        write_danish_csv(aggregate_counts(frame), args.aggregate_out, aggregate=True)
        print(f"wrote aggregate counts to {args.aggregate_out}")
    if args.progression_out:
        seed = kwargs.get("seed", 2009)
        measurements = simulate_progression(frame, seed=seed)
        write_progression_csv(measurements, args.progression_out)
        print(f"wrote {len(measurements)} synthetic progression answers to "
              f"{args.progression_out}")
    return 0
