"""The ``fastholdelse-eval`` command line (see :mod:`fastholdelse_eval.cli.main`)."""

from fastholdelse_eval.cli.main import main

__all__ = ["main"]
