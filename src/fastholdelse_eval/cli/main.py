"""The ``fastholdelse-eval`` command line.

Errors the user can cause exit non-zero with a short message and no traceback; ``--debug``
shows the traceback. Messages never echo personal values.

Start-up: the command modules import what their options and work need (pandas, the analysis and
report stacks). So that ``--help`` and a quick ``validate`` do not pay for all of them, the
commands' names and one-line help live in :data:`COMMANDS`, and only the module of the command
being run is imported (tests check that the table agrees with each module's ``NAME`` and
``HELP``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tomllib
from collections.abc import Iterable, Sequence

from fastholdelse_eval.cli.usage import Parser, requested_language
from fastholdelse_eval.core.errors import FastholdelseError, printable
from fastholdelse_eval.core.files import run_guard
from fastholdelse_eval.core.version import __version__
from fastholdelse_eval.data.localize import LANGUAGES, localized

EXIT_USER_ERROR = 2

# name -> one-line help, in the order ``--help`` lists them. A command's module is
# ``fastholdelse_eval.cli.commands.<name>`` and defines NAME, HELP, add_arguments(), run().
COMMANDS: dict[str, str] = {
    "validate": "check a cohort or aggregate-counts file; exit 0 if valid, 1 with every problem "
                "listed",
    "evaluate": "evaluate intervention vs control and print or write the tidy result table",
    "simulate": "write a seeded synthetic cohort for demos and tests (no real persons)",
    "pseudonymize": "replace CPR numbers with keyed pseudonyms (HMAC-SHA256); same key = same "
                    "pseudonym in every file",
    "compare": "compare municipalities: per-site effects, pooled fixed and random effects, "
               "heterogeneity and risk-adjusted benchmarks",
    "register": "derive a study cohort (one index sickness spell per person) from a weekly "
                "register panel, wide (y_YYWW columns) or long (person_id, week, code), CSV or "
                "Parquet",
    "report": "write the evaluation report (HTML, Markdown, PDF; Danish/English) for a study "
              "config or a cohort file",
}


def command_module(name: str) -> str:
    """The module that implements command ``name``."""
    return f"fastholdelse_eval.cli.commands.{name}"


def build_parser(commands: Iterable[str] | None = None,
                 lang: str = "en") -> argparse.ArgumentParser:
    """The parser; every command's options, or only those of ``commands`` (the others are listed
    with their help but take no options: enough for ``--help`` and for parsing one command).
    Its usage errors are written in ``lang``."""
    full = set(COMMANDS) if commands is None else set(commands)
    parser = Parser(
        lang=lang,
        prog="fastholdelse-eval",
        description="Evaluate sick-leave job-retention interventions against control groups.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, lang=lang)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks on errors")
        if name in full:
            module = importlib.import_module(command_module(name))
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def requested_command(argv: Sequence[str]) -> str | None:
    """The command named on the command line, if it is one (the top-level options take no
    value, so it is the first word that is not an option)."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = requested_command(argv)
    parser = build_parser([command] if command else [], requested_language(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USER_ERROR
    debug = getattr(args, "debug", False)
    # Everything the command prints passes through escaping of terminal control characters
    # (a municipality name or a label can hold an escape sequence); the files this run reads
    # are protected from its outputs.
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        with run_guard():
            return _run(args, debug)
    finally:
        sys.stdout, sys.stderr = out, err


class SafeStream:
    """A text stream that writes control characters as visible escapes (see
    :func:`~fastholdelse_eval.core.errors.printable`)."""

    def __init__(self, stream: object):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def message_language(args: argparse.Namespace) -> str:
    """The language of error messages: ``--lang`` (the first, if several), else a study
    TOML's ``language``, else English."""
    lang = getattr(args, "lang", None)
    if not lang:
        path = getattr(args, "path", None) or getattr(args, "config", None)
        if isinstance(path, str) and path.lower().endswith(".toml"):
            try:
                with open(path, "rb") as fh:
                    lang = tomllib.load(fh).get("language")
            except (OSError, tomllib.TOMLDecodeError):
                lang = None
    if isinstance(lang, list):
        lang = lang[0] if lang else None
    lang = str(lang or "en").split(",")[0].strip()
    return lang if lang in LANGUAGES else "en"


def _run(args: argparse.Namespace, debug: bool) -> int:
    try:
        return int(args._run(args) or 0)
    except FastholdelseError as exc:
        if debug:
            raise
        print(f"fastholdelse-eval {args.command}: {localized(exc, message_language(args))}",
              file=sys.stderr)
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
    except (ValueError, ArithmeticError) as exc:
        if debug:
            raise
        # A last resort for a numpy/scipy/statistics error that no check turned into a package
        # error: its text may quote data values, so only its kind is shown.
        print(f"fastholdelse-eval {args.command}: the computation failed "
              f"({type(exc).__name__}); the data may be too small or degenerate for this "
              "analysis. Run again with --debug for details.", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
