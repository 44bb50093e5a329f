"""The token lock: one importer per token for every user of the machine, never stale."""

import errno
import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from importer import i18n
from importer.errors import JournalError
from importer.send import lock
from importer.send.lock import TokenLock

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def test_second_lock_on_the_same_token_names_the_holder(tmp_path):
    with TokenLock("t0ken", tmp_path):
        with pytest.raises(JournalError, match=rf"another wolkvox-import \(PID {os.getpid()}\)"):
            TokenLock("t0ken", tmp_path).acquire()
        TokenLock("other", tmp_path).acquire().release()  # other tokens are free
    TokenLock("t0ken", tmp_path).acquire().release()  # released on exit


def test_the_refusal_is_in_spanish_too(tmp_path):
    refused = rf"otro wolkvox-import \(PID {os.getpid()}\) ya está usando este token"
    with TokenLock("t0ken", tmp_path), i18n.using("es"), pytest.raises(JournalError, match=refused):
        TokenLock("t0ken", tmp_path).acquire()


def test_lock_file_name_does_not_reveal_the_token(tmp_path):
    lock_ = TokenLock("t0ken-visible", tmp_path)
    assert "t0ken" not in lock_.path.name
    with lock_:
        assert "t0ken" not in lock_.path.read_text(encoding="ascii")


def test_lock_file_name_is_no_plain_hash_of_the_token_yet_stable_per_token():
    """Anyone on the machine can list the lock folder: a fast unsalted hash would let
    them test guessed tokens by the billion against the names."""
    token = "t0ken-visible"
    name = lock.lock_name(token)
    stem = name.removesuffix(".lock")
    for algorithm in ("md5", "sha1", "sha256", "sha512", "blake2b", "sha3_256"):
        plain = hashlib.new(algorithm, token.encode("utf-8")).hexdigest()
        assert not plain.startswith(stem[:16]), algorithm  # not a prefix of a plain hash
    assert re.fullmatch(r"[0-9a-f]{32}\.lock", name)
    assert lock.lock_name(token) == name  # every run of every user finds the same file
    assert lock.lock_name(token + "x") != name
    assert TokenLock(token, Path("elsewhere")).name == name


def test_lock_file_name_is_scrypt_with_the_projects_salt():
    expected = hashlib.scrypt(
        b"t0ken", salt=b"wolkvox-import token lock name v1", n=2**14, r=8, p=1,
        maxmem=64 * 2**20, dklen=16,
    )  # fmt: skip
    assert lock.lock_name("t0ken") == f"{expected.hex()}.lock"


def test_two_users_with_the_same_token_meet_on_one_lock(tmp_path):
    first, second = TokenLock("shared-t0ken", tmp_path), TokenLock("shared-t0ken", tmp_path)
    assert first.path == second.path
    with first, pytest.raises(JournalError, match="already using this token"):
        second.acquire()


@POSIX
def test_the_lock_folder_and_files_are_open_to_every_user(tmp_path):
    folder = tmp_path / "shared" / "locks"
    old = os.umask(0o077)  # the strictest umask a user may have
    try:
        with TokenLock("t0ken", folder) as held:
            assert stat.S_IMODE(folder.stat().st_mode) == 0o1777  # sticky: no one removes others'
            assert stat.S_IMODE(held.path.stat().st_mode) == 0o666
    finally:
        os.umask(old)


def test_windows_lets_every_user_change_the_lock_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SYSTEMROOT", r"C:\Windows")
    issued = []
    lock.grant_users(tmp_path, run=lambda command, **kw: issued.append(command))
    ((icacls, folder, *grant),) = issued
    assert Path(icacls).name == "icacls.exe" and folder == str(tmp_path)
    assert grant == ["/grant", "*S-1-5-32-545:(OI)(CI)M", "/Q"]  # the local Users group


def test_the_default_folder_is_shared_by_the_users_of_the_machine(monkeypatch):
    monkeypatch.delenv("WOLKVOX_IMPORT_LOCK_DIR")
    monkeypatch.setattr(tempfile, "tempdir", "/var/folders/xy/T")  # macOS: one per user
    expected = (
        Path(os.environ.get("PROGRAMDATA", "")) / "wolkvox-import" / "locks"
        if sys.platform == "win32"
        else Path("/tmp/wolkvox-import-locks")
    )
    assert lock.lock_dir() == expected


def test_where_file_locks_are_missing_a_marker_file_keeps_runs_apart(tmp_path, monkeypatch):
    """Without flock (some file systems, or fcntl removed) filelock's marker lock is used."""
    import filelock

    def no_flock(fd, blocking=True):
        raise OSError(errno.ENOSYS, "fcntl is unavailable")

    monkeypatch.setattr(filelock, "lock_descriptor", no_flock)
    with TokenLock("t0ken", tmp_path) as held:
        assert Path(f"{held.path}.lock").exists()
        with pytest.raises(JournalError, match=rf"\(PID {os.getpid()}\) is already using"):
            TokenLock("t0ken", tmp_path).acquire()
    assert not Path(f"{held.path}.lock").exists()
    TokenLock("t0ken", tmp_path).acquire().release()


def test_the_holder_pid_is_left_out_when_it_cannot_be_read(tmp_path):
    with TokenLock("t0ken", tmp_path) as held:
        held.path.write_bytes(b"\n")  # as a holder that could not record its PID
        with pytest.raises(JournalError) as refused:
            TokenLock("t0ken", tmp_path).acquire()
    assert str(refused.value).startswith(
        "another wolkvox-import is already using this token on this machine"
    )


# Two users of one machine, for real: as root, forked children switch to the user
# nobody (the interpreter may live where nobody cannot start it, hence fork).

NOBODY = 65534
#: The lock file of the token "shared-t0ken": a slow keyed hash of it, never the token.
LOCK_FILE = lock.lock_name("shared-t0ken")


def _take(user, hold, conn):
    try:
        if user is not None:
            os.setgid(user)
            os.setuid(user)
        held = TokenLock("shared-t0ken").acquire()
        conn.send(f"held {held.path}")
        if hold:
            conn.recv()  # until it is killed
    except BaseException as exc:  # whatever happens, the test reads it
        conn.send(f"{type(exc).__name__}: {exc}")


class Run:
    """A forked child taking the token lock, as root or as another user."""

    def __init__(self, user=None, hold=False):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_take, args=(user, hold, child), daemon=True)
        self.process.start()

    def said(self):
        assert self.conn.poll(30), "the child said nothing"
        return self.conn.recv()


@pytest.fixture
def machine(monkeypatch):
    """Lock folders both users can reach, used as the default ones."""
    if sys.platform == "win32" or os.geteuid() != 0:
        pytest.skip("switching users needs root")
    base = Path(tempfile.mkdtemp(prefix="wolkvox-users-", dir="/tmp"))
    base.chmod(0o1777)
    monkeypatch.delenv("WOLKVOX_IMPORT_LOCK_DIR")  # the default folders, as in real use
    monkeypatch.setattr(lock, "lock_dir", lambda: base / "locks")
    personal = lambda: base / f"personal-{os.geteuid()}"  # noqa: E731
    monkeypatch.setattr(lock, "personal_lock_dir", personal, raising=False)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_another_user_is_refused_and_named_never_a_permission_error(machine):
    first = Run(hold=True)
    assert first.said() == f"held {machine / 'locks' / LOCK_FILE}"
    refused = Run(user=NOBODY).said()
    assert refused.startswith(
        f"JournalError: another wolkvox-import (PID {first.process.pid}) is already using"
    )
    # The first run dies without releasing anything: the other user gets the lock.
    first.process.kill()
    first.process.join(30)
    assert Run(user=NOBODY).said() == f"held {machine / 'locks' / LOCK_FILE}"


def test_a_lock_folder_closed_by_another_user_falls_back_to_a_personal_one(machine):
    """As an older version left it: the folder 0755 and the lock file 0600, made by root."""
    folder = machine / "locks"
    folder.mkdir(mode=0o755)
    (folder / LOCK_FILE).touch(mode=0o600)
    said = Run(user=NOBODY).said()
    assert said.startswith(f"held {machine / 'personal-65534'}")
    assert stat.S_IMODE((machine / "personal-65534").stat().st_mode) == 0o700  # only theirs
