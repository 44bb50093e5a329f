"""A file's kind comes from its bytes, and each unusable file says what to do."""

import re

import pytest

from importer.errors import InputError
from importer.read.files import Kind, read_sheet, sniff

from .conftest import FILES


@pytest.mark.parametrize(
    ("file", "kind"),
    [("libreoffice.xlsx", Kind.ZIP), ("libreoffice.ods", Kind.ZIP), ("libreoffice.xls", Kind.OLE),
     ("encrypted.xlsx", Kind.ENCRYPTED), ("csv-named.xlsx", Kind.TEXT), ("clean.csv", Kind.TEXT)],
)  # fmt: skip
def test_the_kind_is_told_by_the_bytes_not_the_name(file, kind):
    assert sniff((FILES / file).read_bytes()) is kind


def test_a_sheet_name_for_a_csv_says_to_leave_it_out():
    with pytest.raises(InputError, match=re.escape("clean.csv is a CSV file. Leave out --sheet.")):
        read_sheet(FILES / "clean.csv", sheet="campaigns")


def test_a_folder_is_not_a_spreadsheet(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a spreadsheet"):
        read_sheet(tmp_path)
