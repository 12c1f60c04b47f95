"""Process memory settings for the per-image loops (no numpy, no torch).

A per-image loop allocates and frees the same few arrays for every image
(a decoded 500 x 375 map is 180 KB, its masks and temporaries as much).
With glibc's default thresholds such blocks are mapped for each allocation
(above 128 KB) or handed back to the system when freed at the top of the
heap, so every image faults the same pages in again: about 100 page faults
per image in the select stage, a tenth of its time (measured). Raising the
two thresholds keeps freed memory for the next image.
"""
import ctypes
import ctypes.util

#: mallopt parameters of glibc (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: freed memory kept for reuse, at most (bytes)
KEEP_BYTES = 32 << 20

_done = False


def reuse_freed_memory(keep_bytes=KEEP_BYTES):
    """Have glibc's allocator keep up to ``keep_bytes`` of freed memory
    (and serve blocks below that size from the heap) instead of returning
    it to the system; once per process. A no-op where the C library has no
    ``mallopt`` (not glibc). Returns whether the setting was applied."""
    global _done
    if _done:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = bool(mallopt(_M_MMAP_THRESHOLD, keep_bytes)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, keep_bytes))
    _done = ok
    return ok
