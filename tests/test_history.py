"""``wolkvox-import history``: every run of a folder, read from its journals."""

from __future__ import annotations

import io

from importer.cli import commands as cli
from importer.record.history import End, runs
from importer.send.journal import journal_path

from .conftest import Result, row, run_cli, write_csv


def _history(*args) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["history", *map(str, args), "--lang", "en"], stdout=out, stderr=err)
    return Result(int(code), out.getvalue(), err.getvalue())


def test_history_lists_each_run_of_the_folder_once_with_its_counts_and_end(
    tmp_path, make_sandbox, monkeypatch
):
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    box = make_sandbox(existing=["Dos"])
    src = write_csv(tmp_path / "campañas.csv", [row("Uno"), row("Dos"), row("Tres", skill_id="x")])
    assert run_cli("run", src, "--base-url", box.url, "--quiet").code == 1
    assert run_cli("run", src, "--base-url", box.url, "--quiet").code == 1  # the first is kept
    undone = cli.main(["undo", str(tmp_path / "campañas.results.xlsx"), "--yes"],
                      stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert undone == 0  # nothing to undo in the second run (all exists): says so
    unfinished = tmp_path / "otra.results.journal.jsonl"
    lines = journal_path(tmp_path / "campañas.results.xlsx").read_text(encoding="utf-8")
    unfinished.write_text(lines.splitlines()[0] + "\n", encoding="utf-8")  # started only

    found, unreadable = runs(tmp_path)
    assert not unreadable
    assert len(found) == 3  # the first run (kept under its date), the second, the unfinished
    ends = sorted(r.end for r in found)
    assert ends == sorted([End.FINISHED, End.FINISHED, End.UNFINISHED])
    first = next(r for r in found if r.counts.get("created"))
    assert first.counts == {"created": 1, "exists": 1, "unrecorded": 1}
    assert first.server == box.url and first.input == str(src)

    shown = _history(tmp_path)
    assert shown.code == 0, shown.err
    assert shown.out.count("read ") == 3
    assert "3 rows: 1 created, 1 exists, 1 never sent (invalid, or after the run stopped)" in (
        shown.out
    )
    assert "unfinished: resume it (--resume) or close it on the page" in shown.out


def test_history_shows_a_run_undone(tmp_path, make_sandbox, monkeypatch):
    monkeypatch.setenv("WOLKVOX_TOKEN", "sandbox-token")
    box = make_sandbox()
    src = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos")])
    assert run_cli("run", src, "--base-url", box.url, "--quiet").code == 0
    undo = ["undo", str(tmp_path / "c.results.xlsx"), "--yes", "--reconcile-after", "0"]
    assert cli.main(undo, stdout=io.StringIO(), stderr=io.StringIO()) == 0
    (run,) = runs(tmp_path)[0]
    assert run.end == End.UNDONE and run.counts == {"deleted": 2}
    assert "finished, then undone" in _history(tmp_path).out


def test_history_of_a_folder_without_runs_says_so(tmp_path):
    done = _history(tmp_path)
    assert done.code == 0 and "no runs in" in done.out
    missing = _history(tmp_path / "nowhere")
    assert missing.code == 2 and "is not a folder" in missing.err


def test_history_shows_each_start_in_local_time_with_its_offset(tmp_path):
    import datetime as dt

    from importer.record.history import print_history

    journal = tmp_path / "c.results.journal.jsonl"
    journal.write_text(
        '{"event": "start", "version": 1, "input": "c.csv", "source": "CSV", "options": {},'
        ' "started": "2026-12-02T02:31:54+00:00", "rows": {}, "at": 1796178714.0}\n',
        encoding="utf-8",
    )
    out = io.StringIO()
    print_history(tmp_path, out, zone=dt.timezone(dt.timedelta(hours=-5)))
    assert out.getvalue().startswith("2026-12-01 21:31:54 (UTC-05:00)  c.results.xlsx: "), (
        out.getvalue()
    )
