"""Files built to exhaust memory or time: each is refused with a message, or read without
its empty extent, and none takes the process down.

The first tests run the real command line in a child process under a 1 GiB address-space
limit, as a file uploaded to the page or given to ``validate`` would be read: before
these limits, the tiny workbooks below made calamine allocate tens or hundreds of
gigabytes and the process died (exit 134, a Rust backtrace), and the wide CSV ended in
MemoryError (exit 70).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importer.errors import InputError
from importer.read import archive, ods, xlsx
from importer.read.load import load_table
from importer.send.policy import MAX_CELLS, MAX_COLUMNS, MAX_LINE_CHARS, MAX_PARTS

from . import hostile
from .conftest import FILES, ROOT

GIB = 2**30

LIMITED = {
    "far-corner.xlsx": (hostile.far_corner_xlsx, 0,
                        "left out 1 cell far to the right of the table (XFD1048576)"),
    "stray-column.xlsx": (hostile.stray_column_xlsx, 0,
                          "left out 1 cell far to the right of the table (XFD1)"),
    "zip-bomb.xlsx": (hostile.zip_bomb_xlsx, 2,
                      "zip-bomb.xlsx unpacks to 599 MB of data, more than the 256 MB"),
    "lying-bomb.xlsx": (hostile.lying_bomb_xlsx, 2,
                        "lying-bomb.xlsx could not be opened as a workbook: it looks damaged"),
    "repeated.ods": (hostile.repeated_ods, 2,
                     "repeated.ods uses 16,416,768 cells (up to cell XFD1002), more than the "
                     "4,000,000 the importer reads. Delete the rows and columns below"),
    "corner.xls": (lambda: hostile.corner_xls((FILES / "libreoffice.xls").read_bytes()), 2,
                   "corner.xls uses 16,777,216 cells (up to cell IV65536)"),
    "wide-row.csv": (hostile.wide_csv, 1,
                     "row 3, type_campaign 'preview': this row has 2000003 fields but the "
                     'header has 3, so "x,x,x'),
}  # fmt: skip


def run_limited(path: Path, out: Path) -> tuple[int, str, str, int]:
    """``validate path`` in a child limited to 1 GiB of address space and 2 CPU minutes:
    (exit code, stdout, stderr, peak resident bytes)."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))
        resource.setrlimit(resource.RLIMIT_CPU, (120, 120))

    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "WOLKVOX_IMPORT_LANG": "en"}
    with open(out / "stdout", "wb") as stdout, open(out / "stderr", "wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "importer", "validate", str(path), "--quiet",
             "--out", str(out / "results.xlsx")],
            stdout=stdout, stderr=stderr, cwd=ROOT, env=env, preexec_fn=limit,
        )  # fmt: skip
        # wait4 tells this child's own peak memory, not the most any child ever took.
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    read = lambda name: (out / name).read_text(encoding="utf-8", errors="replace")  # noqa: E731
    return child.returncode, read("stdout"), read("stderr"), usage.ru_maxrss * 1024


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="address-space limits are POSIX-only")
@pytest.mark.parametrize("name", LIMITED)
def test_a_costly_file_is_refused_or_read_within_a_gibibyte(name, tmp_path):
    build, code, text = LIMITED[name]
    path = tmp_path / name
    path.write_bytes(build())
    assert path.stat().st_size < 20_000_000  # all of them fit through the page's upload
    got, out, err, peak = run_limited(path, tmp_path)
    assert (got, text in out + err) == (code, True), out + err
    assert "Traceback" not in err and "panicked" not in err
    assert peak < GIB


# --- workbooks ------------------------------------------------------------------------------


def test_a_sparse_sheet_is_read_without_its_stray_cell(tmp_path):
    path = tmp_path / "stray.xlsx"
    # 301 rows of all 16,384 columns are more cells than the limit: the stray is left out.
    path.write_bytes(hostile.stray_column_xlsx(300))
    table = load_table(path)
    assert table.frame.index.tolist() == list(range(2, 302))
    assert table.frame.loc[2, "campaign_name"] == "Campaña 2"
    assert (
        "left out 1 cell far to the right of the table (XFD1); delete it if it is not needed"
        in table.warnings
    )


def test_a_declared_extent_alone_costs_nothing(tmp_path):
    path = tmp_path / "declared.xlsx"
    path.write_bytes(hostile.xlsx(hostile.sheet_xml(hostile.table_rows(1), "A1:XFD1048576")))
    assert load_table(path).frame.index.tolist() == [2]


def test_all_of_excels_rows_in_few_columns_are_read(tmp_path):
    rows = [*hostile.table_rows(1), hostile.row(1_048_576, ["Última", "101", "preview"])]
    path = tmp_path / "tall.xlsx"
    path.write_bytes(hostile.xlsx(hostile.sheet_xml(rows)))
    assert load_table(path).frame.index.tolist() == [2, 1_048_576]


def test_a_sheet_too_large_even_without_strays_is_refused(tmp_path):
    # Column E reaches row 1,048,576 and is next to the table: 5 columns of all the rows.
    rows = [*hostile.table_rows(1), hostile.row(1_048_576, ["x"], first_column=4)]
    path = tmp_path / "tall.xlsx"
    path.write_bytes(hostile.xlsx(hostile.sheet_xml(rows)))
    with pytest.raises(
        InputError,
        match=r"tall.xlsx: sheet 'campaigns' uses 5,242,880 cells "
        r"\(up to cell E1048576\), more than the 4,000,000",
    ):
        load_table(path)


def test_shared_strings_beyond_the_limit_are_refused(tmp_path):
    strings = b"<sst>" + b"<si/>" * (MAX_CELLS + 1) + b"</sst>"
    rels = hostile._WORKBOOK_RELS.replace(
        "</Relationships>",
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    data = hostile.xlsx(hostile.sheet_xml(hostile.table_rows(1)),
                        extra={"xl/sharedStrings.xml": strings})  # fmt: skip
    data = _replace_part(data, "xl/_rels/workbook.xml.rels", rels.encode())
    path = tmp_path / "strings.xlsx"
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"strings\.xlsx holds 4,000,001 texts"):
        load_table(path)


def _replace_part(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, content if info.filename == name else old.read(info))
    return out.getvalue()


def test_a_binary_workbook_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "book.xlsb"
    path.write_bytes(hostile.raw_zip([hostile.Member.deflated("xl/workbook.bin", [b"\0"])]))
    with pytest.raises(InputError, match=r"book.xlsb is an Excel binary workbook \(.xlsb\)"):
        load_table(path)


# --- the zip container ----------------------------------------------------------------------


def _book_with(*members: hostile.Member) -> bytes:
    return hostile.raw_zip([*hostile._xlsx_parts(), *members])


def _sheet(data: bytes = b"") -> hostile.Member:
    xml = data or hostile.sheet_xml(hostile.table_rows(1))
    return hostile.Member.deflated("xl/worksheets/sheet1.xml", [xml])


@pytest.mark.parametrize(
    "members",
    [
        # the same part twice: one reader may take the first, another the last
        pytest.param([_sheet(), _sheet()], id="duplicate"),
        # a part that says it is smaller than it is
        pytest.param([hostile.Member(**{**vars(_sheet()), "size": 10})], id="lying-size"),
        pytest.param([hostile.Member(**{**vars(_sheet()), "crc": 1})], id="checksum"),
        pytest.param([hostile.Member(**{**vars(_sheet()), "method": 12})], id="bzip2"),
    ],
)
def test_a_container_two_readers_could_read_differently_is_damaged(members, tmp_path):
    path = tmp_path / "odd.xlsx"
    path.write_bytes(_book_with(*members))
    with pytest.raises(InputError, match=r"odd\.xlsx could not be opened as a workbook"):
        load_table(path)


def test_a_zip_of_too_many_parts_is_refused_before_listing_them(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for n in range(MAX_PARTS + 1):
            book.writestr(f"p{n}", b"")
    path = tmp_path / "parts.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(InputError, match=r"parts\.xlsx holds more than 10,000 parts"):
        load_table(path)


def test_a_part_is_never_unpacked_past_what_it_declares():
    data = hostile.lying_bomb_xlsx(64 * 2**20)
    book = archive.Archive("bomb.xlsx", data)
    seen = 0
    with pytest.raises(InputError, match="damaged"):
        for piece in book.stream("xl/worksheets/sheet1.xml"):
            seen += len(piece)
    assert seen <= archive.CHUNK


# --- the scans agree with calamine ----------------------------------------------------------

_positions = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 60)), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions=_positions, form=st.sampled_from(["plain", "prefixed", "reordered", "no-ref"]))
def test_the_xlsx_scan_finds_what_calamine_allocates(positions, form):
    import python_calamine

    cells: dict[int, dict[int, str]] = {}
    for r, c in positions:
        cells.setdefault(r, {})[c] = f"v{r}.{c}"
    rows = []
    for r in sorted(cells):
        tags = []
        for c in sorted(cells[r]):
            ref = f"{hostile.column_letters(c)}{r + 1}"
            value = f"<is><t>{cells[r][c]}</t></is>"
            tag = {"plain": f'<c r="{ref}" t="inlineStr">',
                   "prefixed": f'<x:c r="{ref}" t="inlineStr">',
                   "reordered": f"<c t='inlineStr' s=\"0\" r='{ref}'>",
                   "no-ref": '<c t="inlineStr">'}[form]  # fmt: skip
            end = "</x:c>" if form == "prefixed" else "</c>"
            tags.append(tag + value.replace("<", "<x:") if form == "prefixed" else tag + value)
            tags[-1] = tags[-1].replace("<x:/", "</x:") + end
        start = f'<row r="{r + 1}">' if form != "prefixed" else f'<x:row r="{r + 1}">'
        rows.append(start + "".join(tags) + ("</x:row>" if form == "prefixed" else "</row>"))
    body = "".join(rows)
    if form == "prefixed":
        xml = (f'<x:worksheet xmlns:x="{hostile.MAIN}"><x:sheetData>{body}</x:sheetData>'
               "</x:worksheet>").encode()  # fmt: skip
    else:
        xml = hostile.sheet_xml([body])
    extent = xlsx.scan(lambda: [xml])
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(hostile.xlsx(xml)))
    sheet = book.get_sheet_by_name("campaigns").to_python(skip_empty_area=False)
    assert (extent.rows, extent.width) == (len(sheet), max(map(len, sheet)))
    assert extent.plain == (form == "plain")


_ods_rows = st.lists(
    st.tuples(
        st.lists(st.tuples(st.booleans(), st.integers(1, 4)), max_size=6),  # (value?, repeat)
        st.integers(1, 4),  # row repeat
    ),
    min_size=1, max_size=8,
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(rows=_ods_rows)
def test_the_ods_scan_finds_what_calamine_allocates(rows):
    import python_calamine

    xml_rows = []
    for cells, repeat in rows:
        xml = []
        for value, times in cells:
            rep = f' table:number-columns-repeated="{times}"' if times > 1 else ""
            xml.append(hostile.ods_cell("x", times) if value else f"<table:table-cell{rep}/>")
        xml_rows.append(hostile.ods_row(xml, repeat))
    data = hostile.ods(xml_rows)
    (table,) = ods.scan(archive.Archive("t.ods", data).stream("content.xml"), MAX_CELLS)
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheet = book.get_sheet_by_name("campaigns").to_python(skip_empty_area=False)
    calamine = (len(sheet), max(map(len, sheet), default=0)) if sheet else (0, 0)
    # Never less than calamine holds; exactly that when every row ends with a value.
    assert table.rows >= calamine[0] and table.width >= calamine[1]
    if all(cells and cells[-1][0] for cells, _repeat in rows):
        assert (table.rows, table.width) == calamine


# --- CSV ------------------------------------------------------------------------------------


def test_a_wide_record_is_a_problem_of_its_row_not_of_the_whole_file(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(hostile.wide_csv(fields=200_000, rows=500))
    table = load_table(path)
    assert len(table.frame) == 502
    (problem,) = table.problems
    assert problem.row == 3 and "this row has 200003 fields but the header has 3" in problem.message
    assert len(problem.message) < 600  # the left-over text is quoted in part


def test_a_line_longer_than_any_row_is_refused(tmp_path):
    path = tmp_path / "commas.csv"
    path.write_bytes(b"campaign_name,skill_id\nUno,101" + b"," * MAX_LINE_CHARS + b"\nDos,1\n")
    with pytest.raises(InputError, match=r"commas.csv: line 2 is 8,388,615 characters long"):
        load_table(path)


def test_a_header_wider_than_a_sheet_is_refused(tmp_path):
    path = tmp_path / "wide-header.csv"
    header = "campaign_name,skill_id," + ",".join(f"c{n}" for n in range(MAX_COLUMNS))
    path.write_text(header + "\nUno,101\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"the header has 16,386 columns, more than a spread"):
        load_table(path)


def test_more_cells_than_the_limit_are_refused(tmp_path):
    path = tmp_path / "tall.csv"
    path.write_bytes(b"campaign_name,skill_id\n" + b"\n" * (MAX_CELLS // 2 + 1))
    with pytest.raises(InputError, match=r"tall.csv has about 2,000,002 rows of 2 columns"):
        load_table(path)


def test_empty_trailing_header_columns_are_not_allocated_for_every_row(tmp_path):
    # Excel writes a separator for every column ever used: 300 of them, 20,000 rows.
    path = tmp_path / "trailing.csv"
    lines = ["campaign_name,skill_id" + "," * 300] + [
        f"C{n},101" + "," * 300 for n in range(20_000)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = load_table(path)
    assert len(table.frame) == 20_000 and not table.problems


def test_the_page_tells_an_ods_by_the_start_of_its_mimetype_part():
    import tracemalloc

    from importer.web.uploads import kind_of

    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"
    bomb = hostile.Member.repeated("mimetype", mimetype, b" " * 2**20, 512, b"")
    data = hostile.raw_zip([bomb, hostile.Member.deflated("content.xml", [b"<x/>"])])
    tracemalloc.start()
    try:
        assert kind_of(data) == "ods"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # not the 512 MB the part unpacks to
