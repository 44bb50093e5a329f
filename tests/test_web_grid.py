"""The review's bulk fixes and grid: value mapping, a whole column at once, rows left out,
undo, search, the next problem, the rows with problems alone, the results by status, and
two tabs. Every change goes through the same checks as the command line; what the page
shows as checked is what a run is sent."""

from __future__ import annotations

import csv
import io
import random
import re

import pytest

from importer.check import schema
from importer.check.columns import FIELDS
from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox
from importer.web.wording import page_words

from .conftest import row, write_csv
from .test_web import page_for, sheet_rows, statuses

ROWS = [
    row("Uno", type_campaign="Manual"),
    row("Dos", type_campaign="Predictíva", start_time="08:00", end_time="17:00"),
    row("Tres", type_campaign="", enable_edition="x"),
    row("Cuatro"),
    row("Uno"),
]


def _json(page, path: str, body: dict) -> dict:
    response = page.client.post(path, json=body, headers={"X-CSRF-Token": page.ctx.secrets.csrf})
    assert response.status_code == 200, response.text
    return response.json()


def _problems(ws) -> set[tuple[int, str, str, str]]:
    return {(p.row, p.column, str(p.rule), p.message) for p in ws.checked.problems}


def _full(ws) -> set[tuple[int, str, str, str]]:
    """What checking the whole sheet again finds (in the page's words, as the page does)."""
    with page_words():
        checked = schema.validate(
            ws.table.frame, ws.options, extra=ws.table.problems, excluded=ws.excluded
        )
    return {(p.row, p.column, str(p.rule), p.message) for p in checked.problems}


def test_checking_only_what_a_change_touches_finds_what_the_whole_sheet_check_finds(tmp_path):
    rng = random.Random(5)
    names = ["Uno", "Dos", "Tres", "Cuatro", "", "Cinco"]
    rows = [
        row(rng.choice(names), type_campaign=rng.choice(["preview", "x", "", "predictive"]),
            skill_id=rng.choice(["101", "1O1", ""]), start_time=rng.choice(["", "08:00", "25"]))
        for _ in range(40)
    ]  # fmt: skip
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "r.csv", rows))
        ws = page.ctx.workspace
        assert _problems(ws) == _full(ws)
        with page_words():
            for step in range(25):
                r = rng.randint(2, 41)
                action = rng.randrange(5)
                if action == 0:
                    ws.edit(r, "campaign_name", rng.choice(names))
                elif action == 1:
                    ws.edit(r, rng.choice(["skill_id", "type_campaign", "end_time"]),
                            rng.choice(["101", "", "preview", "17:00", "zz"]))  # fmt: skip
                elif action == 2:
                    ws.set_column("campaign_name", rng.choice(names), find=rng.choice(names[:3]))
                elif action == 3:
                    ws.exclude(r, out=rng.random() < 0.7)
                else:
                    ws.undo_last()
                full = _full_problems(ws)
                assert _problems(ws) == _keys(full), f"step {step}"
                assert _shown_tally(ws) == _tally(p for p in full if p.row not in ws.excluded)


def _keys(problems) -> set[tuple[int, str, str, str]]:
    return {(p.row, p.column, str(p.rule), p.message) for p in problems}


def _full_problems(ws):
    with page_words():
        return schema.validate(
            ws.table.frame, ws.options, extra=ws.table.problems, excluded=ws.excluded
        ).problems


def _tally(problems):
    from collections import Counter

    return Counter(schema.describe(p.rule) if p.rule else p.message for p in problems)


def _shown_tally(ws):
    from collections import Counter

    return Counter(dict(ws.counts_by_rule()))


def test_undo_takes_back_cell_edits_column_sets_mappings_and_rows_left_out(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "u.csv", ROWS))
        ws = page.ctx.workspace
        first = _problems(ws)
        with page_words():
            ws.edit(2, "skill_id", "1O1")
            ws.set_column("type_campaign", "preview", find="", only_problems=True)
            ws.map_values("enable_edition", {"x": "yes"})
            ws.exclude(3)
            assert ws.excluded == {3} and ws.table.frame.at[4, "enable_edition"] == "yes"
            assert [s.kind for s in ws.undo] == ["cell", "column", "values", "exclude"]
            for _ in range(4):
                ws.undo_last()
        assert ws.excluded == set() and ws.edits == {} and _problems(ws) == first
        assert ws.table.frame.at[4, "type_campaign"] == "" and ws.undo_last()[0] == ""


def test_a_column_is_set_in_its_cells_with_problems_only_and_replaced_by_text(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "c.csv", ROWS))
        ws = page.ctx.workspace
        answer = _json(page, "/column", {
            "column": "type_campaign", "action": "replace", "find": "", "value": "preview",
            "scope": "problems", "rows": [2, 3, 4, 5, 6],
        })  # fmt: skip
        assert answer["said"] == "1 cell changed"
        assert answer["cells"]["4:type_campaign"]["value"] == "preview"
        assert answer["cells"]["4:type_campaign"]["problems"] == []
        assert ws.table.frame["type_campaign"].tolist() == [
            "Manual", "Predictíva", "preview", "preview", "preview",
        ]  # fmt: skip
        answer = _json(page, "/column", {
            "column": "skill_id", "action": "set", "value": "0042", "rows": [2],
        })  # fmt: skip
        assert answer["said"] == "5 cells changed" and set(ws.table.frame["skill_id"]) == {"0042"}
        assert answer["version"] == ws.version


def test_value_mapping_lists_the_values_found_edits_the_cells_and_is_remembered(tmp_path):
    work = tmp_path / "work"
    sheet = write_csv(tmp_path / "v.csv", ROWS)
    with page_for(work) as page:
        page.upload(sheet)
        columns = page.get("/columns").text
        # the values found, each with what it becomes by default
        assert re.search(r'value="Manual"', columns) and re.search(r'value="x"', columns)
        found = dict((v, to) for v, _n, to in page.ctx.workspace.distinct_values()["type_campaign"])
        assert found == {"Manual": "", "Predictíva": "", "": ""}  # valid as it is: kept
        answer = page.post("/values", {
            "column": "type_campaign", "from-0": "Manual", "to-0": "preview",
            "from-1": "Predictíva", "to-1": "predictive", "from-2": "", "to-2": "",
        })  # fmt: skip
        assert answer.url.path == "/columns"
        assert "2 cells changed" in answer.text
        frame = page.ctx.workspace.table.frame
        assert frame.at[2, "type_campaign"] == "preview"
        assert frame.at[3, "type_campaign"] == "predictive"
        assert (2, "type_campaign") in page.ctx.workspace.edits
    # the next file with the same header gets the same values at once
    with page_for(work) as page:
        page.upload(sheet)
        frame = page.ctx.workspace.table.frame
        assert frame.at[2, "type_campaign"] == "preview"
        assert [s.kind for s in page.ctx.workspace.undo] == ["values"]


def test_a_row_left_out_is_not_sent_and_ends_excluded_in_the_results(tmp_path):
    rows = [row("Uno"), row("Dos"), row("Tres", skill_id="")]
    with Sandbox(Config(skills=DEMO_SKILLS)) as box:
        with page_for(tmp_path / "work", sandbox=box) as page:
            page.upload(write_csv(tmp_path / "x.csv", rows))
            answer = _json(page, "/exclude", {"row": 3, "rows": [2, 3, 4]})
            assert answer["rows"]["3"] == {"invalid": False, "excluded": True}
            _json(page, "/exclude", {"row": 4, "rows": [4]})  # invalid and left out
            review = page.get("/review").text
            assert "1 valid row will be sent" in review and "2 rows left out" in review
            page.post("/send")
            assert page.wait_run()["state"] == "finished"
            results = page.get("/results").text
            assert statuses(results) == ["created", "excluded", "excluded"]
            assert "left out on the page: not sent" in results
        assert list(box.state.created_names()) == ["Uno"]
        from tests.test_web_trust import read_results

        got = read_results(page.ctx.runs.current.out)
    assert [r["status"] for r in got] == ["created", "excluded", "excluded"]


def test_the_read_back_check_knows_the_rows_left_out(tmp_path):
    from importer.errors import UsageError
    from importer.web.workspace import check_reads_back

    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "b.csv", [row("Uno"), row("Dos")]))
        ws = page.ctx.workspace
        ws.exclude(3)
        path = tmp_path / "run.csv"
        reviewed = ws.write_run_input(path)
        settings = page.ctx.launch.settings(path, tmp_path / "o.xlsx", "http://x", resume=False)
        with pytest.raises(UsageError, match="rows 3 differ"):
            check_reads_back(reviewed, settings)  # the run would send row 3
        settings.excluded = frozenset({3})
        check_reads_back(reviewed, settings)


def test_send_from_a_tab_showing_an_older_sheet_is_refused_with_409(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "t.csv", [row("Uno"), row("Dos")]))
        shown = page.get("/send").text
        version = re.search(r'name="version" value="(\d+)"', shown).group(1)
        page.edit(2, "campaign_name", "Otro")  # the other tab
        refused = page.post("/send", {"version": version})
        assert refused.status_code == 409
        assert "changed in another tab" in refused.text
        assert page.ctx.runs.current is None


def test_search_and_the_next_problem_find_rows_across_pages(tmp_path):
    rows = [row(f"Campaña {i}") for i in range(250)]
    rows[180]["skill_id"] = "abc"
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "s.csv", rows))
        found = page.get("/review", params={"q": "campaña 18"}).text
        shown = re.findall(r'<tr data-row="(\d+)"', found)
        assert shown == ["20", *map(str, range(182, 192))]
        nxt = page.get("/review", params={"next": "5"}).text
        assert "Page 2 of 3" in nxt and 'data-focus="c-182-skill_id"' in nxt


def test_only_the_rows_with_problems_download_in_the_persons_own_layout(tmp_path):
    sheet = tmp_path / "p.csv"
    sheet.write_text(
        "Nombre de la campaña;skill_id;Notas;type_campaign\n"
        "Uno;101;nota 1;preview\nDos;abc;nota 2;preview\nTres;101;nota 3;x\n",
        encoding="utf-8",
    )
    with page_for(tmp_path / "work") as page:
        page.upload(sheet)
        page.edit(4, "type_campaign", "zz")
        got = page.get("/download/problems")
        assert got.status_code == 200
        assert "p.problems.csv" in got.headers["content-disposition"]
        lines = list(csv.reader(io.StringIO(got.content.decode("utf-8")), delimiter=";"))
    assert lines == [
        ["Nombre de la campaña", "skill_id", "Notas", "type_campaign"],
        ["Dos", "abc", "nota 2", "preview"],
        ["Tres", "101", "nota 3", "zz"],
    ]


def test_the_results_are_filtered_by_status_and_paged(tmp_path):
    rows = [row(f"R {i}") for i in range(130)] + [row("Mala", skill_id="")]
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "big.csv", rows))
        page.post("/send")
        page.wait_run()
        first = page.get("/results").text
        assert len(statuses(first)) == 100 and "Page 1 of 2" in first
        bad = page.get("/results", params={"status": "invalid"}).text
        assert statuses(bad) == ["invalid"]


def test_the_review_shows_the_persons_headers_and_their_own_columns_read_only(tmp_path):
    sheet = tmp_path / "h.csv"
    sheet.write_text(
        "Nombre de la campaña,skill_id,Notas,type_campaign\nUno,101,llamar antes,preview\n"
        "Dos,101,,preview\n",
        encoding="utf-8",
    )
    with page_for(tmp_path / "work") as page:
        page.upload(sheet)  # Notas is not a field: the columns step first
        review = page.get("/review").text
    assert '<span class="own">Nombre de la campaña</span>' in review
    assert "llamar antes" in review and 'data-testid="extra-2-Notas"' in review
    with page_for(tmp_path / "work") as page:
        page.upload(sheet)
        found = page.get("/review", params={"q": "LLAMAR"}).text  # their column is searched
    assert re.findall(r'<tr data-row="(\d+)"', found) == ["2"]
    assert FIELDS[0] == "campaign_name"


def test_the_rows_with_problems_of_a_workbook_come_back_in_it_each_problem_noted(tmp_path):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "campañas"
    sheet.append(["Lista de campañas"])  # a title row above the header
    sheet.append(["campaign_name", "skill_id", "type_campaign"])
    sheet.append(["Uno", "101", "preview"])
    sheet.append(["Dos", "abc", "preview"])
    sheet.append(["Tres", "102", "preview"])
    sheet.column_dimensions["A"].width = 30
    path = tmp_path / "w.xlsx"
    book.save(path)
    with page_for(tmp_path / "work") as page:
        page.upload(path)
        page.edit(5, "type_campaign", "zz")
        got = page.get("/download/problems")
    assert "w.problems.xlsx" in got.headers["content-disposition"]
    back = load_workbook(io.BytesIO(got.content))
    ws = back["campañas"]
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values == [
        ["Lista de campañas", None, None],
        ["campaign_name", "skill_id", "type_campaign"],
        ["Dos", "abc", "preview"],
        ["Tres", "102", "zz"],
    ]
    assert "skill_id must be digits only" in ws["B3"].comment.text
    note = ws["C4"].comment.text
    assert "Changed on the page" in note and "type_campaign" in note
    assert ws.column_dimensions["A"].width == 30


def test_report_writes_a_page_runs_rows_left_out_as_excluded_again(tmp_path):
    from importer import job

    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "e.csv", [row("Uno"), row("Dos")]))
        page.ctx.workspace.exclude(3)
        page.post("/send")
        page.wait_run()
        out = page.ctx.runs.current.out
    report = job.rebuild(out)
    assert [r.status for r in report.results] == ["created", "excluded"]


def test_a_row_left_out_does_not_make_the_row_sharing_its_name_a_duplicate(tmp_path):
    rows = [row("Cobro cartera 04"), row("Dos"), row("Cobro cartera 04")]
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "d.csv", rows))
        ws = page.ctx.workspace
        assert set(ws.by_row) == {2, 4}
        answer = _json(page, "/exclude", {"row": 4, "rows": [2, 3, 4]})
        assert answer["rows"]["2"] == {"invalid": False, "excluded": False}
        assert ws.by_row == {} and ws.sendable() == 2
        with page_words():
            full = schema.validate(ws.table.frame, ws.options, excluded=ws.excluded)
        assert _problems(ws) == _keys(full.problems) == set()
        ws.undo_last()  # row 4 back in: both rows are duplicates again
        assert set(ws.by_row) == {2, 4}
        ws.exclude(4)
        page.post("/send")
        assert page.wait_run()["state"] == "finished"
        assert statuses(page.get("/results").text) == ["created", "created", "excluded"]


def test_the_engine_leaves_rows_left_out_out_of_the_duplicate_rule(tmp_path):
    frame_rows = [row("Uno"), row("Uno")]
    from importer.read import load

    table = load.load_table(write_csv(tmp_path / "e.csv", frame_rows))
    assert set(schema.validate(table.frame).invalid) == {2, 3}
    checked = schema.validate(table.frame, excluded={3})
    assert checked.invalid == {} and [c.row for c in checked.campaigns] == [2, 3]


def test_review_and_send_count_rows_with_problems_and_rows_left_out_apart(tmp_path):
    rows = [row("Uno"), row("Dos"), row("Tres", skill_id=""), row("Cuatro", skill_id="")]
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "c.csv", rows))
        answer = _json(page, "/exclude", {"row": 5, "rows": [5]})
        assert "1 cell with a problem" in answer["summary"]
        review = page.get("/review").text
        assert "1 cell with a problem" in review and "2 cells" not in review
        assert "1 row with problems will not be sent" in review and "1 row left out" in review
        send = page.get("/send").text
        assert "4 rows read: 2 to send, 1 with problems (not sent), 1 left out." in send


def test_the_send_step_says_in_spanish_how_many_rows_are_left_out(tmp_path):
    rows = [row("Uno"), row("Dos", skill_id=""), row("Tres")]
    with page_for(tmp_path / "work", language="es") as page:
        page.upload(write_csv(tmp_path / "c.csv", rows))
        page.ctx.workspace.exclude(4)
        send = page.get("/send").text
        assert "1 con problemas (no se envía), 1 dejada fuera." in send


def test_a_column_placed_on_the_columns_step_keeps_its_header_in_the_output_files(tmp_path):
    from importer.record.results import retry_path

    from .conftest import write_xlsx

    sheet = write_xlsx(
        tmp_path / "h.xlsx",
        [["Nombre", "Tipo", "Skill", "¿Editable?"], ["Uno", "preview", "101", "sí"],
         ["Dos", "preview", "", "no"]],
    )  # fmt: skip
    with page_for(tmp_path / "work") as page:
        page.upload(sheet)
        page.ctx.workspace.choose_columns({"¿Editable?": "enable_edition"})
        page.post("/send")
        assert page.wait_run()["state"] == "finished"
        out = page.ctx.runs.current.out
        for book in (out, retry_path(out)):
            header = [c for c in sheet_rows(book.read_bytes())[0] if c]
            assert "¿Editable?" in header and "enable_edition" not in header, book.name


def test_the_summary_names_the_uploaded_file_a_simulation_and_local_times(tmp_path):
    import datetime as dt

    from .conftest import write_xlsx

    sheet = write_xlsx(
        tmp_path / "campanas_dic.xlsx",
        [["campaign_name", "type_campaign", "skill_id"], ["Uno", "preview", "101"]],
        sheet="Campañas dic",
    )
    with page_for(tmp_path / "work") as page:
        page.upload(sheet)
        page.post("/send")
        assert page.wait_run()["state"] == "finished"
        out = page.ctx.runs.current.out
        summary = {r[0]: r[1] for r in sheet_rows(out.read_bytes(), "summary") if r and r[0]}
        history = page.get("/history").text
    assert summary["input"] == "campanas_dic.xlsx"
    assert summary["read from"] == 'sheet "Campañas dic"'
    assert summary["server"].startswith("simulation") and "127.0.0.1" not in summary["server"]
    offset = dt.datetime.now().astimezone().strftime("%z")
    assert summary["started"].endswith(f"(UTC{offset[:3]}:{offset[3:]})")
    assert summary["started"][10] == " " and summary["started"][:10] in history
    assert f"(UTC{offset[:3]}:{offset[3:]})" in history


def test_values_the_check_accepts_are_kept_and_only_invalid_ones_get_a_suggestion(tmp_path):
    rows = [
        row("Uno", type_campaign="predictiva", enable_edition="sí"),
        row("Dos", type_campaign="vista previa", enable_edition="NO"),
        row("Tres", type_campaign="previw", enable_edition="x"),
    ]
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "s.csv", rows))
        distinct = page.ctx.workspace.distinct_values()
        types = {v: to for v, _n, to in distinct["type_campaign"]}
        assert types == {"predictiva": "", "vista previa": "", "previw": "preview"}
        editions = {v: to for v, _n, to in distinct["enable_edition"]}
        assert editions == {"sí": "", "NO": "", "x": ""}


def test_values_remembered_and_applied_again_are_announced_on_the_review(tmp_path):
    work = tmp_path / "work"
    sheet = write_csv(tmp_path / "m.csv", ROWS)
    with page_for(work) as page:
        page.upload(sheet)
        page.post("/values", {"column": "type_campaign", "from-0": "Manual", "to-0": "preview"})
        assert "remembered" not in page.get("/review").text
    with page_for(work) as page:
        review = page.upload(sheet).text
        if "values-recalled" not in review:
            review = page.get("/review").text
        assert "1 cell was changed by the values remembered for these columns." in review
        page.ctx.workspace.undo_last()
        assert "values-recalled" not in page.get("/review").text


def test_the_send_steps_estimate_writes_decimals_the_pages_way(tmp_path):
    for language, shown in (("es", "0,05 s"), ("en", "0.05 s")):
        with page_for(tmp_path / language, language=language) as page:
            page.upload(write_csv(tmp_path / "p.csv", [row("Uno")]))
            assert shown in page.get("/send").text


def test_the_history_counts_rows_with_the_plural_the_count_needs(tmp_path):
    rows = [row("Uno"), row("Dos"), row("Tres", skill_id="")]
    with page_for(tmp_path / "work", language="es") as page:
        page.upload(write_csv(tmp_path / "h.csv", rows))
        page.post("/send")
        assert page.wait_run()["state"] == "finished"
        history = page.get("/history").text
    assert "2 creadas" in history and "1 nunca enviada" in history


def test_a_sheet_sent_is_not_offered_again_and_a_new_upload_discards_nothing(tmp_path):
    with page_for(tmp_path / "work") as page:
        page.upload(write_csv(tmp_path / "s.csv", [row("Uno"), row("Dos", skill_id="")]))
        page.ctx.workspace.edit(3, "skill_id", "101")
        assert "discards" in page.get("/?replace=0").text
        page.post("/send")
        assert page.wait_run()["state"] == "finished"
        send = page.get("/send").text
        assert 'data-testid="to-send-count"' not in send and "/results" in send
        assert "discards" not in page.get("/").text


@pytest.mark.parametrize(("language", "offered", "link"), [
    ("en", "type_campaign: 1 value found is not one wolkvox accepts",
     "Map the values of type_campaign (1 value with problems)"),
    ("es", "type_campaign: 1 valor encontrado no es de los que wolkvox acepta",
     "Asignar los valores de type_campaign (1 valor con problemas)"),
])  # fmt: skip
def test_values_the_check_refuses_land_the_upload_on_the_values_section(
    tmp_path, language, offered, link
):
    with page_for(tmp_path / "work", language=language) as page:
        landed = page.upload(write_csv(tmp_path / "v.csv", ROWS))
        assert landed.url.path == "/columns" and 'data-testid="values-type_campaign"' in landed.text
        assert offered in landed.text
        assert 'data-testid="values-refused-enable_edition"' in landed.text
        # and the review offers the way back to them, with how many values have problems
        review = page.get("/review").text
        assert link in review and 'columns?values=1#values-type_campaign"' in review


def test_a_sheet_whose_values_are_all_accepted_goes_straight_to_the_review(tmp_path):
    with page_for(tmp_path / "work") as page:
        sheet = write_csv(tmp_path / "ok.csv", [row("Uno", type_campaign="Predictiva")])
        landed = page.upload(sheet)
        assert landed.url.path == "/review" and "values-link-" not in landed.text


def test_values_are_offered_while_another_column_is_unresolved_and_applied_after(tmp_path):
    text = "campaign_nme,type_campaign,skill_id\nUno,x,101\nDos,preview,101\n"
    sheet = tmp_path / "u.csv"
    sheet.write_text(text, encoding="utf-8")
    with page_for(tmp_path / "work") as page:
        landed = page.upload(sheet)
        assert page.ctx.workspace.table is None
        assert 'data-testid="values-type_campaign"' in landed.text
        page.post("/values", {"column": "type_campaign", "from-0": "x", "to-0": "preview"})
        page.post("/columns", {"map-0": "campaign_name"})
        assert page.ctx.workspace.table.frame.at[2, "type_campaign"] == "preview"


def test_a_column_of_the_persons_own_name_placed_on_the_page_keeps_it_and_reads_back(tmp_path):
    from importer.record.results import retry_path

    from .conftest import write_xlsx

    sheet = write_xlsx(
        tmp_path / "own.xlsx",
        [["Nombre", "Tipo", "Mi columna"], ["Uno", "preview", "101"], ["Dos", "preview", ""]],
    )
    with page_for(tmp_path / "work") as page:
        page.upload(sheet)
        page.post("/columns", {"map-2": "skill_id"})
        page.post("/send")
        assert page.wait_run()["state"] == "finished"
        out = page.ctx.runs.current.out
        results = [c for c in sheet_rows(out.read_bytes())[0] if c]
        retry = retry_path(out)
        retried = [c for c in sheet_rows(retry.read_bytes())[0] if c]
    # the person's header, with the field it was placed on (so that it reads back alone)
    for header in (results, retried):
        assert "Mi columna (skill_id)" in header and "skill_id" not in header, header
    # the retry file fed back in reads the same columns, with no choice to make again
    with page_for(tmp_path / "again") as page:
        page.upload(retry)
        ws = page.ctx.workspace
        assert not ws.needs_columns()
        read = {c.field: c.header for c in ws.table.layout.columns if c.field}
    assert read["skill_id"] == "Mi columna (skill_id)" and read["campaign_name"] == "Nombre"
