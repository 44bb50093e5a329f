"""The command line with what only POSIX systems have taken away, as on Windows.

A child process makes ``fcntl``, ``termios`` and ``resource`` unimportable and
deletes ``os.pread``, ``os.pwrite``, ``os.fork`` and ``os.fdatasync`` before the
importer is imported, then runs the real CLI: a dry run, and a run against the
sandbox that is interrupted with Ctrl-C and resumed to completion. The sandbox runs
in this process: it stands for wolkvox, not for the user's machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from importer.send.journal import journal_path

from .conftest import ROOT, row, statuses, write_csv

pytestmark = pytest.mark.slow

WITHOUT_POSIX = """
import atexit, os, runpy, sys
for name in ("fcntl", "termios", "resource"):
    sys.modules[name] = None  # import fails, as on Windows
for name in ("pread", "pwrite", "fork", "fdatasync"):
    if hasattr(os, name):
        delattr(os, name)
atexit.register(lambda: print("lock library loaded:", "filelock" in sys.modules, file=sys.stderr))
sys.argv[0] = "wolkvox-import"
runpy.run_module("importer", run_name="__main__", alter_sys=True)
"""


def _start(*args: object) -> subprocess.Popen[str]:
    env = {**os.environ, "WOLKVOX_TOKEN": "sandbox-token"}
    return subprocess.Popen(
        [sys.executable, "-c", WITHOUT_POSIX, *map(str, args)],
        cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _run(*args: object) -> tuple[int, str, str]:
    child = _start(*args)
    out, err = child.communicate(timeout=60)
    return child.returncode, out, err


def _wait_for(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_a_dry_run_works_and_takes_no_lock(tmp_path):
    src = write_csv(tmp_path / "Campañas.csv", [row("Cobranza Bogotá"), row("Señor Núñez")])
    code, out, err = _run("validate", src)
    assert code == 0, err
    assert "dry run, nothing sent: 2 valid" in out
    assert "lock library loaded: False" in err  # a dry run never imports it


def test_a_run_interrupted_by_ctrl_c_resumes_to_completion(tmp_path, make_sandbox):
    box = make_sandbox(latency=0.1)
    names = [f"Campaña {i:02d}" for i in range(12)]
    src = write_csv(tmp_path / "Campañas.csv", [row(name) for name in names])
    out = tmp_path / "Campañas.results.xlsx"
    child = _start("run", src, "--base-url", box.url, "--reconcile-after", "0", "--timeout", "5")
    _wait_for(lambda: box.state.create_calls >= 3 or child.poll() is not None)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "interrupted: run the same command with --resume to finish" in stdout
    assert "lock library loaded: True" in stderr
    assert "not_sent" in statuses(out).values()
    assert not list(tmp_path.glob("*.lock"))  # the journal's lock went with the run

    code, stdout, stderr = _run("run", src, "--base-url", box.url, "--resume", "--timeout", "5")
    assert code == 0, stdout + stderr
    assert set(statuses(out).values()) == {"created"}
    assert box.state.created_names() == {name: 1 for name in names}
    assert box.state.overlaps == 0
    assert journal_path(out).exists()
