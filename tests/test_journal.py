import json

import pytest

from importer.errors import JournalError
from importer.journal import Journal, journal_path, read, row_hash
from importer.lock import TokenLock


def test_journal_sits_beside_the_results(tmp_path):
    assert journal_path(tmp_path / "x.results.xlsx") == tmp_path / "x.results.journal.jsonl"


def test_attempt_is_forced_to_disk_before_returning(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr("importer.journal._sync", lambda fd: synced.append(fd))
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
    assert state.in_flight() == [2]  # attempted, answer unknown: never resent blindly


def test_a_damaged_middle_line_refuses_to_resume(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"event": "start", "rows": {}}\nnot json\n{"event": "finish"}\n')
    with pytest.raises(JournalError, match="is damaged at line 2; it cannot be resumed"):
        read(path)


def test_starting_over_keeps_the_old_journal_under_a_dated_name(tmp_path):
    path = tmp_path / "j.jsonl"
    Journal.start(path, hashes={}, info={}, now=lambda: 1.0).close()
    Journal.start(path, hashes={}, info={}, now=lambda: 2.0).close()
    assert len(list(tmp_path.glob("j.*.jsonl"))) == 1
    assert path.exists()


def test_row_hash_changes_with_any_cell():
    assert row_hash(["a", "b"]) != row_hash(["a", "c"])
    assert row_hash(["ab", ""]) != row_hash(["a", "b"])


def test_second_lock_on_the_same_token_names_the_holder(tmp_path):
    import os

    with TokenLock("t0ken", tmp_path):
        with pytest.raises(JournalError, match=rf"another wolkvox-import \(PID {os.getpid()}\)"):
            TokenLock("t0ken", tmp_path).acquire()
        TokenLock("other", tmp_path).acquire().release()  # other tokens are free
    TokenLock("t0ken", tmp_path).acquire().release()  # released on exit


def test_lock_file_name_does_not_reveal_the_token(tmp_path):
    lock = TokenLock("t0ken-visible", tmp_path)
    assert "t0ken" not in lock.path.name


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
