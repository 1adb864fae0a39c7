"""Uploaded bytes stored once by content hash under ``DATA_DIR/blobs``.

Writes go to a temporary file in the same folder and are renamed into place, so a crash or a full
disk never leaves half a blob under a real name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from ..errors import StorageError


def write_whole(target: Path, data: bytes, *, what: str, durable: bool) -> None:
    """``data`` at ``target`` whole or not at all (a temporary file renamed into place; the last
    of concurrent writers wins); ``durable``: fsync before the rename. Any failure, a full disk
    at any step included, is a ``StorageError`` and leaves no temporary file behind."""
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise StorageError(f"cannot store {what} in DATA_DIR: {exc.strerror or exc}") from exc


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")  # one match, not a test per character (every upload)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if _SHA256_HEX.fullmatch(sha256) is None:
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, digest: str | None = None) -> str:
        """Store ``data`` under its SHA-256 (``digest`` when the caller computed it already)."""
        digest = digest or hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest  # the same file twice is stored once
        write_whole(target, data, what="the upload", durable=True)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()
