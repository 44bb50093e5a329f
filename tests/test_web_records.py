"""The review's records tab: the launch's records read with the campaigns (or from a
second file), checked by the engine's own functions, edited in place, written for the
run and read back before anything is sent; the records loaded, with their statuses."""

from __future__ import annotations

import io
import random
import shutil
from pathlib import Path

from importer.check import schema
from importer.check.record_schema import RecordOptions, validate_records
from importer.read import record_table
from importer.send import launch
from importer.web.record_space import RUN_RECORDS
from importer.web.wording import page_words

from .conftest import row, write_csv
from .test_web import page_for

SAMPLE = Path(__file__).parent.parent / "sample_data" / "lanzamiento.xlsx"


def _edit(page, row_: int, column: str, value: str, rows: tuple[int, ...] = ()) -> dict:
    response = page.client.post(
        "/records/cell",
        json={"row": row_, "column": column, "value": value, "rows": list(rows)},
        headers={"X-CSRF-Token": page.ctx.secrets.csrf},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _shown(records) -> set[tuple[int, str, str, str]]:
    return {(p.row, p.column, str(p.rule), p.message) for ps in records.by_row.values() for p in ps}


def _full(ws) -> set[tuple[int, str, str, str]]:
    """What the command line's dry run finds in the records as they are now: the
    campaigns checked whole again, then the records against them, as the run does."""
    records = ws.records
    frame = ws.table.frame
    out = frozenset(ws.excluded)
    with page_words():
        campaigns = schema.validate(frame, ws.options, extra=ws.table.problems, excluded=out)
        known, invalid, left_out = launch.campaigns_in_sheet(frame, campaigns, out)
        checked = launch.check(
            records.table,
            records.path,
            records.sheet,
            known,
            invalid,
            None,
            excluded=records.excluded,
            left_out_campaigns=left_out,
        )
    return {(p.row, p.column, str(p.rule), p.message) for p in checked.checked.problems}


def test_a_launch_workbook_shows_its_records_in_their_own_tab_with_the_cli_messages(tmp_path):
    with page_for(tmp_path / "work") as page:
        answer = page.upload(SAMPLE)
        assert answer.url.path == "/review"
        assert 'data-testid="tab-records"' in answer.text
        tab = page.get("/records").text
        assert "11 records read" in tab
        assert "8 valid records will be loaded" in tab
        # the messages of the command line, cell by cell
        assert 'data-testid="rcell-5-email" class="cell bad"' in tab
        assert "not an e-mail address; write it like ana@example.com" in tab
        assert "no campaign named Ventas Bogotá in the campaigns sheet" in tab
        ws = page.ctx.workspace
        assert _shown(ws.records) == _full(ws)


def test_the_records_tab_speaks_spanish(tmp_path):
    with page_for(tmp_path / "work", language="es") as page:
        page.upload(SAMPLE)
        tab = page.get("/records").text
        assert "Registros" in tab
        assert "11 registros leídos" in tab
        assert "no es una dirección de correo" in tab


def test_a_record_cell_edit_is_checked_again_with_the_records_sharing_its_customer(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        answer = _edit(page, 5, "email", "jorge@example.com", rows=(2, 3, 4, 5))
        assert answer["problems"] == [] and answer["invalid"]["5"] is False
        assert "2 records with problems" in answer["summary"]
        # a customer_id made the same as another record's in its campaign: both marked
        answer = _edit(page, 3, "customer_id", "1010", rows=(2, 3, 4, 5))
        assert answer["invalid"] == {"2": True, "3": True}
        assert answer["cells"]["2:customer_id"]["problems"]
        # and put back: both clean again
        answer = _edit(page, 3, "customer_id", "1011", rows=(2, 3, 4, 5))
        assert answer["invalid"] == {"2": False, "3": False}
        ws = page.ctx.workspace
        assert _shown(ws.records) == _full(ws)


def test_a_record_naming_an_invalid_campaign_row_says_so_and_follows_its_fix(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        ws = page.ctx.workspace
        # the campaign row made invalid: its records point at that row
        page.edit(2, "type_campaign", "zz")
        assert any("row 2" in p.message for p in ws.records.by_row.get(2, []))
        page.edit(2, "type_campaign", "predictive")
        assert 2 not in ws.records.by_row
        # a campaign renamed: its records no longer find it, then find it again
        page.edit(4, "campaign_name", "Ventas Bogotá")
        assert 13 not in ws.records.by_row and 9 in ws.records.by_row
        assert _shown(ws.records) == _full(ws)


def test_checking_only_what_an_edit_touches_finds_what_checking_every_record_finds(tmp_path):
    rng = random.Random(7)
    campaigns = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos"), row("Tres")])
    names = ["Uno", "Dos", "Tres", "Cuatro", ""]
    lines = ["campaign_name,customer_id,tel1,email"]
    for _i in range(60):
        lines.append(
            f"{rng.choice(names)},{rng.choice(['1', '2', '3', ''])},"
            f"{rng.choice(['3001234567', '123', ''])},{rng.choice(['a@b.co', 'x', ''])}"
        )
    records = tmp_path / "records.csv"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with page_for(tmp_path / "work") as page:
        page.upload(campaigns)
        with open(records, "rb") as fh:
            answer = page.post("/records/upload", files={"file": ("registros.csv", fh.read())})
        assert answer.url.path == "/records"
        ws = page.ctx.workspace
        with page_words():
            for step in range(40):
                r = rng.randint(2, 61)
                if rng.random() < 0.2:
                    ws.edit(rng.randint(2, 4), "campaign_name", rng.choice(names))
                else:
                    column = rng.choice(["campaign_name", "customer_id", "tel1", "email"])
                    ws.records.edit(r, column, rng.choice([*names, "1", "2", "3001234567"]))
                assert _shown(ws.records) == _full(ws), f"step {step}"


def test_a_second_file_that_is_no_records_sheet_is_refused_in_words(tmp_path):
    campaigns = write_csv(tmp_path / "c.csv", [row("Uno")])
    with page_for(tmp_path / "work") as page:
        page.upload(campaigns)
        answer = page.post("/records/upload", files={"file": ("otra.csv", b"a,b\n1,2\n")})
        assert answer.status_code == 400
        assert "otra.csv has no header row with the record columns" in answer.text


def test_send_loads_the_reviewed_records_and_starts_dialling(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        _edit(page, 8, "tel1", "3205550107")
        send = page.get("/send").text
        assert 'data-testid="records-plan"' in send and "9 records are loaded" in send
        assert "--into-existing" in send
        # the calls: the list, 3 campaigns, 3 batches and the starts of its 2 predictive ones
        assert "This run makes up to 9 calls to wolkvox" in send
        assert "Among them: 3 batches of records and up to 2 starts of dialling" in send
        assert page.post("/send", {"start": "1"}).url.path == "/send"
        state = page.wait_run()
        assert state["state"] == "finished"
        assert state["records"]["done"] == 9
        run = page.ctx.runs.current
        # the two predictive campaigns were started once their records were in
        assert len(run.report.starts) == 2, run.report.starts
        written = (run.input.parent / RUN_RECORDS).read_text(encoding="utf-8-sig")
        assert "3205550107" in written
        results = page.get("/results").text
        assert 'data-testid="records-results"' in results
        assert "9" in results
        download = page.get("/download/results")
        assert download.status_code == 200
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(download.content), read_only=True)
        assert "records" in book.sheetnames
        # the two records with problems can be loaded again once fixed
        assert 'data-testid="download-records-retry"' in results
        retry = page.get("/download/records-retry")
        assert retry.status_code == 200
        assert ".results.records.retry.xlsx" in retry.headers["content-disposition"]


def test_send_is_refused_when_the_records_do_not_read_back_as_reviewed(tmp_path, monkeypatch):
    from importer.web import record_space

    real = record_space.RecordSpace.write_run_input

    def changed(self, path):
        reviewed = real(self, path)
        text = path.read_text(encoding="utf-8-sig").replace("ana@example.com", "ana@")
        path.write_text(text, encoding="utf-8-sig")
        return reviewed

    monkeypatch.setattr(record_space.RecordSpace, "write_run_input", changed)
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        answer = page.post("/send")
        assert answer.status_code == 400
        assert "Nothing was sent" in answer.text and "records 2 differ" in answer.text
        assert page.ctx.runs.current is None


def test_the_records_check_is_the_engines_own(tmp_path):
    copy = tmp_path / "l.xlsx"
    shutil.copy(SAMPLE, copy)
    table, _sheet = record_table.load_records(copy)
    direct = validate_records(table.frame, RecordOptions())
    assert direct.problems  # the same functions the page calls, not a copy of them


def test_in_spanish_the_records_are_sent_and_a_difference_is_refused_in_spanish(
    tmp_path, monkeypatch
):
    with page_for(tmp_path / "ok", language="es") as page:
        page.upload(SAMPLE)
        answer = _edit(page, 5, "email", "jorge@example.com")
        assert "registros válidos se cargarán" in answer["summary"]
        send = page.get("/send").text
        assert "Luego los registros" in send and "--into-existing" in send
        page.post("/send", {"start": "1"})
        state = page.wait_run()
        assert state["records"]["done"] == 9
        assert "Registros: 9 de 9 cargados" in state["records"]["text"]
        results = page.get("/results").text
        assert "Registros por campaña" in results

    from importer.web import record_space

    real = record_space.RecordSpace.write_run_input

    def changed(self, path):
        reviewed = real(self, path)
        text = path.read_text(encoding="utf-8-sig").replace("3125550102", "31")
        path.write_text(text, encoding="utf-8-sig")
        return reviewed

    monkeypatch.setattr(record_space.RecordSpace, "write_run_input", changed)
    with page_for(tmp_path / "bad", language="es") as page:
        page.upload(SAMPLE)
        answer = page.post("/send")
        assert answer.status_code == 400
        assert "No se envió nada" in answer.text and "los registros 4 difieren" in answer.text


def test_a_change_of_language_says_the_records_problems_again_in_it(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        assert "not an e-mail address" in page.get("/records").text
        page.post("/lang", {"lang": "es", "back": "/records"})
        tab = page.get("/records").text
        assert "no es una dirección de correo" in tab and "not an e-mail address" not in tab


def test_a_send_page_shown_before_a_record_edit_in_another_tab_is_not_sent(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        version = page.ctx.workspace.version
        _edit(page, 5, "email", "jorge@example.com")
        answer = page.post("/send", {"version": str(version)})
        assert answer.status_code == 409
        assert page.ctx.runs.current is None


def test_a_send_page_shown_before_a_records_change_made_without_script_is_not_sent(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        version = page.ctx.workspace.version
        # the whole-column form posted as a plain form, as without the page's script
        form = {"column": "city", "value": "Cali", "back": "/records"}
        answer = page.post("/records/column", form)
        assert answer.url.path == "/records"
        answer = page.post("/send", {"version": str(version)})
        assert answer.status_code == 409
        assert page.ctx.runs.current is None


def test_a_send_page_shown_before_a_records_file_came_in_another_tab_is_not_sent(tmp_path):
    campaigns = write_csv(tmp_path / "c.csv", [row("Uno")])
    first = b"campaign_name,customer_id,tel1\nUno,1,3001234567\n"
    other = b"campaign_name,customer_id,tel1\nUno,2,3001234568\nUno,3,3001234569\n"
    with page_for(tmp_path / "work") as page:
        page.upload(campaigns)
        page.post("/records/upload", files={"file": ("r.csv", first)})
        version = page.ctx.workspace.version
        page.post("/records/upload", files={"file": ("otros.csv", other)})
        answer = page.post("/send", {"version": str(version)})
        assert answer.status_code == 409
        assert page.ctx.runs.current is None


def test_a_launch_stopped_on_the_page_resumes_with_its_records_and_start(tmp_path):
    from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox

    with (
        Sandbox(Config(skills=DEMO_SKILLS, latency=0.15)) as box,
        page_for(tmp_path / "work", sandbox=box) as page,
    ):
        page.upload(SAMPLE)
        page.post("/send", {"start": "1"})
        page.wait_for(lambda s: s["done"] >= 1)
        assert page.post("/stop").status_code == 200
        state = page.wait_run()
        assert state["records"]["done"] < 8
        assert page.post("/resume").status_code == 200
        state = page.wait_run()
        assert state["state"] == "finished", state
        assert state["records"]["done"] == 8
        run = page.ctx.runs.current
        assert len(run.report.starts) == 2


def _change(page, path: str, body: dict) -> dict:
    response = page.client.post(path, json=body, headers={"X-CSRF-Token": page.ctx.secrets.csrf})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_records_search_finds_records_by_any_cell_in_any_case(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        tab = page.get("/records", params={"q": "MEDELL"}).text
        assert "3 records found" in tab
        shown = {int(r) for r in __import__("re").findall(r'<tr data-row="(\d+)"', tab)}
        assert shown == {6, 7, 8}
        # with the problems alone: the one record of those with a problem
        tab = page.get("/records", params={"q": "medell", "only": "1"}).text
        assert "1 record found" in tab and 'data-row="8"' in tab
        assert "No record holds that text." in page.get("/records?q=zzz").text


def test_a_record_column_is_set_replaced_and_undone_in_one_step_each(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        ws = page.ctx.workspace
        records = ws.records
        # only its cells with a problem: the e-mail without its domain
        answer = _change(page, "/records/column", {
            "column": "email", "action": "replace", "find": "@example", "value": "@example.com",
            "scope": "problems", "rows": [2, 5],
        })  # fmt: skip
        assert answer["said"] == "1 cell changed"
        assert answer["cells"]["5:email"]["value"] == "jorge@example.com"
        assert answer["rows"]["5"] == {"invalid": False, "excluded": False}
        assert records.table.frame.at[2, "email"] == "ana@example.com"
        # every cell of a column, a column the sheet lacks included
        answer = _change(page, "/records/column", {"column": "tel3", "value": "3001112233"})
        assert answer["said"] == "11 cells changed"
        assert _shown(records) == _full(ws)
        assert answer["undo"] == "Undo the last change of a whole column"
        answer = _change(page, "/records/undo", {"rows": [2]})
        assert answer["said"] == "Undone." and answer["cells"]["2:tel3"]["value"] == ""
        answer = _change(page, "/records/undo", {"rows": [5]})
        assert answer["cells"]["5:email"]["value"] == "jorge@example"
        assert answer["rows"]["5"]["invalid"] is True and answer["undo"] == ""
        assert _change(page, "/records/undo", {})["said"] == "Nothing to undo."
        assert records.edits == {} and _shown(records) == _full(ws)
        assert page.post("/records/column", {"column": "nope", "value": "x"}).status_code == 400


def test_a_record_left_out_takes_no_part_in_the_duplicate_rule_and_comes_back(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        ws = page.ctx.workspace
        records = ws.records
        _edit(page, 3, "customer_id", "1010")  # the same customer as record 2
        assert {2, 3} <= set(records.by_row)
        answer = _change(page, "/records/exclude", {"row": 3, "rows": [2, 3]})
        assert answer["said"] == "Record 3 is left out: it will not be loaded."
        assert answer["rows"]["2"] == {"invalid": False, "excluded": False}
        assert answer["rows"]["3"]["excluded"] is True
        assert answer["cells"]["2:customer_id"]["problems"] == []
        assert "1 record left out" in answer["summary"]
        assert _shown(records) == _full(ws)
        assert records.sendable() == 7  # 8 valid, record 3 left out (and 2 sent once)
        tab = page.get("/records").text
        assert 'data-testid="leave-out-3" checked' in tab and 'class="excluded"' in tab
        # a whole column set leaves the record left out as it is
        _change(page, "/records/column", {"column": "city", "value": "Cali"})
        assert records.table.frame.at[3, "city"] == "Bogotá"
        # taken back in: both duplicates again; Undo of that leaves it out again
        answer = _change(page, "/records/exclude", {"row": 3, "out": False, "rows": [2, 3]})
        assert answer["rows"]["2"]["invalid"] is True
        assert answer["undo"] == "Undo the last record left out or taken back"
        answer = _change(page, "/records/undo", {"rows": [2, 3]})
        assert answer["rows"]["3"]["excluded"] is True and answer["rows"]["2"]["invalid"] is False
        assert _shown(records) == _full(ws)
        assert page.post("/records/exclude", {"row": 99}).status_code == 400


def test_records_left_out_on_the_page_are_not_loaded_and_end_excluded(tmp_path):
    from importer import job

    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        _change(page, "/records/exclude", {"row": 3})
        _change(page, "/records/exclude", {"row": 5})  # with a problem, and left out
        send = page.get("/send").text
        assert "7 records are loaded" in send and "2 records left out: not loaded." in send
        assert '</a> <span data-testid="records-left-out">' in send  # two sentences, apart
        page.post("/send")
        state = page.wait_run()
        assert state["state"] == "finished" and state["records"]["done"] == 7
        run = page.ctx.runs.current
        statuses = {r.row: str(r.status) for r in run.report.records}
        assert statuses[3] == "excluded" and statuses[5] == "excluded"
        assert statuses[8] == "invalid" and statuses[2] == "added"
        out = run.out
    # the journal says which: the results written again from it say the same
    again = job.rebuild(out)
    assert {r.row: str(r.status) for r in again.records} == statuses


def test_leaving_out_a_campaign_row_tells_its_records_they_are_not_loaded(tmp_path):
    campaigns = write_csv(tmp_path / "c.csv", [row("Uno"), row("Dos")])
    lines = ["campaign_name,customer_id,tel1", "Uno,1,3001234567", "Dos,2,3001234568"]
    with page_for(tmp_path / "work") as page:
        page.upload(campaigns)
        page.post("/records/upload", files={"file": ("r.csv", ("\n".join(lines) + "\n").encode())})
        records = page.ctx.workspace.records
        assert records.sendable() == 2
        _change(page, "/exclude", {"row": 3})  # the campaigns sheet's row of Dos
        assert records.sendable() == 1
        assert [p.message for p in records.by_row[3]] == [
            "the campaign Dos is on row 3 of the campaigns sheet, which is left out of this "
            "run: take that row back in, or leave this record out too"
        ]
        assert _shown(records) == _full(page.ctx.workspace)
        assert "1 record is loaded into" in page.get("/send").text
        # taken back in, the record is valid again
        _change(page, "/exclude", {"row": 3, "out": False})
        assert records.sendable() == 2 and not records.by_row
        _change(page, "/exclude", {"row": 3})
        assert _statuses_after_send(page) == {2: "added", 3: "invalid"}


def test_the_read_back_check_knows_the_records_left_out(tmp_path):
    import pytest

    from importer.errors import UsageError
    from importer.web.workspace import check_reads_back

    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        ws = page.ctx.workspace
        ws.records.exclude(4)
        path = tmp_path / "run.csv"
        reviewed = ws.write_run_input(path)
        settings = page.ctx.launch.settings(path, tmp_path / "o.xlsx", "http://x", resume=False)
        settings.records = path.with_name(RUN_RECORDS)
        with pytest.raises(UsageError, match="records 4 differ"):
            check_reads_back(reviewed, settings)  # the run would load record 4
        settings.records_excluded = frozenset({4})
        check_reads_back(reviewed, settings)


def test_the_records_tab_speaks_spanish_about_its_tools(tmp_path):
    with page_for(tmp_path / "work", language="es") as page:
        page.upload(SAMPLE)
        answer = _change(page, "/records/exclude", {"row": 3})
        assert answer["said"] == "El registro 3 queda fuera: no se cargará."
        assert "1 registro dejado fuera" in answer["summary"]
        tab = page.get("/records", params={"q": "cali"}).text
        assert "3 registros encontrados" in tab and "Cambiar una columna entera" in tab


def _cells(book, sheet: str) -> dict[str, object]:
    return {c.coordinate: c.value for r in book[sheet].iter_rows() for c in r if c.value}


def test_the_corrected_workbook_carries_the_changes_of_both_sheets(tmp_path):
    from openpyxl import load_workbook

    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        page.edit(2, "skill_id", "102")
        _edit(page, 8, "tel1", "3205550107")
        _change(page, "/records/column", {"column": "city", "action": "replace",
                                          "find": "Soacha", "value": "Bogotá"})  # fmt: skip
        tab = page.get("/records").text
        assert 'data-testid="download-edited"' in tab and "both sheets" in tab
        for what in ("edited", "corrected"):
            if what == "corrected":
                page.post("/send")
                page.wait_run()
            download = page.get(f"/download/{what}")
            assert download.status_code == 200, download.text
            book = load_workbook(io.BytesIO(download.content))
            records = book["registros"]
            changed = {c.value for r in records.iter_rows() for c in r if c.comment is not None}
            assert changed == {"3205550107", "Bogotá"}, what
            assert "12345" not in _cells(book, "registros").values()
            campaigns = [c.value for r in book[book.sheetnames[0]].iter_rows() for c in r
                         if c.comment is not None]  # fmt: skip
            assert campaigns == ["102"], what


def test_a_records_file_of_its_own_comes_back_corrected_in_its_own_layout(tmp_path):
    campaigns = write_csv(tmp_path / "c.csv", [row("Uno")])
    lines = ["Campaña;Cédula;Teléfono 1", "Uno;1;3001234567", "Uno;2;123"]
    with page_for(tmp_path / "work") as page:
        page.upload(campaigns)
        data = ("\n".join(lines) + "\n").encode("cp1252")
        page.post("/records/upload", files={"file": ("registros.csv", data)})
        _edit(page, 3, "tel1", "3007654321")
        tab = page.get("/records").text
        assert 'data-testid="download-records-edited"' in tab
        download = page.get("/download/records-edited")
        assert download.status_code == 200, download.text
        assert "registros.corrected.csv" in download.headers["content-disposition"]
        assert download.content.decode("cp1252").splitlines() == [
            "Campaña;Cédula;Teléfono 1", "Uno;1;3001234567", "Uno;2;3007654321"
        ]  # fmt: skip
        marked = page.get("/download/records-edited-xlsx")
        assert marked.status_code == 200


def test_a_records_file_is_sent_in_its_own_layout_a_row_wider_than_its_header_included(
    tmp_path,
):
    from openpyxl import load_workbook

    campaigns = write_csv(tmp_path / "c.csv", [row("Cobro")])
    records = tmp_path / "contactos.csv"
    lines = [
        "campaign_name;Nombre;Celular;Notas",
        "Cobro;Ana;3001234567;llamar tarde",
        "Cobro;Luis; Pérez;3007654321;x",  # an unquoted ";" shifts the cells after it
        "Cobro;Eva;3009876543;",
    ]
    records.write_text("\n".join(lines) + "\n", encoding="cp1252")
    with page_for(tmp_path / "work") as page:
        page.upload(campaigns)
        answer = page.post(
            "/records/upload", files={"file": ("contactos.csv", records.read_bytes())}
        )
        assert answer.status_code == 200, answer.text
        # the wide row is a problem of its own; the read-back finds the same and sends
        sent = page.post("/send")
        assert sent.url.path == "/send", sent.text
        state = page.wait_run()
        assert state["state"] == "finished"
        run = page.ctx.runs.current
        statuses = {r.row: str(r.status) for r in run.report.records}
        assert statuses == {2: "added", 3: "invalid", 4: "added"}
        written = (run.input.parent / RUN_RECORDS).read_text(encoding="utf-8-sig")
        assert written.splitlines()[0] == "campaign_name;Nombre;Celular;Notas"
        book = load_workbook(run.out, read_only=True)
        header = next(book["records"].iter_rows(max_row=1, values_only=True))
        assert {"Nombre", "Celular", "Notas"} <= set(header)
        cells = [r for r in book["records"].iter_rows(min_row=2, values_only=True)]
        assert any("llamar tarde" in r for r in cells)


def test_next_problem_on_the_records_tab_goes_to_the_next_record_with_one(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        records = page.ctx.workspace.records
        bad = sorted(records.by_row)
        assert len(bad) >= 2
        first, second = bad[0], bad[1]
        column = records.by_row[second][0].column
        tab = page.get(f"/records?next={first}").text
        assert f'data-focus="c-{second}-{column}"' in tab
        # past the last one, from the top again
        again = page.get(f"/records?next={bad[-1]}").text
        assert f'data-focus="c-{first}-{records.by_row[first][0].column}"' in again
        assert 'data-testid="next-problem"' in tab


def test_the_records_grid_shows_the_persons_headers_over_the_fields(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        tab = page.get("/records").text
        layout = page.ctx.workspace.records.table.layout
        own = {c.field: c.header for c in layout.columns if c.field and c.header != c.field}
        assert own, "the sample names its record columns in Spanish"
        for field, header in own.items():
            assert f'<span class="own">{header}</span><span class="field">{field}</span>' in tab


def _statuses_after_send(page) -> dict[int, str]:
    answer = page.post("/send")
    assert answer.status_code == 200, answer.text
    assert page.wait_run()["state"] == "finished"
    return {r.row: str(r.status) for r in page.ctx.runs.current.report.records}


def test_a_phone_column_the_file_lacks_typed_in_on_the_page_is_sent(tmp_path):
    campaigns = write_csv(tmp_path / "c.csv", [row("Uno")])
    lines = ["campaign_name,customer_id,tel2", "Uno,1,3001234567", "Uno,2,"]
    with page_for(tmp_path / "work") as page:
        page.upload(campaigns)
        page.post("/records/upload", files={"file": ("r.csv", ("\n".join(lines) + "\n").encode())})
        assert 3 in page.ctx.workspace.records.by_row  # no phone at all
        _edit(page, 3, "tel1", "3001234568")
        assert _statuses_after_send(page) == {2: "added", 3: "added"}


def test_a_whole_column_the_sheet_lacks_set_and_undone_leaves_the_records_sendable(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        _change(page, "/records/column", {"column": "tel3", "value": "3001112233"})
        _change(page, "/records/undo", {})
        statuses = _statuses_after_send(page)
        assert statuses[2] == "added" and statuses[8] == "invalid"


def test_a_records_row_wider_than_its_header_keeps_its_problem_and_the_others_are_sent(tmp_path):
    campaigns = write_csv(tmp_path / "c.csv", [row("Uno")])
    # the header's last column is not the last field: the problem is told on customer_id
    lines = ["tel1,campaign_name,customer_id", "3001234567,Uno,1", "3001234568,Uno,2,x",
             "3001234569,Uno,3"]  # fmt: skip
    with page_for(tmp_path / "work") as page:
        page.upload(campaigns)
        page.post("/records/upload", files={"file": ("r.csv", ("\n".join(lines) + "\n").encode())})
        records = page.ctx.workspace.records
        assert [p.column for p in records.by_row[3]] == ["customer_id"]
        assert _statuses_after_send(page) == {2: "added", 3: "invalid", 4: "added"}
    with page_for(tmp_path / "again") as page:
        page.upload(campaigns)
        page.post("/records/upload", files={"file": ("r.csv", ("\n".join(lines) + "\n").encode())})
        _change(page, "/records/exclude", {"row": 3})
        assert _statuses_after_send(page) == {2: "added", 3: "excluded", 4: "added"}


def test_a_replace_keeps_the_spaces_of_the_text_put_in(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(SAMPLE)
        records = page.ctx.workspace.records
        answer = _change(page, "/records/column", {
            "column": "customer_name", "action": "replace", "find": "rí", "value": " - ",
        })  # fmt: skip
        assert answer["said"] == "1 cell changed"
        assert records.table.frame.at[4, "customer_name"] == "Ma - a"
        # the cell as a whole is still cleaned: no space left at either end
        _change(page, "/records/column", {
            "column": "customer_name", "action": "replace", "find": "Ana", "value": " Ana María ",
        })  # fmt: skip
        assert records.table.frame.at[2, "customer_name"] == "Ana María"


def test_the_results_name_each_records_campaign_as_written_with_its_start_in_words(tmp_path):
    import re

    with page_for(tmp_path / "work", language="es") as page:
        page.upload(SAMPLE)
        page.post("/send", {"start": "1"})
        assert page.wait_run()["state"] == "finished"
        results = page.get("/results").text
        table = results[results.index("Registros por campaña") :]
        rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
        assert ("Ventas Cali", "3 agregados", "iniciada") in rows, rows
        assert ("Retención Medellín", "2 agregados, 1 no válido", "\u2013") in rows  # none started


def test_in_spanish_a_record_left_out_is_said_to_be_left_out_and_not_loaded(tmp_path):
    with page_for(tmp_path / "work", language="es") as page:
        page.upload(SAMPLE)
        _change(page, "/records/exclude", {"row": 3})
        page.post("/send")
        assert page.wait_run()["state"] == "finished"
        messages = {r.row: r.message for r in page.ctx.runs.current.report.records}
        assert messages[3] == "dejado fuera en la página: no se cargó"
