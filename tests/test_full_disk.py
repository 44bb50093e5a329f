"""A disk that fills up, a folder that cannot be written: a message and exit 2, never 70.

Most tests inject the failure at the journal's one write call; where the machine
allows it (Linux, as root) others use a real, tiny tmpfs, and a read-only one.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from importer.cli.commands import ExitCode
from importer.sandbox.server import DEFAULT_TOKEN
from importer.send import journal as journal_module
from importer.send.journal import journal_path, read

from .conftest import row, run_cli, run_process, statuses, write_csv

NAMES = [f"Campaña {i:02d}" for i in range(12)]


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    return DEFAULT_TOKEN


_REAL_WRITE_ALL = journal_module._write_all


def _fill_after(monkeypatch, lines: int) -> list[int]:
    """Let the journal write ``lines`` lines, then fail as a full disk does: the next
    line goes half onto the disk, then ENOSPC. Returns the count of calls made."""
    real = journal_module._write_all
    calls = [0]

    def writing(file, data):
        calls[0] += 1
        if calls[0] > lines:
            file.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(file, data)

    monkeypatch.setattr(journal_module, "_write_all", writing)
    return calls


def _disk_freed(monkeypatch) -> None:
    """Writes succeed again. Only the journal's writer is restored: undoing every patch
    would also drop this test's own lock folder for the machine's shared one."""
    monkeypatch.setattr(journal_module, "_write_all", _REAL_WRITE_ALL)


@pytest.mark.parametrize("lines", [3, 4, 9, 10])
def test_a_disk_full_mid_run_stops_with_a_message_and_resume_finishes(
    tmp_path, make_sandbox, token, monkeypatch, lines
):
    """Lines: the header, then an attempt and an outcome per row; 3 and 9 fail on an
    attempt (the row is not sent), 4 and 10 on an outcome (the row was created)."""
    box = make_sandbox()
    src = write_csv(tmp_path / "c.csv", [row(n) for n in NAMES])
    out = tmp_path / "c.results.xlsx"
    _fill_after(monkeypatch, lines)
    result = run_cli("run", src, "--base-url", box.url, "--reconcile-after", "0")
    assert result.code == ExitCode.BAD_INPUT, result.err
    assert "internal error" not in result.err
    assert (
        "The run stopped: every request sent so far is recorded in the journal, and nothing "
        "more was sent. Free some disk space, then run the same command with --resume"
    ) in result.err
    created = box.state.created_names()
    assert sum(created.values()) == lines // 2  # no request left once a write failed
    state = read(journal_path(out))  # the torn half line is not read
    assert sorted(state.attempted_at) == [r + 2 for r in range(len(created))]
    _disk_freed(monkeypatch)
    resumed = run_cli("run", src, "--base-url", box.url, "--resume", "--reconcile-after", "0")
    assert resumed.code == ExitCode.OK, resumed.out + resumed.err
    assert box.state.created_names() == {n: 1 for n in NAMES}
    assert set(statuses(out).values()) == {"created"}


def test_a_journal_header_that_does_not_fit_sends_nothing(
    tmp_path, make_sandbox, token, monkeypatch
):
    box = make_sandbox()
    src = write_csv(tmp_path / "c.csv", [row(n) for n in NAMES])
    _fill_after(monkeypatch, 0)
    result = run_cli("run", src, "--base-url", box.url)
    assert result.code == ExitCode.BAD_INPUT
    assert result.err == (
        f"wolkvox-import: error: cannot write {journal_path(tmp_path / 'c.results.xlsx')} "
        "(No space left on device); nothing was sent. Free some disk space or check the "
        "folder's permissions, then run the same command again.\n"
    )
    assert box.state.create_calls == 0
    assert journal_path(tmp_path / "c.results.xlsx").read_bytes() == b""  # no half header
    _disk_freed(monkeypatch)
    assert run_cli("run", src, "--base-url", box.url).code == ExitCode.OK


def test_nothing_is_written_after_a_failed_line(tmp_path, monkeypatch):
    """A line after a torn one would read as damage: the journal refuses to go on."""
    from importer.errors import JournalError
    from importer.send.journal import Journal

    path = tmp_path / "j.jsonl"
    journal = Journal.start(path, hashes={2: "h", 3: "k"}, info={}, now=lambda: 1.0)
    _fill_after(monkeypatch, 0)
    with pytest.raises(JournalError, match="every request sent so far is recorded"):
        journal.attempt(2)
    _disk_freed(monkeypatch)
    with pytest.raises(JournalError, match="every request sent so far is recorded"):
        journal.attempt(3)
    journal.close()
    torn = path.read_bytes()
    assert torn.count(b"\n") == 1 and not torn.endswith(b"\n")
    assert 3 not in read(path).attempted_at


def test_out_in_a_folder_that_cannot_be_written_reads_and_sends_nothing(
    tmp_path, make_sandbox, token, monkeypatch
):
    """A superuser may write anywhere, so the refusal is injected where the folder is
    tried; the read-only mount below shows the real thing."""
    import requests

    from importer import job

    class Fake:
        @staticmethod
        def mkstemp(**kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    requests_seen: list[str] = []

    class Counting(requests.Session):
        def request(self, method, url, *args, **kwargs):
            requests_seen.append(url)
            return super().request(method, url, *args, **kwargs)

    box = make_sandbox()
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    monkeypatch.setattr(job, "tempfile", Fake)
    loaded: list[Path] = []
    monkeypatch.setattr(job.load, "load_table", lambda path, **kw: loaded.append(path))
    settings = job.Settings(input=src, out=tmp_path / "ro" / "c.results.xlsx", base_url=box.url)
    with pytest.raises(job.UsageError) as raised:
        job.run(settings, token=DEFAULT_TOKEN, session=Counting())
    assert str(raised.value) == (
        f"cannot write in the folder {tmp_path / 'ro'} (Permission denied); nothing was read "
        "or sent. Choose another --out, or check the folder's permissions."
    )
    assert requests_seen == [] and loaded == [] and box.state.create_calls == 0


def test_out_where_a_file_stands_for_the_folder_is_exit_2(tmp_path, sandbox, token):
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    result = run_cli("run", src, "--base-url", sandbox.url, "--out", tmp_path / "taken" / "r.xlsx")
    assert result.code == ExitCode.BAD_INPUT
    assert "cannot create the folder" in result.err
    assert sandbox.state.create_calls == 0


# The real thing: a tiny tmpfs, and a read-only one (Linux, as root).


def _mount(where: Path, options: str) -> None:
    where.mkdir(exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")


@pytest.fixture
def mounts(tmp_path):
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs Linux and root")
    made: list[Path] = []

    def mount(name: str, options: str) -> Path:
        where = tmp_path / name
        _mount(where, options)
        made.append(where)
        return where

    yield mount
    for where in made:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.mark.slow
def test_a_real_full_disk_mid_run_then_resume_after_freeing_space(tmp_path, make_sandbox, mounts):
    tiny = mounts("tiny", "size=48k")
    box = make_sandbox()
    names = [f"Campaña {i:03d}" for i in range(400)]
    src = write_csv(tmp_path / "c.csv", [row(n) for n in names])
    out = tiny / "c.results.xlsx"
    base = ["run", src, "--base-url", box.url, "--out", out, "--quiet", "--reconcile-after", "0"]
    full = run_process(*base)
    assert full.returncode == ExitCode.BAD_INPUT, full.stdout + full.stderr
    assert "Traceback" not in full.stderr and "internal error" not in full.stderr
    assert "(No space left on device). The run stopped" in full.stderr
    created = sum(box.state.created_names().values())
    assert 0 < created < len(names)
    assert len(read(journal_path(out)).attempted_at) == created
    subprocess.run(["mount", "-o", "remount,size=8m", str(tiny)], check=True)
    resumed = run_process(*base, "--resume")
    assert resumed.returncode == ExitCode.OK, resumed.stdout + resumed.stderr
    assert box.state.created_names() == {n: 1 for n in names}
    assert set(statuses(out).values()) == {"created"}


@pytest.mark.slow
def test_a_real_full_disk_before_the_header_sends_nothing(tmp_path, make_sandbox, mounts):
    tiny = mounts("tiny", "size=48k")
    filler = tiny / "filler.bin"
    with open(filler, "wb", buffering=0) as fh, pytest.raises(OSError):
        while fh.write(b"\0" * 4096):  # bounded by the mount's 48 KiB
            pass
    box = make_sandbox()
    src = write_csv(tmp_path / "c.csv", [row(n) for n in NAMES])
    base = ["run", src, "--base-url", box.url, "--out", tiny / "c.results.xlsx", "--quiet"]
    full = run_process(*base)
    assert full.returncode == ExitCode.BAD_INPUT, full.stdout + full.stderr
    assert "Traceback" not in full.stderr
    assert "(No space left on device); nothing was sent. Free some disk space" in full.stderr
    assert box.state.create_calls == 0
    filler.unlink()
    again = run_process(*base)
    assert again.returncode == ExitCode.OK, again.stdout + again.stderr


@pytest.mark.slow
def test_a_real_read_only_folder_is_refused_before_the_list_is_read(tmp_path, make_sandbox, mounts):
    read_only = mounts("ro", "size=16k,ro")
    box = make_sandbox(latency=0)
    src = write_csv(tmp_path / "c.csv", [row("Uno")])
    for command in (["run", "--base-url", box.url], ["validate"]):
        done = run_process(command[0], src, *command[1:], "--out", read_only / "r.xlsx")
        assert done.returncode == ExitCode.BAD_INPUT, done.stderr
        assert done.stderr == (
            f"wolkvox-import: error: cannot write in the folder {read_only} (Read-only file "
            "system); nothing was read or sent. Choose another --out, or check the folder's "
            "permissions.\n"
        )
    assert box.state.create_calls == 0
