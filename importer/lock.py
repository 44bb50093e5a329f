"""One importer per token per machine: the token must never be used concurrently.

The lock file is named after a hash of the token (never the token itself) and
held with ``flock``, which the system releases when the process ends, however
it ends, so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

from importer.errors import JournalError


def lock_dir() -> Path:
    """Where lock files live (``WOLKVOX_IMPORT_LOCK_DIR`` overrides, for tests)."""
    override = os.environ.get("WOLKVOX_IMPORT_LOCK_DIR")
    return Path(override) if override else Path(tempfile.gettempdir()) / "wolkvox-import-locks"


class TokenLock:
    """An exclusive, process-wide lock on one token."""

    def __init__(self, token: str, directory: Path | None = None) -> None:
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()[:20]
        self.path = (directory or lock_dir()) / f"{digest}.lock"
        self._fd: int | None = None

    def acquire(self) -> TokenLock:
        """Take the lock or raise :class:`JournalError` naming the holder's PID."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise JournalError(
                f"another wolkvox-import (PID {holder}) is already using this token on this "
                f"machine; wolkvox refuses concurrent use of a token. Wait for it to finish."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None

    def __enter__(self) -> TokenLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
