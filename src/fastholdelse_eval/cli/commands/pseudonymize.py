"""``fastholdelse-eval pseudonymize``: replace CPR numbers with keyed pseudonyms.

::

    fastholdelse-eval pseudonymize --new-key KEY
    fastholdelse-eval pseudonymize PATH --key-file KEY --out PATH [--column person_id]
"""

from __future__ import annotations

import argparse
import sys
import warnings

from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import message
from fastholdelse_eval.privacy.pseudonymize import new_key, pseudonymize_file

NAME = "pseudonymize"
HELP = ("replace CPR numbers with keyed pseudonyms (HMAC-SHA256); same key = same pseudonym in "
        "every file")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?",
                        help="file with CPR numbers (.csv, .xlsx, .parquet): cohort, groups "
                             "file or register panel")
    parser.add_argument("--key-file", help="the secret key file (see --new-key)")
    parser.add_argument("--out", help="where to write the pseudonymised file (same format; "
                                      "never the input)")
    parser.add_argument("--column",
                        help="column holding the CPR numbers (default: person_id or one of its "
                             "accepted spellings: id, borger_id, pseudonym)")
    parser.add_argument("--new-key", metavar="KEY",
                        help="create a new random key file (owner-only permissions) and exit; "
                             "never overwrites")


def run(args: argparse.Namespace) -> int:
    if args.new_key:
        extra = [opt for opt, value in (("PATH", args.path), ("--key-file", args.key_file),
                                        ("--out", args.out), ("--column", args.column)) if value]
        if extra:
            raise ConfigError(message("cli_new_key_only", extra=", ".join(extra)))
        path = new_key(args.new_key)
        print(f"created key file {path} (256-bit, readable by you only). Keep it apart from the "
              "data: anyone holding it and the data can re-identify persons; losing it means "
              "the next extract gets new pseudonyms that do not link to earlier ones.")
        return 0
    missing = [opt for opt, value in (("PATH", args.path), ("--key-file", args.key_file),
                                      ("--out", args.out)) if not value]
    if missing:
        raise ConfigError(message("cli_pseudonymize_missing", missing=", ".join(missing)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = pseudonymize_file(args.path, args.key_file, args.out, column=args.column)
    print(f"{args.out}: {summary.rows} rows, {summary.persons} persons; column "
          f"'{summary.column}' pseudonymised, every other column unchanged")
    for note in summary.notes:
        print(f"  note: {note}")
    for w in caught:
        print(f"  warning: {w.message}", file=sys.stderr)
    return 0
