"""Work in a second thread while the caller goes on: loading hashes the file while it is
validated, and validation parses dates and looks for duplicate ids while it checks labels.
numpy, hashlib and Arrow let go of the GIL in their loops, so on two cores this is wall time
saved; the caller collects each result with ``.result()``, which re-raises what the task raised.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


def in_background(task: Callable[..., Any], *args: Any) -> Future:
    """``task(*args)`` in a thread of its own, started now."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(task, *args)
    finally:
        pool.shutdown(wait=False)  # the thread ends when the task does
