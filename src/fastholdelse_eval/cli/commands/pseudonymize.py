"""``fastholdelse-eval pseudonymize``: replace CPR numbers with keyed pseudonyms.

::

    fastholdelse-eval pseudonymize --new-key KEY
    fastholdelse-eval pseudonymize PATH --key-file KEY --out PATH [--column person_id]
"""

from __future__ import annotations

import argparse
import sys
import warnings

from fastholdelse_eval.cli.main import message_language
from fastholdelse_eval.core.errors import ConfigError
from fastholdelse_eval.core.messages import error_text, message, translate
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
    parser.add_argument("--lang", default=None, choices=["en", "da"],
                        help="language of the messages, notes, warnings and problems listed "
                             "(default en; da: Danish)")


def run(args: argparse.Namespace) -> int:
    lang = message_language(args)
    if args.new_key:
        extra = [opt for opt, value in (("PATH", args.path), ("--key-file", args.key_file),
                                        ("--out", args.out), ("--column", args.column)) if value]
        if extra:
            raise ConfigError(message("cli_new_key_only", extra=", ".join(extra)))
        path = new_key(args.new_key)
        print(translate(message("pse_key_created", path=str(path)), lang))
        return 0
    missing = [opt for opt, value in (("PATH", args.path), ("--key-file", args.key_file),
                                      ("--out", args.out)) if not value]
    if missing:
        raise ConfigError(message("cli_pseudonymize_missing", missing=", ".join(missing)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = pseudonymize_file(args.path, args.key_file, args.out, column=args.column)
    print(translate(message("pse_done", out=args.out, rows=summary.rows,
                            persons=summary.persons, column=summary.column), lang))
    for note in summary.notes:
        print(f"  note: {translate(note, lang)}")
    for w in caught:
        # A keyed warning carries its message as its one argument.
        print(f"  warning: {translate(error_text(w.message), lang)}", file=sys.stderr)
    return 0
