"""Sub-commands of the ``fastholdelse-eval`` command line.

Each module here defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Add a command by adding its module name to :data:`COMMAND_MODULES`; keep option parsing in the
command module and the work in the library, so Python and CLI users get the same behaviour.
"""

COMMAND_MODULES = [
    "validate",
    "evaluate",
    "simulate",
    "pseudonymize",
    "compare",
    "register",
    "report",
]
