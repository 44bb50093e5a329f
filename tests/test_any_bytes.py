"""Any bytes at all, named as a spreadsheet, end with an exit code and a message.

``validate`` is the command line's own entry (``cli.main``), given: arbitrary bytes as
``.csv``, ``.xlsx`` and ``.ods``; valid zips of random parts, some named as a workbook's,
holding random bytes or pieces of spreadsheet XML; and real workbooks with bytes
changed or cut off. Whatever it is, the answer is 0, 1 or 2 with something said, never
a traceback and never exit 70 (a fault of the importer).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importer.cli import commands as cli

from . import hostile
from .conftest import FILES

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Names a reader looks for, so random parts land where they are read.
PART_NAMES = [
    "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
    "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.bin",
    "mimetype", "META-INF/manifest.xml", "content.xml", "styles.xml", "other.bin",
]  # fmt: skip

#: Pieces of the XML those parts hold, to be put together in random order.
XML_PIECES = [
    hostile._WORKBOOK, hostile._WORKBOOK_RELS, hostile._CONTENT_TYPES, hostile._ROOT_RELS,
    f'<worksheet xmlns="{hostile.MAIN}">', "<sheetData>", "</sheetData>", "</worksheet>",
    '<dimension ref="A1:XFD1048576"/>', hostile.row(1, hostile.HEADER),
    hostile.row(2, hostile.ROW), '<row r="3">', "</row>", '<c r="XFD1048576"><v>1</v></c>',
    '<c r="A3" t="e"><v>#N/A</v></c>', '<c r="B3" t="s"><v>7</v></c>', "<c>", "</c>",
    '<c r="A0">', '<c r="ZZZZ9">', "<v>1e308</v>", "<x:c r='A1'/>", "<sst><si><t>x</t></si>",
    "application/vnd.oasis.opendocument.spreadsheet", '<table:table table:name="t">',
    "<table:table-row>", "</table:table-row>", "</table:table>", hostile.ods_cell("x", 3),
    '<table:table-cell table:number-columns-repeated="99999999" office:value="1"/>',
    '<table:table-row table:number-rows-repeated="-1">', "\x00", "\ufeff", "&#0;", "<?xml",
]  # fmt: skip


def validate(data: bytes, suffix: str) -> tuple[int, str]:
    """Exit code and everything said, for ``validate`` of ``data`` saved as ``suffix``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        args = ["validate", str(path), "--out", str(Path(folder) / "r.xlsx"), "--quiet"]
        code = cli.main([*args, "--lang", "en"], stdout=out, stderr=err)
    return int(code), out.getvalue() + err.getvalue()


def check(data: bytes, suffix: str) -> None:
    code, said = validate(data, suffix)
    assert code in (0, 1, 2), said
    assert said.strip()
    assert "Traceback" not in said and "internal error" not in said


@PROPERTY
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".ods"]))
def test_arbitrary_bytes(data, suffix):
    check(data, suffix)


@PROPERTY
@given(
    text=st.text(max_size=400),
    header=st.sampled_from(["", "campaign_name,skill_id\n", "campaign_name;skill_id\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_arbitrary_text_as_csv(text, header, encoding):
    check((header + text).encode(encoding, errors="replace"), ".csv")


_part = st.tuples(
    st.sampled_from(PART_NAMES)
    # (zipfile itself cannot store a name holding NUL, nor data under a folder's name)
    | st.text(min_size=1, max_size=12).filter(lambda n: "\x00" not in n and n[-1] != "/"),
    st.binary(max_size=300) | st.lists(st.sampled_from(XML_PIECES), max_size=12).map("".join),
    st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
)


@PROPERTY
@given(parts=st.lists(_part, max_size=8), suffix=st.sampled_from([".xlsx", ".ods"]))
def test_a_zip_of_random_parts(parts, suffix):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for name, content, method in parts:
            book.writestr(name, content, method)
    check(out.getvalue(), suffix)


_SAMPLES = {
    name: (FILES / name).read_bytes()
    for name in ("libreoffice.xlsx", "libreoffice.ods", "libreoffice.xls", "excel-errors.xlsx")
}


@PROPERTY
@given(
    name=st.sampled_from(sorted(_SAMPLES)),
    changes=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                     max_size=6),
    cut=st.none() | st.floats(0, 1),
)  # fmt: skip
def test_a_real_workbook_with_bytes_changed_or_cut(name, changes, cut):
    data = bytearray(_SAMPLES[name])
    for where, value in changes:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    check(bytes(data), "." + name.rsplit(".", 1)[1])
