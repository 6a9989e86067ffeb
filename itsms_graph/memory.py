"""How the process gives freed memory back to the system: a policy for the allocator, set once by the command.

An import makes and drops lists of a batch's values by the thousand (65,536 pointers, 512 KiB each). glibc's
malloc maps a block above its mmap threshold on its own, but each time such a block is freed it raises the
threshold to that block's size (up to 32 MiB); from then on large blocks come from the heap, and the heap keeps
what is freed in it. :func:`return_freed_blocks` pins the threshold at 1 MiB: a block larger than that is mapped,
and unmapped when freed, however many were freed before. At glibc's initial 128 KiB (the pin until 2026-12-07,
which lowered the row importer's peak by 40 to 125 MiB) every 256 KiB block duckdb allocates was mapped too, and
faulted in afresh page by page each time the import's inserts and folds made one: `check -p bpic2014` spent 2.6 s
of its 9 s of CPU in the kernel (876k page faults; duckdb alone reading the files and checking them, 76k). At
1 MiB (four alternated runs): wall 6.24 to 5.62 s, system CPU 2.71 to 2.19 s, 879k to 731k page faults, peak
unchanged (586 to 588 MiB); x4 with a 1 GB limit 25.4 to 21.5 s, peak 1363 to 1374 MiB; the generated million's
snapshot `check` and `report` peak unchanged within 15 MiB; the row importer (`--backend networkx`) 15.8 to
14.7 s, peak 933 to 984 MiB.

Arrow allocates its buffers from its own bundled allocator (mimalloc in the Linux wheels), which keeps what is
freed for its heaps to reuse: an import frees a file's columns while the reader thread fills the next file's.
:func:`arrow_from_malloc` has Arrow allocate from the system's malloc instead (so, with the threshold above, a
freed column goes back at once). `check -p bpic2014`: peak 710 to 589 MiB, wall and CPU time unchanged (medians of
five alternated runs each); x4, 1329 to 1104 MiB, CPU +1 %. :func:`command_policy` sets both.

What Arrow's pool keeps of the memory freed in it is given back by :func:`release_arrow_memory` (the import does
so after each file) where the pool is one of Arrow's own allocators, which keep it. From the system's malloc a
large block goes back when freed (the threshold above), and Arrow's ``release_unused`` is ``malloc_trim``, which
hands back every free page of every heap, to be faulted in again by the next allocations: on BPIC 2014 it handed
back 520 MiB (traced with perf), and leaving it out took the whole command from 3.29 to 3.20 s (median of six
alternated runs), page faults 596k to 564k, peak 712 to 707 MiB.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys

#: mallopt's parameter number for the mmap threshold (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
#: the threshold, kept fixed: above duckdb's 256 KiB blocks, which the heap then reuses (see the module)
_THRESHOLD = 1024 * 1024
#: the environment variable glibc reads for the same setting at start-up: a user's own value is left alone
ENVIRONMENT = "MALLOC_MMAP_THRESHOLD_"
#: the environment variable Arrow reads for its default memory pool when it first makes it (a user's own kept)
ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"


def command_policy() -> None:
    """The allocator policy a command sets for its process, before anything is allocated (see the module)."""
    return_freed_blocks()
    arrow_from_malloc()


def arrow_from_malloc() -> bool:
    """Have Arrow allocate from the system's malloc, not its bundled allocator (see the module), on Linux, where it
    was measured; return whether it was set. Nothing changes when the environment already names a pool, or once
    pyarrow is loaded (its pool may exist already)."""
    if not sys.platform.startswith("linux") or ARROW_POOL in os.environ or "pyarrow" in sys.modules:
        return False
    os.environ[ARROW_POOL] = "system"
    return True


@functools.cache
def return_freed_blocks() -> bool:
    """Pin glibc malloc's mmap threshold at 1 MiB for the rest of the process (see the module); return whether it
    was set. Nothing changes elsewhere than Linux with glibc, or when the environment already sets it."""
    if not sys.platform.startswith("linux") or ENVIRONMENT in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # musl's mallopt accepts nothing and returns 0
    return bool(mallopt(_M_MMAP_THRESHOLD, _THRESHOLD))


def release_arrow_memory() -> None:
    """Give back what Arrow's memory pool keeps of what was freed in it, where it keeps it (its bundled allocators;
    not the system's malloc, see the module)."""
    import pyarrow as pa

    pool = pa.default_memory_pool()
    if pool.backend_name != "system":
        pool.release_unused()
