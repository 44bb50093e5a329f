"""Locks that the system drops when their process ends, however it ends.

Two locks keep runs apart. The token lock: one importer per token per machine,
since wolkvox refuses concurrent use of a token; its file is named after a slow
keyed hash of the token (:func:`lock_name`), never the token, and lives in a folder
every user of the machine shares.
The journal lock: one run writing a journal (see :mod:`importer.send.journal`).

Both are taken with filelock's native primitive on a file we open ourselves:
``flock`` on POSIX, ``LockFileEx`` on byte 0 on Windows. The system releases them
when the process ends, so a crashed run never leaves a stale lock. Why filelock:
it is pure Python on every platform; its Windows lock covers byte 0 only, so the
holder's PID written after that byte stays readable by the run it refuses; locking
a descriptor we opened lets us choose the file's permissions and never truncate
it; and it still imports where ``fcntl`` is missing, offering a marker-file lock
(which reclaims a dead holder's marker) that we fall back to there.

filelock is imported inside :func:`hold` only: a dry run takes no lock.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import subprocess
import sys
import tempfile
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, Self

from importer.errors import JournalError
from importer.i18n import _

#: Set to a folder to keep lock files there (tests use it).
ENV_VAR = "WOLKVOX_IMPORT_LOCK_DIR"
#: A shared folder: anyone may add a lock file, only its owner may remove it.
SHARED_MODE = 0o1777
#: A lock file every user can open, so that a run of another user can lock it too.
FILE_MODE = 0o666
#: Windows' well-known SID of the local Users group.
_USERS_SID = "*S-1-5-32-545"
_OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


class Hold(Protocol):
    """A lock held by this process."""

    def release(self) -> None:
        """Drop the lock."""


class _Native:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def release(self) -> None:
        from filelock import unlock_descriptor

        unlock_descriptor(self._fd)


class _Marker:
    def __init__(self, marker: object) -> None:
        self._marker = marker

    def release(self) -> None:
        self._marker.release()  # type: ignore[attr-defined]


def hold(fd: int, path: Path) -> Hold | None:
    """Lock the open file ``fd`` (the file at ``path``) without waiting; None when
    another process holds it. Closing ``fd`` releases the lock too."""
    with warnings.catch_warnings():
        # Where fcntl is missing filelock warns on import that only its marker lock
        # is left; that case is handled below, and ops have nothing to do about it.
        warnings.simplefilter("ignore")
        from filelock import SoftFileLock, Timeout, lock_descriptor
    try:
        return _Native(fd) if lock_descriptor(fd, blocking=False) else None
    except OSError as exc:
        if exc.errno != errno.ENOSYS:
            raise
    # No file locks on this system or file system: a marker file beside ``path``,
    # holding our PID, which the next run reclaims if that process is gone.
    marker = SoftFileLock(str(path) + ".lock", blocking=False)
    try:
        marker.acquire()
    except Timeout:
        return None
    return _Marker(marker)


def lock_dir() -> Path:
    """The folder every user of this machine shares for lock files.

    ``WOLKVOX_IMPORT_LOCK_DIR`` overrides it. On POSIX it is under ``/tmp``, not
    ``$TMPDIR``, which macOS gives each user their own; on Windows under
    ``%PROGRAMDATA%``, the folder for data of all users.
    """
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("PROGRAMDATA") or os.environ.get("ALLUSERSPROFILE")
        return Path(base or tempfile.gettempdir()) / "wolkvox-import" / "locks"
    tmp = Path("/tmp")
    return (tmp if tmp.is_dir() else Path(tempfile.gettempdir())) / "wolkvox-import-locks"


def personal_lock_dir() -> Path:
    """Where this user's lock files go when the shared folder cannot be used (made by
    another user and closed to us): still one lock per token for this user."""
    if sys.platform == "win32":
        return Path(tempfile.gettempdir()) / "wolkvox-import-locks"
    return Path(tempfile.gettempdir()) / f"wolkvox-import-locks-{os.getuid()}"


def share_folder(folder: Path, *, shared: bool = True) -> None:
    """Create ``folder`` (if needed) so that every user can add lock files to it, or
    (``shared=False``) only this user."""
    try:
        folder.mkdir(parents=True)
        created = True
    except FileExistsError:
        created = False
    if sys.platform == "win32":
        if created and shared:
            grant_users(folder)
        return
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    # mkdir's mode is cut by the umask: set it outright. Only the owner can; a
    # folder of another user is used as it is, if it lets us in.
    mode = SHARED_MODE if shared else 0o700
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != mode:
        folder.chmod(mode)


def grant_users(folder: Path, run: Callable[..., object] = subprocess.run) -> None:
    """Let the local Users group change what is in ``folder`` (Windows only): files
    made in it then inherit that, so another user's run can open our lock file.
    Best effort: without it another user still locks our file through a read-only
    handle; only the PID it shows may be out of date."""
    windows = Path(os.environ.get("SYSTEMROOT") or r"C:\Windows")
    command = [str(windows / "System32" / "icacls.exe"), str(folder), "/grant"]
    command += [f"{_USERS_SID}:(OI)(CI)M", "/Q"]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        run(command, capture_output=True, timeout=30, check=False)


#: scrypt's salt and costs for lock names. Fixed, so that every user's run names one
#: token's lock alike; the project's own, so that no table made for another use fits.
#: n=2**14, r=8 (16 MiB) costs about 50-100 ms per guess on an ordinary PC.
_SALT = b"wolkvox-import token lock name v1"
_COST = 2**14
_BLOCK = 8


def lock_name(token: str) -> str:
    """The lock file's name for ``token``: the same for every user with that token.

    The folder is readable by every local user, so the name must not let one check
    guesses at a token quickly, as a plain hash would (a GPU tries billions a second):
    scrypt makes each guess cost what it costs here, once per run (:class:`TokenLock`
    computes it once). The salt cannot be secret (other users' runs must find the same
    name), so it slows guessing without stopping it: a long token is what protects one.
    """
    digest = hashlib.scrypt(
        token.encode("utf-8"), salt=_SALT, n=_COST, r=_BLOCK, p=1, maxmem=64 * 2**20, dklen=16
    )
    return f"{digest.hex()}.lock"


class LockFile(ABC):
    """A lock file held open under the system's lock (see :func:`hold`) for as long as
    it is held, with what its holder wrote after byte 0 (the byte Windows locks and
    hides from other processes), for the process it refuses to name the holder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._hold: Hold | None = None

    @abstractmethod
    def acquire(self) -> Self:
        """Take the lock, or raise an :class:`~importer.errors.ImporterError` saying who
        holds it."""

    def _take(self, fd: int) -> list[str] | None:
        """Lock the open file ``fd``, and keep it until :meth:`release`: None. Held by
        another process: the lines its holder wrote, and ``fd`` closed."""
        try:
            held = hold(fd, self.path)
        except BaseException:
            os.close(fd)
            raise
        if held is None:
            try:
                os.lseek(fd, 1, os.SEEK_SET)
                lines = os.read(fd, 4096).decode("utf-8", "replace").split("\n")
            except OSError:
                lines = []
            finally:
                os.close(fd)
            return [line.strip() for line in lines]
        self._fd, self._hold = fd, held
        return None

    def _write(self, *lines: str) -> None:
        """Write ``lines`` after byte 0; written first, then the rest cut, so that what a
        refused process reads is never empty."""
        if self._fd is None:
            return
        record = "".join(f"\n{line}" for line in lines).encode("utf-8") + b"\n"
        with contextlib.suppress(OSError):  # a read-only handle: see _open_lock_file
            os.lseek(self._fd, 0, os.SEEK_SET)
            os.write(self._fd, record)
            os.ftruncate(self._fd, len(record))

    def release(self) -> None:
        """Drop the lock (closing the file, or ending the process, would too)."""
        if self._fd is not None:
            try:
                if self._hold is not None:
                    self._hold.release()
            finally:
                os.close(self._fd)
                self._fd = self._hold = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class TokenLock(LockFile):
    """An exclusive lock on one token for every user of this machine."""

    def __init__(self, token: str, directory: Path | None = None) -> None:
        self.name = lock_name(token)
        super().__init__((directory or lock_dir()) / self.name)

    def acquire(self) -> Self:
        """Take the lock or raise :class:`JournalError` naming the holder's PID."""
        holder = self._take(self._open())
        if holder is not None:
            pid = holder[0] if holder and holder[0].isdigit() else None
            raise JournalError(_busy_message(None if pid is None else int(pid)))
        self._write(str(os.getpid()))
        return self

    def _open(self) -> int:
        """Open the lock file in the shared folder, else in this user's own one."""
        folders = [(self.path.parent, True)]
        if os.environ.get(ENV_VAR) is None and self.path.parent == lock_dir():
            folders.append((personal_lock_dir(), False))
        failure: OSError | None = None
        for folder, shared in folders:
            try:
                share_folder(folder, shared=shared)
                fd = _open_lock_file(folder / self.name)
            except OSError as exc:
                failure = failure or exc
                if not isinstance(exc, PermissionError):
                    # Only a folder closed to us by another user sends us to our own one:
                    # any other failure there must not split the lock in two.
                    break
                continue
            self.path = folder / self.name
            return fd
        assert failure is not None
        raise JournalError(
            _(
                "cannot make a lock file in {folder} ({why}). Set {variable} to a folder "
                "you can write to."
            ).format(folder=self.path.parent, why=failure.strerror or failure, variable=ENV_VAR)
        ) from None


def _open_lock_file(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _OPEN_FLAGS, FILE_MODE)
    except PermissionError:
        # Another user's file that we may not write: flock and LockFileEx both lock
        # through a read-only handle too. Only our PID cannot be recorded in it.
        return os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    if sys.platform != "win32":
        with contextlib.suppress(OSError):  # not ours: its owner set the mode
            if os.fstat(fd).st_uid == os.geteuid():
                os.fchmod(fd, FILE_MODE)
    return fd


def _busy_message(pid: int | None) -> str:
    if pid is None:
        return _(
            "another wolkvox-import is already using this token on this machine; wolkvox "
            "refuses concurrent use of a token. Wait for it to finish."
        )
    return _(
        "another wolkvox-import (PID {pid}) is already using this token on this machine; "
        "wolkvox refuses concurrent use of a token. Wait for it to finish."
    ).format(pid=pid)
