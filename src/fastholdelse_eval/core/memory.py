"""Give memory freed by a large step back to the operating system.

Loading a cohort makes many short-lived arrays of a few megabytes each (a mask or a code per
row). glibc's allocator serves arrays of that size from its heap once larger ones have come and
gone (its mmap threshold grows up to 32 MB), and keeps the freed heap pages: at 5M persons
about 200 MB stayed resident after loading, on top of the cohort itself, and counted in the
peak of the ``evaluate`` that followed. ``malloc_trim`` returns those pages; the data are not
touched. Elsewhere (macOS, Windows, musl) only Arrow's pool is asked.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache
from typing import Any


@cache
def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def release_free_memory() -> bool:
    """Return the allocators' free pages to the system: Arrow's pool (when pyarrow is loaded)
    and glibc's heap; True if glibc's could be asked."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:  # its pool (mimalloc) also keeps freed pages for a while
        arrow.default_memory_pool().release_unused()
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
