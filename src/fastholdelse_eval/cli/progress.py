"""Progress lines on standard error for the long commands (``report``, ``compare``).

Shown when standard error is a terminal, so a person waiting 10-30 s sees what is happening;
silent when it is not (pipes, CI, cron logs stay clean) or with ``--quiet``.
``FASTHOLDELSE_PROGRESS=1`` forces them on (e.g. for a log file).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable


def progress(command: str, quiet: bool) -> Callable[[str], None] | None:
    """A function printing ``[command  1.2s] text`` on stderr, or None when silent."""
    forced = os.environ.get("FASTHOLDELSE_PROGRESS", "") == "1"
    if quiet or not (forced or sys.stderr.isatty()):
        return None
    start = time.monotonic()

    def say(text: str) -> None:
        print(f"[{command} {time.monotonic() - start:5.1f}s] {text}", file=sys.stderr,
              flush=True)

    return say
