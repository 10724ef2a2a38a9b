"""Keep freed memory in the process for the batch commands (glibc's allocator).

glibc serves every allocation over its mmap threshold (at most 32 MiB) with a fresh ``mmap``
and gives it back with ``munmap`` when freed, so a step that makes a 384 MB temporary
array, frees it and makes another touches new pages each time. On the build machines
(virtual machines that hand freed guest memory back to the host) a new page costs a fault
of ~3 ms a megabyte of system time: the encoder export and quantisation spent more time in
the kernel than in Python. :func:`retain_freed_memory` makes the allocator take large blocks
from the heap and keep what is freed for the next allocation (``mallopt``: no mmap, a 1 GiB
trim threshold). For a build or an ingest, which run for a minute and exit; not for the
server, whose memory should shrink again after a large upload.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
# Freed memory at the top of the heap beyond this is returned to the system.
_TRIM_THRESHOLD = 1 << 30


def retain_freed_memory() -> bool:
    """Tell glibc's allocator to serve large blocks from the heap and keep freed memory for
    reuse. True when it did; False elsewhere (another C library or platform), which changes
    nothing but speed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success; musl's stub returns 0 and does nothing.
    done = mallopt(_M_MMAP_MAX, 0) == 1 and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1
    log.debug("allocator: freed memory %s", "kept for reuse" if done else "handled as by default")
    return done
