"""glibc's heap, reached through ctypes: OCR's large arrays are given back to the system."""

from __future__ import annotations

import ctypes
import functools


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
