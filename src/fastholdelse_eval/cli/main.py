"""The ``fastholdelse-eval`` command line.

Errors the user can cause exit non-zero with a short message and no traceback; ``--debug``
shows the traceback. Messages never echo personal values.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from fastholdelse_eval.cli.commands import COMMAND_MODULES
from fastholdelse_eval.core.errors import FastholdelseError
from fastholdelse_eval.core.version import __version__

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastholdelse-eval",
        description="Evaluate sick-leave job-retention interventions against control groups.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"fastholdelse_eval.cli.commands.{name}")
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks on errors")
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USER_ERROR
    debug = getattr(args, "debug", False)
    try:
        return int(args._run(args) or 0)
    except FastholdelseError as exc:
        if debug:
            raise
        print(f"fastholdelse-eval {args.command}: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:
        if debug:
            raise
        # OSError text can carry a path but never a cell value.
        print(f"fastholdelse-eval {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
