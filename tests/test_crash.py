"""A journal torn by a crash at any byte: every row still ends with a status, nothing twice.

A real run's journal is cut at many offsets of its last lines (and inside every
multi-byte character it holds), then resumed twice against the sandbox that holds
what the original run created. Most cuts resume in-process (the same ``cli.main``),
a few in child processes; one scenario kills a resumed run again, for real.
"""

from __future__ import annotations

import time

import pytest

from importer.sandbox.server import DEFAULT_TOKEN
from importer.send.journal import journal_path, read, torn_path

from .conftest import (
    Result,
    read_results,
    row,
    run_cli,
    run_process,
    start_process,
    statuses,
    write_csv,
)

pytestmark = pytest.mark.slow

NAMES = ["Señor Núñez", "Cobranza Bogotá", "Retención Medellín", "Cartera Cúcuta", "Año Nuevo"]
SETTLED = {"created", "exists"}


def _wait_for(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


@pytest.fixture
def original(tmp_path, make_sandbox):
    """A finished real run of Spanish names, its journal's bytes, and the command."""
    box = make_sandbox()
    src = write_csv(tmp_path / "Campañas Bogotá.csv", [row(name) for name in NAMES])
    out = tmp_path / "Campañas Bogotá.results.xlsx"
    base = ["run", src, "--base-url", box.url, "--quiet", "--reconcile-after", "0"]
    base += ["--timeout", "5"]
    done = run_process(*base)
    assert done.returncode == 0, done.stdout + done.stderr
    return box, base, out, journal_path(out).read_bytes()


def _cuts(data: bytes, lines: int = 3, wanted: int = 52) -> list[int]:
    """About ``wanted`` cuts spread over the last ``lines`` lines, plus every byte
    inside a multi-byte character anywhere (today only the first line, with the
    input's name, holds one), never at a line's end."""
    start = len(data) - sum(len(line) + 1 for line in data.split(b"\n")[-lines - 1 : -1])
    spaced = range(start + 1, len(data), max(1, (len(data) - start) // wanted))
    inside = [i for i, byte in enumerate(data) if byte & 0xC0 == 0x80]
    line_ends = {i + 1 for i, byte in enumerate(data) if byte == ord("\n")}
    return sorted({*spaced, *inside, len(data) - 1} - line_ends)


def _check(box, out, names=NAMES):
    assert box.state.created_names() == {name: 1 for name in names}
    assert box.state.overlaps == 0
    seen = statuses(out)
    assert len(seen) == len(names) and set(seen.values()) <= SETTLED, seen


def _resume_after_cut(run, base, out, data, cut, box):
    journal = journal_path(out)
    side = torn_path(journal)
    journal.write_bytes(data[:cut])
    side.unlink(missing_ok=True)
    end = data.rfind(b"\n", 0, cut) + 1
    if end == 0:  # cut inside the first line: the journal records no run
        refused = run(*base, "--resume")
        assert refused.code == 2 and "error:" in refused.err, refused.err
        assert "internal error" not in refused.err
        steps = [run(*base), run(*base, "--resume")]
    else:
        steps = [run(*base, "--resume"), run(*base, "--resume")]
        assert side.read_bytes() == data[end:cut] + b"\n", cut
    for step in steps:
        assert step.code == 0, (cut, step.out, step.err)
    assert read(journal).finished
    _check(box, out)


def _in_process(*args):
    return run_cli(*args)


def _child(*args):
    done = run_process(*args)
    return Result(done.returncode, done.stdout, done.stderr)


def test_a_journal_cut_anywhere_in_its_last_lines_resumes_twice_exactly_once(original, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    box, base, out, data = original
    cuts = _cuts(data)
    inside = [c for c in cuts if data[c] & 0xC0 == 0x80]
    assert len(cuts) >= 50 and inside, (len(cuts), inside)
    settled_by = set()
    for cut in cuts:
        _resume_after_cut(_in_process, base, out, data, cut, box)
        settled_by |= {str(r["message"]).split(":")[0] for r in read_results(out)}
    # Each way back was taken: the answer on record, the list after an unclear one,
    # and the list read before sending (rows whose attempt was cut off).
    ways = {"created", "already exists in wolkvox (same name); not sent"}
    assert ways <= settled_by, settled_by


def test_torn_journals_resume_in_child_processes_too(original):
    """Inside "ñ" of the first line (exit 70 before), mid-line, and the last newline."""
    box, base, out, data = original
    enye = data.index("ñ".encode()) + 1
    last_line = data.rfind(b"\n", 0, len(data) - 1) + 1
    for cut in (enye, last_line + 9, len(data) - 1):
        _resume_after_cut(_child, base, out, data, cut, box)


def test_resume_crash_again_and_resume_settles_every_row_once(tmp_path, make_sandbox):
    box = make_sandbox(latency=0.05)
    names = [f"{name} {i}" for i in range(3) for name in NAMES]
    src = write_csv(tmp_path / "Campañas.csv", [row(name) for name in names])
    out = tmp_path / "Campañas.results.xlsx"
    journal = journal_path(out)
    base = ["run", src, "--base-url", box.url, "--quiet", "--reconcile-after", "0"]
    base += ["--timeout", "5"]

    def kill_after(resume, more):
        """Kill a run while the server works on its ``more``-th request, then tear the
        journal's last line (that request's attempt) as a crash mid-write would."""
        target = box.state.create_calls + more
        child = start_process(*base, *resume, capture=False)
        _wait_for(lambda: box.state.create_calls >= target or child.poll() is not None)
        child.kill()
        child.wait(timeout=30)
        assert child.returncode < 0  # killed, not finished
        _wait_for(lambda: sum(box.state.in_flight.values()) == 0)  # the server is done
        data = journal.read_bytes()
        journal.write_bytes(data[: data.rfind(b"\n", 0, len(data) - 1) + 7])  # torn last line

    kill_after([], 4)
    kill_after(["--resume"], 4)
    final = run_process(*base, "--resume")
    assert final.returncode in (0, 1), final.stdout + final.stderr
    assert torn_path(journal).read_bytes().count(b"\n") == 2  # both tails kept
    seen = statuses(out)
    assert len(seen) == len(names)
    created = box.state.created_names()
    assert set(created.values()) == {1} and box.state.overlaps == 0
    for result in read_results(out):  # a row's status agrees with what the server holds
        name = next(n for n in names if result["campaign_name"] == n)
        assert result["status"] in (SETTLED if name in created else {"failed"}), result
