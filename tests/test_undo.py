"""``wolkvox-import undo``: exactly the run's campaigns go, once, whatever happens."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from pathlib import Path

import pytest

from importer.cli import commands as cli
from importer.sandbox.sandbox_core import LAST_USE_FORMAT, Call
from importer.sandbox.server import DEFAULT_TOKEN
from importer.send.journal import journal_path, read

from .conftest import Result, row, run_cli, start_process, statuses, write_csv

NAMES = ["Cobranza Bogotá", "Retención Medellín", "Ya Existía", "Cartera Cúcuta"]


def _undo(*args: str | Path, answer: str = "") -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["undo", *map(str, args), "--reconcile-after", "0", "--lang", "en"],
        stdout=out, stderr=err, stdin=io.StringIO(answer),
    )  # fmt: skip
    return Result(int(code), out.getvalue(), err.getvalue())


@pytest.fixture
def imported(tmp_path, make_sandbox, monkeypatch):
    """A finished run: three campaigns created, one that existed before it."""
    box = make_sandbox(existing=["Ya Existía"], hang=3)
    src = write_csv(tmp_path / "campañas.csv", [row(n) for n in NAMES])
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", src, "--base-url", box.url, "--quiet", "--lang", "en")
    assert done.code == 0, done.err
    out = tmp_path / "campañas.results.xlsx"
    assert statuses(out) == {2: "created", 3: "created", 4: "exists", 5: "created"}
    return box, out


def _ids(box) -> dict[str, str]:
    return {c["campaign_name"]: c["campaign_id"] for c in box.state.campaigns}


def _events(out: Path, kind: str) -> list[dict]:
    lines = journal_path(out).read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == kind]


def test_undo_deletes_the_runs_campaigns_and_leaves_the_existing_and_the_started_alone(imported):
    box, out = imported
    ids = _ids(box)
    started = next(c for c in box.state.campaigns if c["campaign_name"] == "Cartera Cúcuta")
    started["status"] = "Started"
    done = _undo(out, answer="2\n")
    assert done.code == 1, done.out + done.err  # one campaign of the run is left
    assert "2 campaigns that this run created will be deleted" in done.out
    assert f"row 2: Cobranza Bogotá (id {ids['Cobranza Bogotá']})" in done.out
    assert "row 5: Cartera Cúcuta" in done.out and "started in wolkvox (status Started)" in done.out
    assert "1 row was already in wolkvox before the run (exists)" in done.out
    assert "type the number of campaigns (2)" in done.out
    assert sorted(box.state.deleted) == sorted([ids["Cobranza Bogotá"], ids["Retención Medellín"]])
    assert set(_ids(box)) == {"Ya Existía", "Cartera Cúcuta"}
    assert statuses(out) == {2: "deleted", 3: "deleted", 4: "exists", 5: "created"}


def test_a_campaign_used_since_the_run_is_left_alone_unless_included(imported):
    box, out = imported
    later = (dt.datetime.now() + dt.timedelta(minutes=5)).strftime(LAST_USE_FORMAT)
    for campaign in box.state.campaigns:
        campaign["last_use"] = later
    listed = _undo(out, "--dry-run")
    assert listed.code == 0 and f"used since the run (last use {later})" in listed.out
    assert box.state.calls[Call.DELETE] == 0
    done = _undo(out, "--include-started", "--yes")
    assert done.code == 0, done.out + done.err
    assert "3 campaigns deleted" in done.out
    assert set(_ids(box)) == {"Ya Existía"}  # an exists row is never deleted


def test_another_answer_than_the_number_deletes_nothing(imported):
    box, out = imported
    done = _undo(out, answer="yes\n")
    assert done.code == 1 and "not confirmed: nothing was deleted." in done.out
    no_input = _undo(out)
    assert no_input.code == 2 and "Use --yes in scripts" in no_input.err
    assert box.state.calls[Call.DELETE] == 0 and not _events(out, "undo")


def test_a_second_undo_deletes_nothing_and_says_so(imported):
    box, out = imported
    assert _undo(out, "--yes").code == 0
    calls = sum(box.state.calls.values())
    again = _undo(out, "--yes")
    assert again.code == 0
    assert "the 3 campaigns this run created were already deleted by an earlier undo" in again.out
    assert sum(box.state.calls.values()) == calls  # not even the list was read


def test_a_wrong_token_stops_before_any_delete(imported, monkeypatch):
    box, out = imported
    before = journal_path(out).read_bytes()
    monkeypatch.setenv("WOLKVOX_TOKEN", "not-the-token")
    done = _undo(out, "--yes")
    assert done.code == 3
    assert "wolkvox did not accept the token" in done.err and "Nothing was deleted." in done.err
    assert "Traceback" not in done.err and "not-the-token" not in done.out + done.err
    assert box.state.calls[Call.DELETE] == 0
    assert journal_path(out).read_bytes() == before


def test_an_unfinished_run_is_not_undone(imported):
    box, out = imported
    path = journal_path(out)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # no finish line
    done = _undo(out, "--yes")
    assert done.code == 2
    assert "is unfinished, so it cannot be undone yet: finish it first" in done.err
    assert box.state.calls[Call.DELETE] == 0


def test_report_of_an_undone_run_shows_deleted(imported):
    _box, out = imported
    assert _undo(out, "--yes").code == 0
    out.unlink()
    again = run_cli("report", journal_path(out), "--lang", "en")
    assert again.code == 0, again.err
    assert statuses(out) == {2: "deleted", 3: "deleted", 4: "exists", 5: "deleted"}
    assert read(journal_path(out)).undone


def test_an_answer_dropped_before_the_delete_is_tried_again_by_the_next_undo(imported):
    box, out = imported
    box.state.config.faults["Retención Medellín"] = ["delete:reset_before"]
    first = _undo(out, "--yes")
    assert first.code == 1
    assert "the campaign list still shows it; run the same undo again" in first.out
    assert statuses(out)[3] == "created"
    second = _undo(out, "--yes")
    assert second.code == 0 and "1 campaign deleted" in second.out
    assert statuses(out) == {2: "deleted", 3: "deleted", 4: "exists", 5: "deleted"}


def test_a_delete_done_but_answered_with_an_error_is_settled_from_the_list(imported):
    box, out = imported
    box.state.config.faults["Retención Medellín"] = ["delete:error_created"]
    done = _undo(out, "--yes")
    assert done.code == 0, done.out + done.err
    assert box.state.calls[Call.DELETE] == 3  # never sent twice
    row3 = [e["status"] for e in _events(out, "delete_outcome") if e["row"] == 3]
    assert row3 == ["unknown", "deleted"]  # first the unclear answer, then the list's word
    assert statuses(out)[3] == "deleted"


@pytest.mark.slow
def test_an_undo_killed_while_waiting_for_an_answer_is_finished_by_the_next_one(imported):
    box, out = imported
    ids = _ids(box)
    box.state.config.faults["Retención Medellín"] = ["delete:hang_created"]
    child = start_process("undo", out, "--yes", "--reconcile-after", "0", "--lang", "en")
    try:
        end = time.monotonic() + 30
        while not any(e["row"] == 3 for e in _events(out, "delete_attempt")):
            assert time.monotonic() < end and child.poll() is None, "the undo did not get there"
            time.sleep(0.02)
        while ids["Retención Medellín"] not in box.state.deleted:  # the server did it
            assert time.monotonic() < end
            time.sleep(0.02)
        child.kill()
    finally:
        child.wait(10)
    assert read(journal_path(out)).deleting == {3: ids["Retención Medellín"]}
    while sum(box.state.in_flight.values()):  # the server lets go of the hung call
        assert time.monotonic() < end
        time.sleep(0.02)
    done = _undo(out, "--yes")
    assert done.code == 0, done.out + done.err
    assert "confirmed by the campaign list after an unclear answer" in json.dumps(
        _events(out, "delete_outcome"), ensure_ascii=False
    )
    assert box.state.deleted.count(ids["Retención Medellín"]) == 1
    assert box.state.calls[Call.DELETE] == 3  # row 2, row 3 (hung), row 5: none twice
    assert statuses(out) == {2: "deleted", 3: "deleted", 4: "exists", 5: "deleted"}


def test_an_undo_stopped_by_the_quota_is_finished_by_the_next_one_deleting_nothing_twice(
    imported,
):
    from importer.record.history import End, runs

    box, out = imported
    ids = _ids(box)
    box.state.config.faults["Retención Medellín"] = ["delete:quota"]
    first = _undo(out, "--yes")
    assert first.code == 3
    assert "today's quota of wolkvox API calls is used up; run the same undo again" in first.err
    assert statuses(out) == {2: "deleted", 3: "created", 4: "exists", 5: "created"}
    assert runs(out.parent)[0][0].end == End.UNDOING
    second = _undo(out, "--yes")
    assert second.code == 0, second.out + second.err
    assert "2 campaigns that this run created will be deleted" in second.out
    assert box.state.deleted.count(ids["Cobranza Bogotá"]) == 1
    assert statuses(out) == {2: "deleted", 3: "deleted", 4: "exists", 5: "deleted"}
    assert runs(out.parent)[0][0].end == End.UNDONE


def test_undo_speaks_spanish_and_never_shows_the_token(imported):
    box, out = imported
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.main(
        ["undo", str(out), "--reconcile-after", "0", "--lang", "es"],
        stdout=stdout, stderr=stderr, stdin=io.StringIO("3\n"),
    )  # fmt: skip
    assert code == 0, stderr.getvalue()
    said = stdout.getvalue()
    assert "Se borrarán de http://127.0.0.1:" in said and "3 campañas que creó este envío" in said
    assert "escriba el número de campañas (3)" in said and "3 campañas borradas" in said
    assert "1 fila ya estaba en wolkvox antes del envío (exists): no se toca." in said
    everything = said + stderr.getvalue() + journal_path(out).read_text(encoding="utf-8")
    assert DEFAULT_TOKEN not in everything
    assert len(box.state.deleted) == 3
