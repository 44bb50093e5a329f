"""The web page's small parts: recognising uploads, naming files, remembered columns, progress."""

from __future__ import annotations

import io
import sys
import time
import zipfile
from pathlib import Path

import pytest

from importer.web import mappings, server
from importer.web.runs import LiveProgress, human_seconds
from importer.web.uploads import content_disposition, display_name, download_name, kind_of

from .conftest import FILES


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("libreoffice.xlsx", "xlsx"),
        ("libreoffice.xlsm", "xlsx"),
        ("libreoffice.ods", "ods"),
        ("libreoffice.xls", "xls"),
        ("encrypted.xlsx", "xls"),  # an OLE container: the reader says it has a password
        ("csv-named.xlsx", "csv"),
        ("latin1-nbsp.csv", "csv"),
    ],
)
def test_uploads_are_recognised_by_their_content(name, kind):
    assert kind_of((FILES / name).read_bytes()) == kind


def test_other_files_are_not_spreadsheets():
    document = io.BytesIO()
    with zipfile.ZipFile(document, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert kind_of(document.getvalue()) is None
    for start in (b"%PDF-1.7", b"\x89PNG\r\n", b"\xff\xd8\xff\xe0", b"MZ\x90\x00\x03"):
        assert kind_of(start + b"\x00" * 50) is None


def test_names_from_the_browser_are_only_shown_never_used_as_paths():
    assert display_name("C:\\Users\\ana\\campañas.xlsx") == "campañas.xlsx"
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("a\x00b\u202e.csv") == "ab.csv"
    assert display_name("") == "the file"
    assert download_name("campañas dic.xlsx", ".results.xlsx") == "campañas dic.results.xlsx"
    assert download_name('a"b;c.csv', ".retry.xlsx") == "a_b_c.retry.xlsx"
    header = content_disposition("campañas.results.xlsx")
    assert header.startswith('attachment; filename="campa_as.results.xlsx"')
    assert "filename*=UTF-8''campa%C3%B1as.results.xlsx" in header


def test_column_choices_live_in_the_workdir_or_the_users_folder(tmp_path, monkeypatch):
    assert mappings.default_path(tmp_path) == tmp_path / "mappings.json"
    monkeypatch.setattr(mappings.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert mappings.default_path(None) == tmp_path / "Roaming" / "wolkvox-import" / "mappings.json"
    monkeypatch.setattr(mappings.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert mappings.default_path(None) == tmp_path / "cfg" / "wolkvox-import" / "mappings.json"


def test_column_choices_are_found_again_whatever_the_case_or_accents(tmp_path):
    memory = mappings.Remembered(tmp_path / "m.json")
    memory.put(["Nombre", "Skill", "Notas Internas"], {"Notas Internas": None, "Nombre": "opt1"})
    found = memory.get(["nombre", "SKILL", "notas internas"])
    assert found == {"Notas Internas": None, "Nombre": "opt1"}
    assert memory.get(["otra", "cosa"]) == {}


def test_a_damaged_choices_file_is_ignored(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("{not json", encoding="utf-8")
    memory = mappings.Remembered(path)
    assert memory.get(["a"]) == {}
    memory.put(["a"], {"a": "campaign_name"})
    assert memory.get(["a"]) == {"a": "campaign_name"}


def test_only_known_fields_are_taken_from_the_choices_file(tmp_path):
    path = tmp_path / "m.json"
    memory = mappings.Remembered(path)
    memory.put(["a", "b"], {"a": "campaign_name"})
    text = Path(path).read_text(encoding="utf-8").replace("campaign_name", "rm -rf")
    path.write_text(text, encoding="utf-8")
    assert memory.get(["a", "b"]) == {}


def test_progress_counts_rows_and_estimates_the_rest():
    now = iter([0.0, 10.0, 10.0])
    progress = LiveProgress(now=lambda: next(now))
    progress.start(4)
    progress.sending(2, "Uno")
    assert progress.current == (2, "Uno")
    progress.row_done(2, "created")
    snap = progress.snapshot(0)
    assert snap["done"] == 1 and snap["total"] == 4 and snap["current"] is None
    assert snap["counts"] == {"created": 1} and snap["rows"] == [[2, "created", "Uno"]]
    assert snap["elapsed"] == 10.0 and snap["left"] == pytest.approx(30.0)
    assert progress.snapshot(1)["rows"] == []


def test_times_read_as_minutes_and_seconds():
    assert human_seconds(5) == "0:05"
    assert human_seconds(65.4) == "1:05"
    assert human_seconds(3723) == "1:02:03"


def test_the_browser_is_opened_without_the_key_on_its_command_line(monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(server.webbrowser, "open", opened.append)
    url = "http://127.0.0.1:5000/?key=SECRET-KEY"
    path = server._open_browser(url)
    try:
        deadline = time.monotonic() + 5
        while not opened and time.monotonic() < deadline:
            time.sleep(0.01)
        assert opened == [path.as_uri()] and "SECRET-KEY" not in opened[0]
        assert url in path.read_text(encoding="utf-8")
        if sys.platform != "win32":
            assert path.stat().st_mode & 0o077 == 0  # this user's alone
    finally:
        path.unlink()
