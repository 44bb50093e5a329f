"""A launch end to end over HTTP: campaigns, their records in batches, and the starts.

Each test reads the sandbox afterwards: every valid record landed exactly once in its
campaign, and every record of the sheet has a status in the results workbook.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from importer.sandbox.server import DEFAULT_TOKEN
from importer.send.journal import journal_path, read

from .conftest import run_cli, run_process, start_process

CAMPAIGN_HEADER = ["campaign_name", "type_campaign", "start_time", "end_time", "skill_id"]
RECORD_HEADER = ["Campaña", "Nombre", "Cédula", "Teléfono 1"]


def _campaign(name: str, kind: str = "predictive") -> list[str]:
    return [name, kind, "08:00", "18:00", "101"]


def _people(campaign: str, first: int, count: int) -> list[list[str]]:
    return [[campaign, f"Persona {n}", str(n), f"300{n:07d}"] for n in range(first, first + count)]


def write_launch(path: Path, campaigns: list[list[str]], people: list[list[str]]) -> Path:
    """A workbook with a campaigns sheet and a records sheet (``registros``)."""
    book = Workbook()
    ws = book.active
    ws.title = "campañas"
    ws.append(CAMPAIGN_HEADER)
    for row in campaigns:
        ws.append(row)
    rs = book.create_sheet("registros")
    rs.append(RECORD_HEADER)
    for row in people:
        rs.append(row)
    book.save(path)
    return path


def read_records(out: Path) -> dict[int, dict[str, object]]:
    ws = load_workbook(out, read_only=True)["records"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    padded = ((*r, *[None] * (len(head) - len(r))) for r in rows[1:])
    return {int(r[0]): dict(zip(head, r, strict=True)) for r in padded if r[0] is not None}


def landed(box) -> dict[str, Counter[str]]:
    """campaign name -> how many times each customer_id is in it."""
    return {name: held for name, held in box.state.customers().items() if held}


def _once(box, expected: dict[str, range]) -> None:
    found = landed(box)
    wanted = {name: Counter(str(n) for n in ids) for name, ids in expected.items()}
    assert found == wanted, found
    assert box.state.overlaps == 0


def _wait_for(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


FAST = ["--quiet", "--reconcile-after", "0", "--list-interval", "0", "--timeout", "5"]


def test_a_workbook_launches_campaigns_records_and_starts_and_a_rerun_loads_nothing_twice(
    tmp_path, sandbox
):
    src = write_launch(
        tmp_path / "lanzamiento.xlsx",
        [_campaign("Cobranza"), _campaign("Retención", "preview")],
        [*_people("Cobranza", 1, 5), *_people("Retención", 10, 2), ["Nadie", "x", "99", "1"]],
    )
    out = tmp_path / "lanzamiento.results.xlsx"
    base = ["run", src, "--base-url", sandbox.url, *FAST, "--batch-size", "2"]
    import os

    os.environ["WOLKVOX_TOKEN"] = DEFAULT_TOKEN
    try:
        done = run_cli(*base, "--start")
        assert done.code == 1, done.out + done.err  # the last record is invalid
        assert "records: 7 added, 1 invalid" in done.out
        assert "start of Cobranza: started" in done.out
        _once(sandbox, {"Cobranza": range(1, 6), "Retención": range(10, 12)})
        by_name = {c["campaign_name"]: c for c in sandbox.state.campaigns}
        assert by_name["Cobranza"]["status"] == "Started"
        assert by_name["Retención"]["status"] == "Stopped"  # a preview campaign is not started
        # Batches of two, sent stopped; the start is its own call.
        assert [b["records"] for b in sandbox.state.batches] == ["2", "2", "1", "2"]
        assert {b["campaign_status"] for b in sandbox.state.batches} == {"stop", ""}
        seen = read_records(out)
        assert len(seen) == 8
        assert [seen[r]["batch"] for r in range(2, 9)] == [1, 1, 2, 2, 3, 4, 4]
        assert seen[9]["status"] == "invalid"
        assert "no campaign named Nadie" in str(seen[9]["message"])
        campaigns = load_workbook(out, read_only=True)["results"]
        rows = list(campaigns.iter_rows(values_only=True))
        assert rows[0][5:7] == ("records_added", "started")
        assert rows[1][5:7] == ("5", "started")

        again = run_cli(*base, "--start")  # the whole workbook once more
        assert again.code == 1, again.out + again.err
        _once(sandbox, {"Cobranza": range(1, 6), "Retención": range(10, 12)})
        seen = read_records(out)
        assert {seen[r]["status"] for r in range(2, 9)} == {"not_sent"}
        assert "--into-existing" in str(seen[2]["message"])
    finally:
        del os.environ["WOLKVOX_TOKEN"]


def test_records_alone_go_into_existing_campaigns_by_id_and_validate_lists_every_problem(
    tmp_path, make_sandbox, monkeypatch
):
    box = make_sandbox(existing=["Antigua"])
    ident = box.state.campaigns[0]["campaign_id"]
    records = tmp_path / "contactos.csv"
    records.write_text(
        "campaign_id;Nombre;Teléfono 1;Correo\n"
        f"{ident};Ana;3001234567;ana@example.com\n"
        f"{ident};Luis;12345;luis@example\n"
        f"{ident};Eva;3007654321;\n",
        encoding="cp1252",
    )
    checked = run_cli("validate", "--records", records)
    assert checked.code == 1
    assert "2 problem(s) in 1 record(s)" in checked.out
    assert "row 3, tel1 '12345'" in checked.out and "row 3, email" in checked.out
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", "--records", records, "--base-url", box.url, *FAST)
    assert done.code == 1, done.out + done.err
    assert "records: 2 added, 1 invalid" in done.out
    assert [r["customer_name"] for r in box.state.records_of(ident)] == ["Ana", "Eva"]
    retry = tmp_path / "contactos.results.records.retry.xlsx"
    assert retry.exists()
    # the same command again would load Ana and Eva twice: refused, and said why
    twice = run_cli("run", "--records", records, "--base-url", box.url, *FAST)
    assert twice.code == 2, twice.out + twice.err
    assert (
        "2 of these records (rows 2, 4) were added already (or may have been) by the run "
        "whose results are contactos.results.xlsx: run again, they would be added twice. "
        "To load the records that run did not add, run its records retry file "
        "contactos.results.records.retry.xlsx"
    ) in twice.err
    assert [r["customer_name"] for r in box.state.records_of(ident)] == ["Ana", "Eva"]
    assert retry.exists()  # the first run's files stay as they were
    # the retry file itself holds only Luis, still invalid: nothing is added
    fixed = run_cli("run", "--records", retry, "--base-url", box.url, *FAST)
    assert fixed.code == 1, fixed.out + fixed.err
    assert [r["customer_name"] for r in box.state.records_of(ident)] == ["Ana", "Eva"]


def test_the_summary_names_a_campaign_that_existed_as_its_records_write_it(
    tmp_path, make_sandbox, monkeypatch
):
    box = make_sandbox(existing=["Cobranza Antigua"])
    records = tmp_path / "contactos.csv"
    records.write_text(
        "campaign_name,customer_name,tel1\nCobranza Antigua,Ana,3001234567\n", encoding="utf-8"
    )
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", "--records", records, "--base-url", box.url, *FAST, "--into-existing")
    assert done.code == 0, done.out + done.err
    summary = load_workbook(tmp_path / "contactos.results.xlsx")["summary"]
    lines = {str(row[0]): str(row[1]) for row in summary.iter_rows(values_only=True)}
    assert lines["records of Cobranza Antigua"] == "1 added"
    assert not any("cobranza antigua" in k for k in lines)


def test_a_campaign_named_by_id_and_by_name_in_one_file_is_refused_and_its_customer_once(
    tmp_path, make_sandbox, monkeypatch
):
    box = make_sandbox(existing=["Ventas Sur"])
    ident = box.state.campaigns[0]["campaign_id"]
    records = tmp_path / "r.csv"
    lines = [
        "campaign_id,campaign_name,customer_id,tel1",
        f"{ident},,555,3001234567",
        ",Ventas Sur,555,3001234567",
        ",Ventas Sur,556,3007654321",
    ]
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", "--records", records, "--base-url", box.url, *FAST, "--into-existing")
    assert done.code == 1, done.out + done.err
    assert "records: 3 invalid" in done.out
    assert box.state.records_of(ident) == []
    seen = read_records(tmp_path / "r.results.xlsx")
    assert "same customer_id as row 3" in str(seen[2]["message"])
    # one campaign under two names would be batched and settled as two: named one way
    assert "name it one way in every record" in str(seen[4]["message"])
    fixed = records.read_text(encoding="utf-8").replace(",Ventas Sur,556", f"{ident},,556")
    records.write_text(fixed.replace(",Ventas Sur,555", f"{ident},,557"), encoding="utf-8")
    again = run_cli("run", "--records", records, "--base-url", box.url, *FAST, "--into-existing",
                    "--out", tmp_path / "again.results.xlsx")  # fmt: skip
    assert again.code == 0, again.out + again.err
    assert sorted(r["customer_id"] for r in box.state.records_of(ident)) == ["555", "556", "557"]


def test_an_unclear_batch_is_settled_by_the_campaigns_record_count_never_resent(
    tmp_path, make_sandbox, monkeypatch
):
    """One batch added then answered 500, one never reaching the server: the count tells
    them apart; the first is added, the second safe to send, and the resume sends it."""
    faults = {"Cobranza": ["add_record:error_created"], "Ventas": ["add_record:reset_before"]}
    box = make_sandbox(faults=faults)
    src = write_launch(
        tmp_path / "l.xlsx",
        [_campaign("Cobranza"), _campaign("Ventas")],
        [*_people("Cobranza", 1, 3), *_people("Ventas", 20, 3)],
    )
    out = tmp_path / "l.results.xlsx"
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", src, "--base-url", box.url, *FAST, "--batch-size", "2")
    assert done.code == 1, done.out + done.err
    seen = read_records(out)
    # Cobranza's first batch was added and confirmed; no more batches for it this run.
    assert [seen[r]["status"] for r in (2, 3, 4)] == ["added", "added", "not_sent"]
    assert "confirmed by the campaign's record count" in str(seen[2]["message"])
    # Ventas' first batch never arrived: safe to send again, never sent twice.
    assert [seen[r]["status"] for r in (5, 6, 7)] == ["not_sent", "not_sent", "not_sent"]
    assert "did not change; safe to send again" in str(seen[5]["message"])
    _once(box, {"Cobranza": range(1, 3)})
    retry = tmp_path / "l.results.records.retry.xlsx"
    again = run_cli("run", "--records", retry, "--base-url", box.url, *FAST)
    assert again.code == 0, again.out + again.err
    _once(box, {"Cobranza": range(1, 4), "Ventas": range(20, 23)})


def test_the_quota_stops_the_launch_and_the_rest_waits_in_the_retry_file(
    tmp_path, make_sandbox, monkeypatch
):
    box = make_sandbox(quota=5)  # skills, list, two campaigns, one batch
    src = write_launch(
        tmp_path / "l.xlsx",
        [_campaign("Uno"), _campaign("Dos")],
        [*_people("Uno", 1, 4), *_people("Dos", 10, 2)],
    )
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", src, "--base-url", box.url, *FAST, "--batch-size", "2")
    assert done.code == 3, done.out + done.err
    seen = read_records(tmp_path / "l.results.xlsx")
    assert [seen[r]["status"] for r in range(2, 8)] == ["added", "added", *["not_sent"] * 4]
    retry = load_workbook(tmp_path / "l.results.records.retry.xlsx", read_only=True).active
    rows = list(retry.iter_rows(values_only=True))
    ids = {c["campaign_name"]: c["campaign_id"] for c in box.state.campaigns}
    assert rows[0][:3] == ("Campaña", "campaign_id", "Nombre")  # the person's own headers
    assert [r[1] for r in rows[1:]] == [ids["Uno"], ids["Uno"], ids["Dos"], ids["Dos"]]


@pytest.mark.slow
@pytest.mark.parametrize(
    "phase",
    ["campaign", "between batches", "inside a batch", "start"],
)
def test_killed_at_each_phase_the_resume_lands_every_record_exactly_once(
    tmp_path, make_sandbox, phase
):
    faults: dict[str, list[str]] = {}
    latency = 0.05
    if phase == "inside a batch":
        faults = {"B": ["add_record:hang_created"]}
    if phase == "start":
        faults = {"A": ["start:hang_created"]}
    box = make_sandbox(latency=latency, faults=faults, hang=3)
    src = write_launch(
        tmp_path / "l.xlsx",
        [_campaign("A"), _campaign("B"), _campaign("C")],
        [*_people("A", 1, 4), *_people("B", 10, 4), *_people("C", 20, 3)],
    )
    out = tmp_path / "l.results.xlsx"
    base = ["run", src, "--base-url", box.url, *FAST, "--batch-size", "2", "--start"]
    child = start_process(*base, capture=False)
    state = box.state
    if phase == "campaign":
        _wait_for(lambda: state.create_calls >= 2 or child.poll() is not None)
    elif phase == "between batches":
        _wait_for(lambda: len(state.batches) >= 3 or child.poll() is not None)
    elif phase == "inside a batch":
        _wait_for(lambda: state.records_of("1002") != [] or child.poll() is not None)
    else:
        _wait_for(lambda: state.calls["start"] >= 1 or child.poll() is not None)
    child.kill()
    child.wait(timeout=30)
    assert child.returncode < 0, "the run ended before it was killed: nothing was tested"
    _wait_for(lambda: not state.busy())
    resumed = run_process(*base, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    _once(box, {"A": range(1, 5), "B": range(10, 14), "C": range(20, 23)})
    seen = read_records(out)
    assert len(seen) == 11 and {s["status"] for s in seen.values()} == {"added"}
    assert {c["status"] for c in state.campaigns} == {"Started"}
    assert state.calls["start"] == 3  # an unclear start is settled from the list, not resent
    assert read(journal_path(out)).finished
    messages = [str(s["message"]) for s in seen.values()]
    if phase == "inside a batch":  # the batch in flight was settled by the count, not resent
        assert sum("confirmed by the campaign's record count" in m for m in messages) == 2
    if phase == "start":
        assert "confirmed by the campaign list" in read(journal_path(out)).calls["s:name:a"].message
    report = run_process("report", out)
    assert report.returncode == 0, report.stdout + report.stderr
    assert "records: 11 added" in report.stdout


def test_the_sample_launch_workbook_imports_as_the_readme_shows(tmp_path):
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = ROOT / "sample_data" / "lanzamiento.xlsx"
    out = tmp_path / "lanzamiento.results.xlsx"
    done = run_cli("run", sample, "--simulate", "--start", "--quiet", "--out", out)
    assert done.code == 1, done.out + done.err  # three records are invalid
    shown = readme.split("sample_data/lanzamiento.xlsx --simulate --start\n```\n\n```text\n")[1]
    for line in shown.split("```")[0].splitlines():
        if not line.startswith(("results:", "records retry file:")):
            assert line in done.out.splitlines(), line


def test_unclear_batches_in_a_row_stop_the_run_and_nothing_is_sent_twice(
    tmp_path, make_sandbox, monkeypatch
):
    faults = {"A": ["add_record:error"], "B": ["add_record:error"]}
    box = make_sandbox(faults=faults)
    src = write_launch(
        tmp_path / "l.xlsx",
        [_campaign("A"), _campaign("B"), _campaign("C")],
        [*_people("A", 1, 3), *_people("B", 10, 1), *_people("C", 20, 1)],
    )
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    args = ["run", src, "--base-url", box.url, *FAST, "--batch-size", "2", "--max-unknown", "2"]
    done = run_cli(*args)
    assert done.code == 3, done.out + done.err
    assert "2 unclear answers in a row" in done.out
    seen = read_records(tmp_path / "l.results.xlsx")
    # The unclear batches were checked by the count (unchanged: safe to send again); A's
    # last record never left, being after an unclear batch; C's never left, the run stopped.
    assert {seen[r]["status"] for r in seen} == {"not_sent"}
    assert "did not change; safe to send again" in str(seen[2]["message"])
    assert "batch 1 of this campaign had an unclear answer" in str(seen[4]["message"])
    assert "unclear answers in a row" in str(seen[6]["message"])
    assert landed(box) == {}
    retry = tmp_path / "l.results.records.retry.xlsx"
    again = run_cli("run", "--records", retry, "--base-url", box.url, *FAST)
    assert again.code == 0, again.out + again.err
    _once(box, {"A": range(1, 4), "B": range(10, 11), "C": range(20, 21)})


def test_a_run_without_records_writes_and_reports_as_before(tmp_path, sandbox, monkeypatch):
    from .conftest import row, write_csv

    src = write_csv(tmp_path / "c.csv", [row("Solo")])
    out = tmp_path / "c.results.xlsx"
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", src, "--base-url", sandbox.url, *FAST)
    assert done.code == 0, done.out + done.err
    events = {line.split('"event": "')[1].split('"')[0] for line in journal_path(out).open()}
    assert events == {"start", "attempt", "outcome", "finish"}  # the journal as it was
    assert load_workbook(out, read_only=True).sheetnames == ["results", "summary"]
    again = run_cli("report", out)
    assert again.code == 0, again.out + again.err
    assert "records:" not in again.out and "record retry" not in again.out


def test_settling_an_unclear_batch_reads_the_list_once_five_minutes_after_the_last_read(
    tmp_path, make_sandbox
):
    from importer import job
    from importer.send.policy import Policy
    from importer.send.sender import Clock

    box = make_sandbox(faults={"A": ["add_record:error_created"]})
    src = write_launch(tmp_path / "l.xlsx", [_campaign("A")], _people("A", 1, 4))
    moment = [1_000_000.0]

    def sleep(seconds: float) -> None:
        moment[0] += seconds

    clock = Clock(lambda: moment[0], sleep)
    settings = job.Settings(
        input=src, base_url=box.url, timeout=5, batch_size=2,
        policy=Policy(reconcile_after=60, list_interval=300),
    )  # fmt: skip
    report = job.run(settings, token=DEFAULT_TOKEN, clock=clock)
    assert box.state.calls["campaigns"] == 2  # before sending, and once to settle
    assert moment[0] >= 1_000_000.0 + 300  # the settle waited for the 5 minutes
    assert [r.status for r in report.records or []] == ["added", "added", "not_sent", "not_sent"]


def test_into_existing_loads_records_into_a_campaign_that_was_there_before(
    tmp_path, make_sandbox, monkeypatch
):
    box = make_sandbox(existing=["Vieja"])
    src = write_launch(
        tmp_path / "l.xlsx",
        [_campaign("Vieja", "preview"), _campaign("Nueva", "preview")],
        [*_people("Vieja", 1, 2), *_people("Nueva", 10, 1)],
    )
    checked = run_cli("validate", src)
    assert checked.code == 0, checked.out + checked.err
    assert "records: 3 valid" in checked.out
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", src, "--base-url", box.url, *FAST)
    assert done.code == 1, done.out + done.err
    _once(box, {"Nueva": range(10, 11)})
    seen = read_records(tmp_path / "l.results.xlsx")
    assert [seen[r]["status"] for r in (2, 3, 4)] == ["not_sent", "not_sent", "added"]
    assert "--into-existing" in str(seen[2]["message"])
    # No retry file: run as a records-only run, it would load Vieja's records into the
    # campaign this run chose not to load (a workbook run twice would load them twice).
    assert not (tmp_path / "l.results.records.retry.xlsx").exists()
    assert "they are not in the retry file" in str(seen[2]["message"])

    other = make_sandbox(existing=["Vieja"])
    asked = run_cli("run", src, "--base-url", other.url, *FAST, "--into-existing")
    assert asked.code == 0, asked.out + asked.err
    _once(other, {"Vieja": range(1, 3), "Nueva": range(10, 11)})


def test_stop_between_batches_then_resume_finishes_the_records_exactly_once(
    tmp_path, sandbox, monkeypatch
):
    """The page's Stop (or Ctrl-C) after a batch: the run says interrupted, every record
    has a status, and --resume sends the rest."""
    from importer import job
    from importer.send.client import WolkvoxClient
    from importer.send.sender import StopFlag

    src = write_launch(tmp_path / "l.xlsx", [_campaign("A")], _people("A", 1, 5))
    stop = StopFlag()
    real = WolkvoxClient.add_record

    def add_then_stop(self, *args, **kwargs):
        answer = real(self, *args, **kwargs)
        stop.set()  # as if Ctrl-C came while the first batch was in flight
        return answer

    monkeypatch.setattr(WolkvoxClient, "add_record", add_then_stop)
    settings = job.Settings(input=src, base_url=sandbox.url, timeout=5, batch_size=2)
    report = job.run(settings, token=DEFAULT_TOKEN, stop=stop)
    assert report.ended == "interrupted"
    assert [r.status for r in report.records or []] == ["added"] * 2 + ["not_sent"] * 3
    monkeypatch.setattr(WolkvoxClient, "add_record", real)
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    resumed = run_cli("run", src, "--base-url", sandbox.url, *FAST, "--batch-size", "2",
                      "--resume")  # fmt: skip
    assert resumed.code == 0, resumed.out + resumed.err
    _once(sandbox, {"A": range(1, 6)})


def test_the_quota_warning_counts_campaigns_batches_and_starts(tmp_path, make_sandbox, monkeypatch):
    box = make_sandbox(quota=3)
    src = write_launch(tmp_path / "l.xlsx", [_campaign("A")], _people("A", 1, 1998))
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    done = run_cli("run", src, "--base-url", box.url, *FAST, "--batch-size", "2", "--start")
    assert done.code == 3, done.out + done.err
    assert "warning: 1001 calls to make (1 campaigns, 1000 batches of records and starts)" in (
        done.err
    )


def test_a_dry_run_of_records_alone_takes_their_campaigns_as_existing(tmp_path):
    records = tmp_path / "contactos.csv"
    records.write_text("Campaña;Nombre;Teléfono 1\nCobranza vieja;Ana;3001234567\n", "utf-8")
    checked = run_cli("validate", "--records", records)
    assert checked.code == 0, checked.out + checked.err
    assert checked.out.splitlines()[:2] == [
        'read 1 record from CSV (utf-8, ";")',
        "dry run, nothing sent: records: 1 valid",
    ]


def test_a_resume_with_another_batch_size_is_refused_and_sends_nothing(
    tmp_path, sandbox, monkeypatch
):
    from importer import job
    from importer.send.client import WolkvoxClient
    from importer.send.sender import StopFlag

    src = write_launch(tmp_path / "l.xlsx", [_campaign("A")], _people("A", 1, 5))
    stop = StopFlag()
    real = WolkvoxClient.add_record

    def add_then_stop(self, *args, **kwargs):
        answer = real(self, *args, **kwargs)
        stop.set()
        return answer

    monkeypatch.setattr(WolkvoxClient, "add_record", add_then_stop)
    settings = job.Settings(input=src, base_url=sandbox.url, timeout=5, batch_size=2)
    assert job.run(settings, token=DEFAULT_TOKEN, stop=stop).ended == "interrupted"
    monkeypatch.setattr(WolkvoxClient, "add_record", real)
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    refused = run_cli("run", src, "--base-url", sandbox.url, *FAST, "--batch-size", "3",
                      "--resume")  # fmt: skip
    assert refused.code == 2, refused.out + refused.err
    assert "--resume must use the same --batch-size as the run it resumes" in refused.err
    assert "Traceback" not in refused.err
    assert sum(int(b["records"]) for b in sandbox.state.batches) == 2  # the first run's


def test_each_batch_of_records_is_told_to_the_records_progress(tmp_path, sandbox):
    from importer import job

    src = write_launch(tmp_path / "l.xlsx", [_campaign("A"), _campaign("B")],
                       _people("A", 1, 5) + _people("B", 6, 2))  # fmt: skip
    told: list[tuple[str, object, object]] = []

    class Seen:
        def __init__(self, total: int) -> None:
            told.append(("total", total, None))

        def sending(self, number: int, campaign: str) -> None:
            told.append(("sending", number, campaign))

        def row_done(self, number: int, status: str) -> None:
            told.append(("done", number, status))

        def close(self) -> None:
            told.append(("close", None, None))

    settings = job.Settings(input=src, base_url=sandbox.url, timeout=5, batch_size=2)
    report = job.run(settings, token=DEFAULT_TOKEN, records_progress=Seen)
    assert report.ended == "done"
    assert told == [
        ("total", 4, None),
        ("sending", 1, "A"), ("done", 1, "added"), ("sending", 2, "A"), ("done", 2, "added"),
        ("sending", 3, "A"), ("done", 3, "added"), ("sending", 4, "B"), ("done", 4, "added"),
        ("close", None, None),
    ]  # fmt: skip


def test_undo_after_a_launch_says_the_records_that_go_and_marks_them_deleted(
    tmp_path, sandbox, monkeypatch
):
    import io

    from importer import job
    from importer.cli import commands as cli

    src = write_launch(tmp_path / "l.xlsx", [_campaign("A"), _campaign("B", "preview")],
                       _people("A", 1, 5) + _people("B", 6, 1))  # fmt: skip
    settings = job.Settings(input=src, base_url=sandbox.url, timeout=5, batch_size=2)
    report = job.run(settings, token=DEFAULT_TOKEN)
    assert report.ended == "done"
    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["undo", str(report.out), "--yes", "--reconcile-after", "0", "--lang", "en"],
                    stdout=out, stderr=err, stdin=io.StringIO(""))  # fmt: skip
    assert code == 0, out.getvalue() + err.getvalue()
    said = out.getvalue()
    assert "row 2: A (id" in said and "), 5 records loaded into it go with it" in said
    assert "), 1 record loaded into it goes with it" in said
    rows = read_records(report.out)
    assert {r["status"] for r in rows.values()} == {"deleted"}
    assert {r["message"] for r in rows.values()} == {"its campaign was deleted by undo"}
    assert rows[2]["batch"] == 1  # the batch it was sent in stays told


def test_a_simulated_run_has_nothing_to_undo_and_its_ids_are_not_in_the_next_simulation(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("WOLKVOX_TOKEN", raising=False)
    src = write_launch(
        tmp_path / "lanzamiento.xlsx", [_campaign("Cobranza")],
        [*_people("Cobranza", 1, 2), ["Cobranza", "Sin teléfono", "3", ""]],
    )  # fmt: skip
    done = run_cli("run", src, "--simulate", *FAST)
    assert done.code == 1, done.out + done.err
    out = tmp_path / "lanzamiento.results.xlsx"
    for dry in (["--dry-run"], ["--yes"]):
        undone = run_cli("undo", out, *dry)
        assert undone.code == 0, undone.out + undone.err
        assert (
            "this run was a simulation (--simulate): nothing was created in wolkvox, so there "
            "is nothing to undo." in undone.out
        )
    retry = tmp_path / "lanzamiento.results.records.retry.xlsx"
    fixed = load_workbook(retry)
    ws = fixed.active
    header = [c.value for c in ws[1]]
    phone = next(i for i, h in enumerate(header, start=1) if h in ("tel1", "Teléfono 1"))
    ws.cell(2, phone, "3001234567")
    fixed.save(retry)
    again = run_cli("run", "--records", retry, "--simulate", *FAST)
    assert again.code == 1, again.out + again.err
    assert "in this simulation: each --simulate starts an empty sandbox" in again.out


def test_spanish_output_says_the_statuses_in_spanish_agreeing_with_their_counts(tmp_path):
    src = write_launch(
        tmp_path / "lanzamiento.xlsx", [_campaign("Cobranza"), _campaign("Otra", "preview")],
        [*_people("Cobranza", 1, 2), ["Cobranza", "Sin teléfono", "3", ""]],
    )  # fmt: skip
    done = run_cli("run", src, "--simulate", "--start", "--lang", "es", *FAST)
    assert done.code == 1, done.out + done.err
    assert "2 creadas\n" in done.out
    assert "registros: 2 agregados, 1 no válido\n" in done.out
    assert "inicio de Cobranza: iniciada\n" in done.out
    history = run_cli("history", tmp_path, "--lang", "es")
    assert history.code == 0, history.err
    assert "2 filas: 2 creadas\n" in history.out


def _own_launch(path: Path) -> Path:
    """A launch whose records have the person's own headers and a column of notes."""
    book = Workbook()
    ws = book.active
    ws.title = "campañas"
    ws.append(CAMPAIGN_HEADER)
    ws.append(_campaign("Cobranza"))
    rs = book.create_sheet("registros")
    rs.append(["Campaña", "Nombre", "Teléfono", "Celular", "Notas"])
    rs.append(["Cobranza", "Ana", "3001234567", "", "vip"])
    rs.append(["Cobranza", "Luis", "12345", "3007654321", "llamar tarde"])
    book.save(path)
    return path


def test_the_records_files_keep_the_persons_headers_and_columns_and_mark_the_bad_cell(tmp_path):
    src = _own_launch(tmp_path / "propio.xlsx")
    done = run_cli("run", src, "--simulate", *FAST)
    assert done.code == 1, done.out + done.err
    sheet = load_workbook(tmp_path / "propio.results.xlsx")["records"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][6:] == ("Campaña", "Nombre", "Teléfono", "Celular", "Notas")
    assert rows[2][6:] == ("Cobranza", "Luis", "12345", "3007654321", "llamar tarde")
    assert sheet["I3"].fill.fgColor.rgb.endswith("FFC7CE") and sheet["I3"].comment is not None
    retry = load_workbook(tmp_path / "propio.results.records.retry.xlsx").active
    rows = list(retry.iter_rows(values_only=True))
    assert rows[0] == ("Campaña", "campaign_id", "Nombre", "Teléfono", "Celular", "Notas",
                       "original_row", "last_message")  # fmt: skip
    assert rows[1][:7] == ("Cobranza", "1001", "Luis", "12345", "3007654321", "llamar tarde", "3")
    assert retry["D2"].fill.fgColor.rgb.endswith("FFC7CE")
    checked = run_cli("validate", "--records", tmp_path / "propio.results.records.retry.xlsx")
    assert ", tel1 '12345'" in checked.out, checked.out  # "Celular" is still tel2


def test_a_records_retry_file_names_each_record_by_its_first_row_and_its_retry_row(tmp_path):
    src = _own_launch(tmp_path / "propio.xlsx")
    assert run_cli("run", src, "--simulate", *FAST).code == 1
    retry = tmp_path / "propio.results.records.retry.xlsx"
    checked = run_cli("validate", "--records", retry)
    assert checked.code == 1
    assert "  row 3, tel1 '12345': 5 digits are not the length" in checked.out, checked.out
    assert "(row 2 of the retry file)\n" in checked.out
    sheet = load_workbook(tmp_path / "propio.results.records.retry.check.xlsx")["records"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("row", "status", "campaign_id", "message", "batch", "status_label",
                           "retry_row")  # fmt: skip
    assert (rows[1][0], rows[1][6]) == (3, 2)


def test_the_records_of_a_campaign_row_left_out_are_told_so_and_never_loaded(tmp_path, sandbox):
    from importer import job

    people = [*_people("A", 1, 2), *_people("B", 3, 2)]
    src = write_launch(tmp_path / "l.xlsx", [_campaign("A"), _campaign("B")], people)
    said = (
        "campaign_name: the campaign B is on row 3 of the campaigns sheet, which is left out "
        "of this run: take that row back in, or leave this record out too"
    )
    dry = job.run(job.Settings(input=src, dry_run=True, excluded=frozenset({3})))
    assert {r.row: str(r.status) for r in dry.records or []} == {
        2: "valid", 3: "valid", 4: "invalid", 5: "invalid",
    }  # fmt: skip
    assert {r.row: r.message for r in dry.records or []}[4] == said
    settings = job.Settings(input=src, base_url=sandbox.url, timeout=5, excluded=frozenset({3}))
    report = job.run(settings, token=DEFAULT_TOKEN)
    assert {r.row: str(r.status) for r in report.records or []} == {
        2: "added", 3: "added", 4: "invalid", 5: "invalid",
    }  # fmt: skip
    _once(sandbox, {"A": [1, 2]})
    assert read_records(settings.results_path)[4]["message"] == said
    # the journal keeps which campaigns were left out: written again, the same
    state = read(journal_path(settings.results_path))
    assert state.records["left_out_campaigns"] == {"name:b": 3}
    again = job.rebuild(settings.results_path)
    assert {r.row: r.message for r in again.records or []}[5] == said


def test_a_workbook_run_twice_then_its_retry_file_run_loads_nothing_twice(
    tmp_path, make_sandbox, monkeypatch
):
    """The second run finds the campaigns, loads none of their records, and keeps those
    records out of its retry file, which a records-only run would load into them."""
    from importer.record.record_results import records_retry_path

    monkeypatch.setenv("WOLKVOX_TOKEN", DEFAULT_TOKEN)
    box = make_sandbox()
    people = [*_people("A", 1, 2), ["A", "Sin teléfono", "9", ""]]
    src = write_launch(tmp_path / "l.xlsx", [_campaign("A")], people)
    out = tmp_path / "l.results.xlsx"
    base = ["run", src, "--base-url", box.url, *FAST]
    assert run_cli(*base).code == 1  # one record with no phone
    retry = records_retry_path(out)
    assert len(list(load_workbook(retry, read_only=True).active.iter_rows())) == 2
    again = run_cli(*base)
    assert again.code == 1, again.out + again.err
    seen = read_records(out)
    assert seen[2]["status"] == "not_sent" and "existed before this run" in str(seen[2]["message"])
    assert "they are not in the retry file" in str(seen[2]["message"])
    rows = list(load_workbook(retry, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 2 and "Sin teléfono" in rows[1]  # only the record with a problem
    fed = run_cli("run", "--records", retry, "--base-url", box.url, *FAST,
                  "--out", tmp_path / "r.results.xlsx")  # fmt: skip
    assert fed.code == 1, fed.out + fed.err  # the record still has no phone
    _once(box, {"A": [1, 2]})


def test_a_name_left_out_on_one_row_and_sent_from_another_gets_its_records(tmp_path, sandbox):
    from importer import job

    from .conftest import statuses

    people = _people("Dos", 1, 2)
    src = write_launch(tmp_path / "l.xlsx", [_campaign("Uno"), _campaign("Dos"),
                                             _campaign("Dos")], people)  # fmt: skip
    settings = job.Settings(input=src, base_url=sandbox.url, timeout=5, excluded=frozenset({3}))
    report = job.run(settings, token=DEFAULT_TOKEN)
    assert statuses(report.out) == {2: "created", 3: "excluded", 4: "created"}
    assert {r.row: str(r.status) for r in report.records or []} == {2: "added", 3: "added"}
    _once(sandbox, {"Dos": [1, 2]})
    rows = list(load_workbook(report.out, read_only=True)["results"].iter_rows(values_only=True))
    added = {r[0]: r[rows[0].index("records_added")] for r in rows[1:]}
    assert added[4] == "2" and added[3] in (None, "")


def test_a_resume_and_a_report_check_the_sheet_with_the_rows_the_run_left_out(tmp_path, sandbox):
    """Row 2 is left out on the page; row 4 has the same name: sendable. Stopped before
    row 4, the run resumed from the command line (which knows nothing of the page) sends
    it, and a report says the same."""
    from importer import job
    from importer.send.sender import StopFlag

    from .conftest import row, statuses, write_csv

    src = write_csv(tmp_path / "c.csv", [row("Dos"), row("Uno"), row("Dos")])
    stop = StopFlag()
    first = job.run(
        job.Settings(input=src, base_url=sandbox.url, excluded=frozenset({2})),
        token=DEFAULT_TOKEN, stop=stop, known=lambda rows: stop.set(),
    )  # fmt: skip
    assert first.ended == "interrupted"
    resumed = job.run(job.Settings(input=src, base_url=sandbox.url, resume=True),
                      token=DEFAULT_TOKEN)  # fmt: skip
    assert statuses(resumed.out) == {2: "excluded", 3: "created", 4: "created"}
    assert not resumed.problems
    assert sorted(sandbox.state.created_names()) == ["Dos", "Uno"]
    assert statuses(job.rebuild(resumed.out).out) == {2: "excluded", 3: "created", 4: "created"}


def test_records_left_out_are_never_sent_end_excluded_and_stay_so_in_a_rebuild(tmp_path, sandbox):
    from importer import job
    from importer.record.record_results import records_retry_path

    people = [*_people("A", 1, 4), ["A", "Otra", "2", "3009999999"], ["Nadie", "x", "99", "1"]]
    src = write_launch(tmp_path / "l.xlsx", [_campaign("A")], people)
    # row 6 repeats row 3's customer_id: left out, row 3 is no duplicate and is sent
    left_out = frozenset({4, 6})
    dry = job.run(job.Settings(input=src, dry_run=True, records_excluded=left_out))
    assert {r.row: r.status for r in dry.records or []}[3] == "valid"
    settings = job.Settings(input=src, base_url=sandbox.url, timeout=5, records_excluded=left_out)
    report = job.run(settings, token=DEFAULT_TOKEN)
    statuses = {r.row: str(r.status) for r in report.records or []}
    assert statuses == {2: "added", 3: "added", 4: "excluded", 5: "added", 6: "excluded",
                        7: "invalid"}  # fmt: skip
    _once(sandbox, {"A": [1, 2, 4]})
    seen = read_records(settings.results_path)
    assert seen[4]["status"] == "excluded" and "left out" in str(seen[4]["message"])
    # the retry file holds the record with a problem, not those left out
    retry = load_workbook(records_retry_path(settings.results_path), read_only=True).active
    names = {str(v) for r in retry.iter_rows(values_only=True) for v in r}
    assert "x" in names and "Persona 3" not in names and "Otra" not in names
    # the journal keeps them: the results written again from it say the same
    state = read(journal_path(settings.results_path))
    assert state.records["excluded"] == [4, 6]
    again = job.rebuild(settings.results_path)
    assert {r.row: str(r.status) for r in again.records or []} == statuses


def test_a_workbook_with_two_sheets_of_records_is_refused_saying_which(tmp_path):
    src = write_launch(tmp_path / "l.xlsx", [_campaign("A")], _people("A", 1, 1))
    book = load_workbook(src)
    other = book.create_sheet("Contactos")
    other.append(["campaign_name", "customer_name", "customer_id", "tel1"])
    other.append(["A", "Otra", "7", "3001234567"])
    book.save(src)
    done = run_cli("validate", src)
    assert done.code == 2, done.out + done.err
    assert (
        'the workbook has 2 sheets of records ("registros", "Contactos"); put the records in '
        "one sheet, or rename the others, and try again."
    ) in done.err
