"""The web page over HTTP: upload, columns, review with edits, runs, results and downloads."""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from starlette.testclient import TestClient

from importer.check import schema
from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox
from importer.web.app import Context, make_context
from importer.web.config import Launch
from importer.web.routes import create_app

from .conftest import FILES, row, write_csv, write_xlsx
from .webkey import at_root

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


class Page:
    """A browser stand-in: speaks to the page under its key, adds the CSRF token to each POST."""

    def __init__(self, client: TestClient, ctx: Context) -> None:
        self.client = client
        self.ctx = ctx
        self.seen: list[bytes] = []  # every body the server answered with

    def get(self, path: str, **kw: Any) -> Any:
        response = self.client.get(path, **kw)
        self.seen.append(response.content)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        response = self.client.post(
            path, data={"csrf": self.ctx.secrets.csrf, **(data or {})}, **kw
        )
        self.seen.append(response.content)
        return response

    def upload(self, path: Path, name: str | None = None) -> Any:
        with open(path, "rb") as fh:
            return self.post("/upload", files={"file": (name or path.name, fh.read())})

    def edit(self, row_: int, column: str, value: str, rows: tuple[int, ...] = ()) -> Any:
        response = self.client.post(
            "/cell",
            json={"row": row_, "column": column, "value": value, "rows": list(rows)},
            headers={"X-CSRF-Token": self.ctx.secrets.csrf},
        )
        self.seen.append(response.content)
        return response

    def wait_run(self, timeout: float = 30.0) -> dict[str, Any]:
        """Poll the progress until the run has ended (or fail at the deadline)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.get("/progress").json()
            if state["state"] != "running":
                return state
            time.sleep(0.02)
        raise AssertionError("the run did not end in time")

    def wait_for(self, check: Any, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.get("/progress").json()
            if check(state):
                return state
            time.sleep(0.01)
        raise AssertionError("the condition was not met in time")


@contextlib.contextmanager
def page_for(
    workdir: Path, *, sandbox: Sandbox | None = None, simulate: bool = True, **launch: Any
) -> Iterator[Page]:
    """The app of one start of the page, on ``workdir``, reached under its key."""
    own = sandbox is None and simulate
    box = Sandbox(Config(skills=DEMO_SKILLS)).start() if own else sandbox
    settings = Launch(
        workdir=workdir, simulate=simulate, base_url=launch.pop("base_url", None),
        options=launch.pop("options", schema.Options()), language=launch.pop("language", "en"),
        max_upload=launch.pop("max_upload", 5_000_000), **launch,
    )  # fmt: skip
    ctx = make_context(
        settings,
        port=PORT,
        sandbox_url=box.url if (box is not None and simulate) else None,
        remembered=workdir / "mappings.json",
    )
    try:
        with TestClient(at_root(create_app(ctx), ctx.secrets.root), base_url=BASE) as client:
            yield Page(client, ctx)
            ctx.runs.wait(30)
    finally:
        if own and box is not None:
            box.stop()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with page_for(tmp_path / "work") as p:
        yield p


def statuses(results_page: str) -> list[str]:
    """The status codes of the results page's rows, in row order."""
    return re.findall(r'data-testid="row-status-\d+" data-status="(\w+)"', results_page)


def sheet_rows(content: bytes, sheet: str | None = None) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    ws = book[sheet] if sheet else book.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_clean_sheet_goes_to_the_review_and_every_row_is_created(tmp_path, page):
    path = write_xlsx(
        tmp_path / "clean.xlsx",
        [["campaign_name", "type_campaign", "skill_id"], ["Uno", "preview", "101"],
         ["Dos", "preview", "0042"]],
    )  # fmt: skip
    answer = page.upload(path)
    assert answer.url.path == "/review"
    assert 'data-testid="problem-count"' in answer.text
    assert "0 cells with problems" in answer.text
    assert page.post("/send").url.path == "/send"
    state = page.wait_run()
    assert state["state"] == "finished" and state["text"] == "2/2"
    results = page.get("/results").text
    assert 'data-testid="row-status-2" data-status="created"' in results
    assert 'data-testid="row-status-3" data-status="created"' in results
    assert 'data-testid="no-retry"' in results


MISTAKES_HEADER = ["Nombre de la campaña", "Descripción", "tipo", "id_skill", "notas internas"]


def test_mistakes_fixed_in_place_then_sent_and_downloads_read_back(tmp_path, page):
    rows = [
        ["Cobranza enero", "vencida", "preview", "101", "revisar"],  # row 2: same name as 3
        ["cobranza enero", "duplicada", "preview", "102", ""],  # row 3
        ["Sin skill", "", "preview", "", ""],  # row 4: no skill
        ["Skill con letras", "", "preview", "10A", ""],  # row 5
        ["Bien", "", "preview", "103", ""],  # row 6
    ]
    source = write_csv(
        tmp_path / "campañas con errores.csv",
        [dict(zip(MISTAKES_HEADER, r, strict=True)) for r in rows],
        header=MISTAKES_HEADER,
        delimiter=";",
    )
    answer = page.upload(source)
    assert answer.url.path == "/columns"  # "notas internas" is not a known column
    assert "notas internas" in answer.text and "Nombre de la campaña" in answer.text
    answer = page.post("/columns", {"map-4": ""})  # ignore it
    assert answer.url.path == "/review"
    assert "4 cells with problems" in answer.text
    assert 'data-testid="cell-5-skill_id" class="cell bad" aria-invalid="true"' in answer.text

    fixed = page.edit(5, "skill_id", " 105 ", rows=(5,))
    assert fixed.status_code == 200
    assert fixed.json()["value"] == "105"
    assert fixed.json()["cells"]["5:skill_id"] == {"problems": [], "notes": []}
    assert "3 cells with problems" in fixed.json()["summary"]
    page.edit(3, "campaign_name", "Cobranza febrero", rows=(2, 3))
    review = page.get("/review").text
    assert "1 cell with a problem" in review
    assert 'data-testid="cell-2-campaign_name" class="cell"' in review

    page.post("/send")
    state = page.wait_run()
    assert state["counts"] == {"created": 4}
    assert statuses(page.get("/results").text) == [
        "created", "created", "invalid", "created", "created"
    ]  # fmt: skip

    book = sheet_rows(page.get("/download/results").content, "results")
    by_row = {r[0]: r for r in book[1:]}
    assert by_row[5][1] == "created" and by_row[3][1] == "created"
    assert by_row[4][1] == "invalid"
    retry = sheet_rows(page.get("/download/retry").content)
    assert [r[retry[0].index("original_row")] for r in retry[1:]] == ["4"]
    corrected = page.get("/download/corrected")
    assert "attachment" in corrected.headers["content-disposition"]
    # a CSV comes back as a CSV, with its own header, delimiter and notes column
    assert "campa%C3%B1as%20con%20errores.corrected.csv" in corrected.headers["content-disposition"]
    got = [line.split(";") for line in corrected.content.decode("utf-8").splitlines()]
    assert got[0] == MISTAKES_HEADER
    assert got[5 - 1][3] == "105"  # row 5 is still row 5
    assert got[3 - 1][0] == "Cobranza febrero"
    assert got[2 - 1] == rows[0]  # untouched rows as they were, notes included
    marked = sheet_rows(page.get("/download/corrected-xlsx").content)
    assert marked[5 - 1][3] == "105" and marked[0] == MISTAKES_HEADER


def test_an_edit_is_checked_with_the_file_wide_rules(tmp_path, page):
    path = write_csv(tmp_path / "dup.csv", [row("Igual"), row("igual "), row("Otra")])
    page.upload(path)
    assert "2 cells with problems" in page.get("/review").text
    answer = page.edit(3, "campaign_name", "Distinta", rows=(2, 3, 4)).json()
    assert answer["cells"]["2:campaign_name"]["problems"] == []  # the other row is fine too
    assert answer["cells"]["3:campaign_name"]["problems"] == []
    assert "2:skill_id" not in answer["cells"]  # unchanged cells are not sent
    assert answer["invalid"] == {"2": False, "3": False, "4": False}
    assert "0 cells with problems" in answer["summary"]


def test_an_edit_is_checked_against_the_skills_list(tmp_path):
    options = schema.Options(skills={"101": "Ventas", "102": "Cobros"})
    with page_for(tmp_path / "work", options=options) as page:
        page.upload(write_csv(tmp_path / "s.csv", [row("A"), row("B")]))
        answer = page.edit(3, "skill_id", "103").json()
        assert answer["problems"] and "not one of the operation's skills" in answer["problems"][0]
        assert page.edit(3, "skill_id", "102").json()["problems"] == []


def test_an_edit_of_an_unknown_cell_is_refused(tmp_path, page):
    page.upload(write_csv(tmp_path / "a.csv", [row("A")]))
    assert page.edit(99, "skill_id", "1").status_code == 400
    assert page.edit(2, "not_a_field", "1").status_code == 400


def test_only_rows_with_problems_and_pages_of_a_hundred(tmp_path, page):
    rows = [row(f"C{i}", skill_id="x" if i % 50 == 0 else "101") for i in range(250)]
    page.upload(write_csv(tmp_path / "long.csv", rows))
    first = page.get("/review").text
    assert "page 1 of 3" in first and 'data-testid="cell-101-skill_id"' in first
    assert 'data-testid="cell-102-skill_id"' not in first
    third = page.get("/review?page=3").text
    assert 'data-testid="cell-251-skill_id"' in third
    only = page.get("/review?only=1").text
    shown = [f'data-testid="cell-{r}-skill_id"' in only for r in range(2, 252)]
    assert sum(shown) == 5  # rows 2, 52, 102, 152, 202


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_message(page):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    answer = page.post("/upload", files={"file": ("campaigns.xlsx", png)})
    assert answer.status_code == 400
    assert "campaigns.xlsx is not a spreadsheet" in answer.text
    assert 'role="alert"' in answer.text


def test_a_file_over_the_size_limit_is_refused_with_a_message(tmp_path):
    with page_for(tmp_path / "work", max_upload=10_000) as page:
        answer = page.post("/upload", files={"file": ("big.csv", b"a,b\n" * 20_000)})
        assert answer.status_code == 413
        assert "larger than 0.01 MB" in answer.text and "--max-upload-mb" in answer.text
        assert not list((tmp_path / "work").glob("uploads/*"))


def test_the_loaders_message_names_the_file_as_uploaded(page):
    answer = page.upload(FILES / "empty.csv", name="mis campañas.csv")
    assert answer.status_code == 400
    assert "mis campañas.csv is empty" in answer.text
    assert "upload-1" not in answer.text


def test_uploads_are_stored_under_names_of_our_own(tmp_path, page):
    page.upload(write_csv(tmp_path / "a.csv", [row("A")]), name="../../evil.xlsx")
    stored = [p.name for p in (tmp_path / "work" / "uploads").iterdir()]
    assert stored == ["upload-1.csv"]  # the content is CSV, whatever the name says
    assert not (tmp_path / "evil.xlsx").exists()


def test_column_choices_are_remembered_for_the_same_header(tmp_path):
    header = ["campaign_name", "skill_id", "type_campaign", "mis notas"]
    first = write_csv(tmp_path / "a.csv", [row("A", **{"mis notas": "x"})], header=header)
    with page_for(tmp_path / "work") as page:
        assert page.upload(first).url.path == "/columns"
        page.post("/columns", {"map-3": ""})
        second = write_csv(tmp_path / "b.csv", [row("B")], header=header)
        assert page.upload(second).url.path == "/review"
        assert "ignored, as you chose" in page.get("/columns").text


def test_a_misspelt_column_is_put_right_on_the_columns_page(page):
    answer = page.upload(FILES / "misspelt-column.csv")
    assert answer.url.path == "/columns"
    assert "cannot be read with these columns yet" in answer.text
    assert "probably campaign_name" in answer.text
    review = page.post("/columns", {"map-0": "campaign_name", "map-1": "skill_id"})
    assert review.url.path == "/review" and 'data-testid="cell-2-campaign_name"' in review.text
    assert page.upload(FILES / "misspelt-column.csv").url.path == "/review"  # remembered


def test_an_unknown_column_can_be_mapped_to_a_field(tmp_path, page):
    header = ["campaign_name", "skill_id", "type_campaign", "extra info"]
    page.upload(write_csv(tmp_path / "a.csv", [row("A", **{"extra info": "hola"})], header=header))
    review = page.post("/columns", {"map-3": "opt1"}).text
    assert 'data-testid="cell-2-opt1"' in review and 'value="hola"' in review


def test_the_page_speaks_spanish_after_the_switch(tmp_path, page):
    page.upload(write_csv(tmp_path / "a.csv", [row("A", skill_id="x")]))
    answer = page.post("/lang", {"lang": "es", "next": "/review"})
    assert answer.url.path == "/review"
    assert '<html lang="es">' in answer.text
    assert "Revisar las filas" in answer.text
    assert "1 celda con problemas" in answer.text
    english = page.post("/lang", {"lang": "en", "next": "https://elsewhere.example/"})
    assert english.url.path == "/" and '<html lang="en">' in english.text


def test_the_corrected_sheet_keeps_every_row_at_its_own_number(tmp_path, page):
    path = write_xlsx(
        tmp_path / "titled.xlsx",
        [["Campañas de diciembre"], [],
         ["campaign_name", "type_campaign", "skill_id"],
         ["Uno", "preview", "10A"], [None, None, None], ["Dos", "preview", "102"]],
    )  # fmt: skip
    review = page.upload(path).text
    assert 'data-testid="cell-4-skill_id"' in review and 'data-testid="cell-6-skill_id"' in review
    page.edit(4, "skill_id", "101")
    rows = sheet_rows(page.get("/download/edited").content)
    assert rows[2] == ["campaign_name", "type_campaign", "skill_id"]  # the header stays row 3
    assert rows[3] == ["Uno", "preview", "101"] and rows[5] == ["Dos", "preview", "102"]
    page.post("/send")
    page.wait_run()
    assert statuses(page.get("/results").text) == ["created", "created"]
    results = sheet_rows(page.get("/download/results").content, "results")
    assert [r[0] for r in results[1:]] == [4, 6]


def test_a_cell_that_looks_like_a_formula_stays_text_in_the_corrected_sheet(tmp_path, page):
    page.upload(write_csv(tmp_path / "f.csv", [row("A")]))
    page.edit(2, "campaign_name", '=HYPERLINK("x")')
    book = load_workbook(io.BytesIO(page.get("/download/edited-xlsx").content))
    cell = book.worksheets[0]["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("x")'


def test_another_sheet_of_the_workbook_can_be_chosen(tmp_path, page):
    book = Workbook()
    first = book.active
    first.title = "campaigns"
    for r in (["campaign_name", "type_campaign", "skill_id"], ["De la primera", "preview", "101"]):
        first.append(r)
    other = book.create_sheet("enero")
    for r in (["campaign_name", "type_campaign", "skill_id"], ["De enero", "preview", "x"]):
        other.append(r)
    book.save(tmp_path / "dos hojas.xlsx")
    review = page.upload(tmp_path / "dos hojas.xlsx").text
    assert 'data-testid="sheet-select"' in review
    assert '<option value="enero">' in review and 'value="De la primera"' in review
    chosen = page.post("/sheet", {"sheet": "enero"})
    assert chosen.url.path == "/review"
    assert 'value="De enero"' in chosen.text and "1 cell with a problem" in chosen.text
    assert '<option value="enero" selected>' in chosen.text


def test_a_csv_whose_lines_end_in_a_carriage_return_alone_goes_to_the_review(tmp_path, page):
    src = tmp_path / "mac.csv"  # "CSV (Macintosh)" of older Excel
    src.write_bytes(b"campaign_name,type_campaign,skill_id\rA,preview,101\rB,preview,102\r")
    answer = page.upload(src)
    assert answer.url.path == "/review"
    assert "0 cells with problems" in answer.text
    assert "new-line character" not in answer.text


def test_a_header_with_control_characters_is_sent_and_its_results_written(tmp_path, page):
    src = tmp_path / "esc.csv"
    src.write_bytes(
        b"campaign_name,type_campaign,skill_id,\x1b[2J\x1b]0;PWNED\x07\nA,preview,101,x\n"
    )
    assert page.upload(src).url.path == "/columns"  # a column it does not know
    assert page.post("/columns", {}).url.path == "/review"  # left unread
    page.post("/send")
    assert page.wait_run()["state"] == "finished"
    results = page.get("/results").text
    assert 'data-testid="row-status-2" data-status="created"' in results
    book = page.get("/download/results")
    assert book.status_code == 200
    assert "<U+001B>[2J<U+001B>]0;PWNED<U+0007>" in sheet_rows(book.content, "results")[0]
