import json
import os
import shutil
from pathlib import Path

import pytest

from importer import i18n
from importer.cli.commands import ExitCode
from importer.errors import JournalError
from importer.sandbox.server import DEFAULT_TOKEN
from importer.send.journal import Journal, journal_path, parse, read, row_hash, torn_path
from importer.status import Status

from .conftest import read_results, run_cli, statuses


def test_journal_sits_beside_the_results(tmp_path):
    assert journal_path(tmp_path / "x.results.xlsx") == tmp_path / "x.results.journal.jsonl"
    assert (
        torn_path(tmp_path / "x.results.journal.jsonl") == tmp_path / "x.results.journal.torn.txt"
    )


def test_attempt_is_forced_to_disk_before_returning(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr("importer.send.journal._sync", lambda fd: synced.append(fd))
    journal = Journal.start(tmp_path / "j.jsonl", hashes={2: "h"}, info={}, now=lambda: 1.0)
    synced.clear()
    journal.attempt(2)
    assert len(synced) == 1
    assert json.loads((tmp_path / "j.jsonl").read_text().splitlines()[-1])["event"] == "attempt"
    journal.close()


def test_a_cut_off_last_line_is_ignored(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal.start(path, hashes={2: "h"}, info={}, now=lambda: 1.0)
    journal.attempt(2)
    journal.close()
    with open(path, "a") as fh:
        fh.write('{"event": "outcome", "row": 2, "sta')
    state = read(path)
    assert state.unsettled() == [2]  # attempted, answer unknown: never resent blindly


def test_unsettled_rows_are_those_sent_without_an_answer_or_with_an_unclear_one(tmp_path):
    journal = Journal.start(tmp_path / "j.jsonl", hashes={}, info={}, now=lambda: 1.0)
    for row, status in ((2, Status.CREATED), (3, None), (4, Status.UNKNOWN), (5, Status.FAILED)):
        journal.attempt(row)
        if status is not None:
            journal.outcome(row, status)
    journal.outcome(6, Status.EXISTS)
    assert journal.state.unsettled() == [3, 4]
    journal.close()


def test_a_damaged_middle_line_refuses_to_resume(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"event": "start", "rows": {}}\nnot json\n{"event": "finish"}\n')
    with pytest.raises(JournalError, match="is damaged at line 2; it cannot be resumed"):
        read(path)
    with pytest.raises(JournalError, match="is damaged at line 2"):
        Journal.reopen(path, now=lambda: 1.0)


def test_starting_over_keeps_the_old_journal_under_a_dated_name(tmp_path):
    path = tmp_path / "j.jsonl"
    Journal.start(path, hashes={}, info={}, now=lambda: 1.0).close()
    Journal.start(path, hashes={}, info={}, now=lambda: 2.0).close()
    assert len(list(tmp_path.glob("j.*.jsonl"))) == 1
    assert path.exists()


def test_starting_over_copies_the_old_journal_instead_of_moving_the_open_file(tmp_path):
    """Windows refuses to rename a file held open: the old journal is copied, then
    emptied through the handle that holds it, so the journal's file is never moved."""
    path = tmp_path / "j.jsonl"
    first = Journal.start(path, hashes={2: "h"}, info={"input": "Campañas.xlsx"}, now=lambda: 1.0)
    first.attempt(2, "Cobranza Bogotá")
    first.finish()
    first.close()
    old = path.read_bytes()
    inode = os.stat(path).st_ino
    second = Journal.start(path, hashes={3: "k"}, info={}, now=lambda: 2.0)
    second.close()
    assert os.stat(path).st_ino == inode
    (kept,) = tmp_path.glob("j.*.jsonl")
    assert kept.read_bytes() == old
    assert read(path).hashes == {3: "k"}
    # Two journals last written within the same second do not overwrite each other's copy.
    for now in (3.0, 4.0):
        os.utime(path, (1_800_000_000, 1_800_000_000))
        Journal.start(path, hashes={}, info={}, now=lambda t=now: t).close()
    assert len(list(tmp_path.glob("j.*.jsonl"))) == 3


def test_row_hash_changes_with_any_cell():
    assert row_hash(["a", "b"]) != row_hash(["a", "c"])
    assert row_hash(["ab", ""]) != row_hash(["a", "b"])


def test_a_journal_being_written_cannot_be_taken_or_moved_by_another_run(tmp_path):
    path = tmp_path / "j.jsonl"
    first = Journal.start(path, hashes={}, info={}, now=lambda: 1.0)
    for attempt in (
        lambda: Journal.reopen(path, now=lambda: 2.0),
        lambda: Journal.start(path, hashes={}, info={}, now=lambda: 2.0),
    ):
        with pytest.raises(JournalError, match="another wolkvox-import is writing"):
            attempt()
    assert [p.name for p in tmp_path.iterdir()] == ["j.jsonl"]
    first.close()
    Journal.reopen(path, now=lambda: 3.0).close()  # free once the first run is done


def test_a_journal_locked_by_a_run_on_windows_is_named_busy_not_unreadable(tmp_path, monkeypatch):
    path = tmp_path / "j.jsonl"
    path.write_text('{"event": "start", "rows": {}}\n')

    def locked(self):
        error = PermissionError(13, "Permission denied")
        error.winerror = 33  # ERROR_LOCK_VIOLATION: another process holds byte 0
        raise error

    monkeypatch.setattr("pathlib.Path.read_bytes", locked)
    with pytest.raises(JournalError, match="another wolkvox-import is writing"):
        read(path)


# Torn tails: a crash can cut the last line at any byte.


def _spanish_journal(path):
    """A journal whose last lines hold names and messages with ñ, á and ó."""
    journal = Journal.start(
        path, hashes={2: "a", 3: "b", 4: "c"}, info={"input": "Campañas.xlsx"}, now=lambda: 5.0
    )
    journal.attempt(2, "Señor Núñez")
    journal.outcome(2, Status.CREATED, "1001", "creada: campaña Señor Núñez")
    journal.attempt(3, "Cobranza Bogotá")
    journal.outcome(3, Status.FAILED, message="HTTP 400 SKILL ID NOT FOUND: revisión")
    journal.attempt(4, "Retención Medellín")
    journal.outcome(4, Status.UNKNOWN, message="sin respuesta del servidor: ¿creada?")
    journal.close()
    return path.read_bytes()


def _last_lines_cuts(data, lines=3):
    """Every offset that cuts one of the last ``lines`` lines short (their newline too)."""
    start = len(data) - sum(len(line) + 1 for line in data.split(b"\n")[-lines - 1 : -1])
    return [cut for cut in range(start + 1, len(data)) if data[cut - 1] != ord("\n")]


def test_cuts_at_every_byte_of_the_last_lines_include_multibyte_characters(tmp_path):
    data = _spanish_journal(tmp_path / "j.jsonl")
    cuts = _last_lines_cuts(data)
    inside = [c for c in cuts if data[c] & 0xC0 == 0x80]  # c splits a UTF-8 sequence
    assert len(cuts) > 200 and len(inside) >= 4


def test_a_tail_torn_at_any_byte_is_ignored_when_read(tmp_path):
    path = tmp_path / "j.jsonl"
    data = _spanish_journal(path)
    for cut in _last_lines_cuts(data):
        path.write_bytes(data[:cut])
        expected, _end = parse(data[: data.rfind(b"\n", 0, cut) + 1], path)
        assert read(path) == expected, cut


def test_a_tail_torn_at_any_byte_is_set_aside_and_resumes_twice(tmp_path):
    path = tmp_path / "j.jsonl"
    data = _spanish_journal(path)
    side = torn_path(path)
    for cut in _last_lines_cuts(data):
        path.write_bytes(data[:cut])
        side.unlink(missing_ok=True)
        end = data.rfind(b"\n", 0, cut) + 1
        first = Journal.reopen(path, now=lambda: 6.0)
        first.attempt(9, "Cartera Cúcuta")
        first.close()
        assert side.read_bytes() == data[end:cut] + b"\n", cut
        assert first.set_aside == side
        again = Journal.reopen(path, now=lambda: 7.0)  # the old code said "damaged" here
        again.finish()
        again.close()
        assert again.set_aside is None
        lines = path.read_bytes().split(b"\n")
        assert path.read_bytes().startswith(data[:end])
        assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])
        state = read(path)
        assert state.finished and 9 in state.unsettled(), cut


def test_a_whole_last_line_without_its_newline_is_set_aside_too(tmp_path):
    """Its write never returned, so its event never took effect."""
    path = tmp_path / "j.jsonl"
    data = _spanish_journal(path)
    path.write_bytes(data[:-1])
    state = read(path)
    assert 4 in state.unsettled() and 4 not in state.outcomes
    Journal.reopen(path, now=lambda: 6.0).close()
    assert torn_path(path).read_bytes() == data[data.rfind(b"\n", 0, -1) + 1 :]


def test_a_journal_cut_before_its_first_line_records_no_run(tmp_path):
    path = tmp_path / "j.jsonl"
    data = _spanish_journal(path)
    for cut in (0, 1, data.index("ñ".encode()) + 1, data.index(b"\n")):
        path.write_bytes(data[:cut])
        state = read(path)
        assert state.finished and not state.header  # a new run may start over it
        with pytest.raises(JournalError, match=r"nothing to resume: the journal .* records no run"):
            Journal.reopen(path, now=lambda: 6.0)
        Journal.start(path, hashes={}, info={}, now=lambda: 6.0).close()
        assert read(path).header


def test_journal_errors_are_in_spanish_too(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"event": "start", "rows": {}}\nnot json\n{"event": "finish"}\n')
    with i18n.using("es"), pytest.raises(JournalError, match="está dañada en la línea 2"):
        read(path)


def test_a_torn_tail_that_cannot_be_kept_is_not_cut(tmp_path):
    path = tmp_path / "j.jsonl"
    data = _spanish_journal(path)
    path.write_bytes(data[:-5])
    torn_path(path).mkdir()  # the side file cannot be written
    with pytest.raises(JournalError, match=r"cannot write .*j\.torn\.txt .*nothing was sent"):
        Journal.reopen(path, now=lambda: 6.0)
    assert path.read_bytes() == data[:-5]  # nothing lost, and the journal was let go
    torn_path(path).rmdir()
    Journal.reopen(path, now=lambda: 6.0).close()
    assert torn_path(path).read_bytes() == data[data.rfind(b"\n", 0, -1) + 1 : -5] + b"\n"


OLD_LAYOUT = Path(__file__).parent / "old_layout"


def _old_run(tmp_path: Path, monkeypatch) -> tuple[Path, list[str]]:
    """The old layout's run, copied: its sheet and its journal's lines (which name the sheet
    as it was given, relative to the folder the run started in)."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(OLD_LAYOUT / "campaigns.csv", tmp_path / "campaigns.csv")
    lines = (OLD_LAYOUT / "campaigns.results.journal.jsonl").read_text("utf-8").splitlines()
    return tmp_path / "campaigns.results.xlsx", lines


def test_a_journal_written_before_the_stage_packages_still_reports(tmp_path, monkeypatch):
    """Journals name no module: a run of the flat importer/ reports as it did."""
    out, lines = _old_run(tmp_path, monkeypatch)
    journal_path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    rebuilt = run_cli("report", out)
    assert rebuilt.code == ExitCode.OK, rebuilt.err
    assert statuses(out) == {2: "created", 3: "created"}
    assert [r["id_campaign"] for r in read_results(out)] == ["1001", "1002"]


def test_an_unfinished_journal_written_before_the_stage_packages_still_resumes(
    tmp_path, sandbox, monkeypatch
):
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    out, lines = _old_run(tmp_path, monkeypatch)
    header = json.loads(lines[0])
    header["options"]["base_url"] = sandbox.url  # the old run's sandbox is gone
    kept = [json.dumps(header, ensure_ascii=False), *lines[1:3]]  # row 2 created, then a crash
    journal_path(out).write_text("\n".join(kept) + "\n", encoding="utf-8")
    resumed = run_cli("run", tmp_path / "campaigns.csv", "--resume", "--base-url", sandbox.url)
    assert resumed.code == ExitCode.OK, resumed.err
    assert statuses(out) == {2: "created", 3: "created"}
    assert sandbox.state.create_calls == 1  # only the row the old run never sent
