"""glibc's heap, reached through ctypes: OCR's large arrays are given back to the system."""

from __future__ import annotations

import ctypes
import functools

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 128 * 1024
"""glibc's default threshold, held fixed (``freed_blocks_returned``)."""


@functools.cache
def libc() -> ctypes.CDLL | None:
    """glibc, loaded once; None elsewhere (musl, macOS): nothing to give back this way."""
    try:
        lib = ctypes.CDLL("libc.so.6")
        lib.malloc_trim.argtypes, lib.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return lib


def trim() -> None:
    """The heap's free blocks given back to the system (``malloc_trim``)."""
    lib = libc()
    if lib is not None:
        lib.malloc_trim(0)


@functools.cache
def freed_blocks_returned() -> None:
    """Blocks of ``MMAP_THRESHOLD`` and more mapped on their own, so that a page's arrays go
    back to the system when freed: glibc raises its threshold to the largest block freed, and
    then keeps the next pages' arrays in a heap that only grows (6 receipts and 3 pages with
    ``auto``: peak RSS 425 -> 374 MB, docs/ocr.md). Not glibc (musl, macOS): nothing to do."""
    lib = libc()
    if lib is not None:
        lib.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
