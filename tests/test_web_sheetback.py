"""The page gives the person's own sheet back, and a retry file keeps its rows' context."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from importer.web.corrected import EDITED_FILL

from .conftest import FILES
from .opsbook import (
    HEADER,
    HEADER_FILL,
    HEADER_ROW,
    NAME_COLOUR,
    OTHER_SHEET,
    ROWS,
    SHEET,
    TITLE,
    write_ops_book,
)
from .test_web import Page, page_for, statuses

FIXED = ["row", "status", "id_campaign", "message", "status_label"]
NEW_NAME = "Cobranza Mora 30 Bogotá Refuerzo"


@pytest.fixture
def page(tmp_path: Path) -> Any:
    with page_for(tmp_path / "work") as p:
        yield p


def book_of(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content))


def filename(response: Any) -> str:
    return re.search(r"filename\*=UTF-8''(.+)$", response.headers["content-disposition"])[1]


def prepare(tmp_path: Path, page: Page) -> None:
    """The ops team's workbook uploaded, its notes column set aside, two cells changed."""
    answer = page.upload(write_ops_book(tmp_path / "campañas.xlsx"))
    if answer.url.path == "/columns":  # "Notas" is not a column of wolkvox
        answer = page.post("/columns", {"map-5": ""})
    assert answer.url.path == "/review"
    assert page.edit(4, "campaign_name", NEW_NAME).status_code == 200
    assert page.edit(10, "skill_id", "0042").status_code == 200


def check_their_workbook(content: bytes) -> None:
    """Their sheet, sheets, title rows, headers, notes and formats, the changes marked."""
    book = book_of(content)
    assert book.sheetnames == [SHEET, OTHER_SHEET]
    ws = book[SHEET]
    assert ws["A1"].value == TITLE and "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[HEADER_ROW]] == HEADER
    assert ws.cell(HEADER_ROW, 1).fill.fgColor.rgb.endswith(HEADER_FILL)
    assert ws["F4"].value == ROWS[4][5] and ws["F10"].value == ROWS[10][5]  # the notes
    assert ws["A4"].value == NEW_NAME
    assert ws["A4"].font.color.rgb.endswith(NAME_COLOUR)  # its own format stays
    assert ws["C10"].value == "0042" and ws["C10"].number_format == "@"  # an id as text
    for cell in (ws["A4"], ws["C10"]):
        assert cell.fill.fgColor.rgb == EDITED_FILL.fgColor.rgb
    assert ROWS[4][0] in ws["A4"].comment.text and "10A" in ws["C10"].comment.text
    untouched = [
        ws.cell(r, c) for r in ROWS for c in range(1, 7) if (r, c) not in {(4, 1), (10, 3)}
    ]
    assert all(c.comment is None for c in untouched)
    assert [ws.cell(r, 3).value for r in ROWS if r != 10] == [v[2] for r, v in ROWS.items()
                                                             if r != 10]  # fmt: skip
    assert book[OTHER_SHEET]["A1"].value.startswith("No borrar")


def test_the_corrected_download_is_their_own_workbook_with_the_changes_marked(tmp_path, page):
    prepare(tmp_path, page)
    edited = page.get("/download/edited")
    assert filename(edited) == "campa%C3%B1as.corrected.xlsx"
    check_their_workbook(edited.content)
    review = page.get("/review").text
    assert "each marked in blue" in review
    assert 'data-testid="download-edited-xlsx"' not in review  # a workbook has its marks


def test_after_the_run_every_download_keeps_their_columns(tmp_path, page):
    prepare(tmp_path, page)
    page.post("/send")
    state = page.wait_run()
    # the two rows whose skill the (simulated) operation lacks: marked on the review, not sent
    assert state["counts"] == {"created": 6}
    check_their_workbook(page.get("/download/corrected").content)

    results = book_of(page.get("/download/results").content)["results"]
    assert [c.value for c in results[1]] == [*FIXED, *HEADER]
    got = {r[0]: r for r in results.iter_rows(min_row=2, values_only=True)}
    assert got[4][len(FIXED)] == NEW_NAME and got[4][-1] == ROWS[4][5]
    assert got[10][len(FIXED) + 2] == "0042" and got[10][1] == "created"
    skill = len(FIXED) + HEADER.index("ID skill") + 1
    assert {results.cell(r, skill).number_format for r in range(2, results.max_row + 1)} == {"@"}

    retry = page.get("/download/retry")
    assert filename(retry) == "campa%C3%B1as.results.retry.xlsx"  # the command line's name
    ws = book_of(retry.content).active
    assert [c.value for c in ws[1]] == [*HEADER, "original_row", "last_message"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[5], r[6]) for r in rows] == [
        (ROWS[6][0], ROWS[6][5], "6"), (ROWS[9][0], None, "9"),
    ]  # fmt: skip


def test_a_retry_file_on_the_page_keeps_its_rows_context(tmp_path):
    with page_for(tmp_path / "work", language="es") as page:
        prepare(tmp_path, page)
        page.post("/send")
        page.wait_run()
        retry = tmp_path / "campañas.results.retry.xlsx"
        retry.write_bytes(page.get("/download/retry").content)

        # the column choices made for the sheet hold for its retry file
        answer = page.upload(retry)
        assert answer.url.path == "/review"
        review = answer.text
        assert "(fila 2 del archivo de reintento)" in review
        row_header = re.search(r'<th scope="row" id="r-2"[^>]*>([^<]*)<', review)[1]
        assert row_header.strip() == "6"
        last = re.search(r'data-testid="last-message-2">([^<]*)<', review)[1]
        assert "SKILL ID NOT FOUND" in last or "skill" in last.lower()
        assert "último mensaje" in review.lower()
        assert "Es un archivo de reintento" in review

        page.edit(2, "skill_id", "105")
        page.edit(3, "skill_id", "106")
        page.post("/send")
        state = page.wait_run()
        assert state["counts"] == {"created": 2}
        assert sorted(r[0] for r in page.get("/progress?since=0").json()["rows"]) == [6, 9]
        results_page = page.get("/results").text
        assert statuses(results_page) == ["created", "created"]
        assert "(fila 3 del archivo de reintento)" in results_page
        results = book_of(page.get("/download/results").content)["results"]
        header = [c.value for c in results[1]]
        assert header[: len(FIXED) + 1] == [*FIXED, "retry_row"]
        rows = list(results.iter_rows(min_row=2, values_only=True))
        assert [(r[0], r[5]) for r in rows] == [(6, 2), (9, 3)]
        assert [r[header.index("Notas")] for r in rows] == [ROWS[6][5], None]


def test_a_csv_comes_back_as_a_csv_in_its_own_encoding_and_delimiter(tmp_path, page):
    header = "Nombre de la campaña;Tipo;ID skill;Observación"
    lines = [header, "Cobranza Año Nuevo;preview;10A;revisar ñandú", "Ventas;preview;102;"]
    source = tmp_path / "campañas.csv"
    source.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    answer = page.upload(source)
    if answer.url.path == "/columns":
        page.post("/columns", {"map-3": ""})
    page.edit(2, "skill_id", "0101")
    edited = page.get("/download/edited")
    assert filename(edited) == "campa%C3%B1as.corrected.csv"
    text = edited.content.decode("cp1252")
    assert text.split("\r\n")[:3] == [header, "Cobranza Año Nuevo;preview;0101;revisar ñandú",
                                      "Ventas;preview;102;"]  # fmt: skip
    review = page.get("/review").text
    assert 'data-testid="download-edited-xlsx"' in review
    marked = book_of(page.get("/download/edited-xlsx").content).active
    assert marked["C2"].value == "0101" and marked["C2"].number_format == "@"
    assert marked["C2"].fill.fgColor.rgb == EDITED_FILL.fgColor.rgb
    assert "10A" in marked["C2"].comment.text and marked["D2"].value == "revisar ñandú"


@pytest.mark.parametrize("name", ["libreoffice.ods", "libreoffice.xls"])
def test_an_ods_or_xls_comes_back_as_an_xlsx_copy_with_its_sheets(tmp_path, page, name):
    answer = page.upload(FILES / name)
    assert answer.url.path == "/review"
    page.edit(3, "campaign_description", "cambiada")
    edited = page.get("/download/edited")
    assert filename(edited).endswith(".corrected.xlsx")
    book = book_of(edited.content)
    ws = book["office-source"]
    assert ws["A2"].value == "Oficina uno" and ws["B3"].value == "cambiada"
    assert ws["B3"].comment is not None and ws["A2"].comment is None
    assert "cannot be written back as it was" in page.get("/review").text


def test_a_column_placed_on_the_page_reads_back_alone_in_the_retry_file(tmp_path, page):
    from importer.read.load import load_table

    from .conftest import write_csv

    header = ["Campaña interna", "tipo", "id skill", "skill", "Notas"]
    cells = [["Uno", "preview", "101", "7", "a"], ["Dos", "preview", "999", "8", "b"]]
    rows = [dict(zip(header, r, strict=True)) for r in cells]
    page.upload(write_csv(tmp_path / "m.csv", rows, header=header, delimiter=";"))
    # the first column is the name; "skill" is set aside (it claims skill_id too)
    answer = page.post("/columns", {"map-0": "campaign_name", "map-3": "", "map-4": ""})
    assert answer.url.path == "/review"
    page.post("/send")
    assert page.wait_run()["counts"] == {"created": 1}  # 999: not a skill, never sent
    retry = tmp_path / "m.results.retry.xlsx"
    retry.write_bytes(page.get("/download/retry").content)
    got = [c.value for c in book_of(retry.read_bytes()).active[1]]
    # the placed column keeps the person's header, with its field so that it reads alone
    assert got == ["Campaña interna (campaign_name)", "tipo", "id skill", "skill (not read)",
                   "Notas", "original_row", "last_message"]  # fmt: skip
    back = load_table(retry)  # no choices needed: it loads by itself
    assert back.frame.loc[2, "campaign_name"] == "Dos" and back.frame.loc[2, "skill_id"] == "999"
    results = book_of(page.get("/download/results").content)["results"]
    assert [c.value for c in results[1]][len(FIXED) :] == got[:5]
