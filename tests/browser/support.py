"""Drive the local web page from tests and benchmarks: its process, a headless Chromium,
sheets to upload, and the files the page hands back.

Kept apart from the test modules so the web benchmarks can start the page and the
browser the same way the browser tests do.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import re
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: Debian's Chromium; another build can be named for a developer's own machine.
CHROMIUM = os.environ.get("WOLKVOX_IMPORT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1200, "height": 800}
#: Seconds a page or the server may take for one step before a test gives up.
STEP = 15.0


class Unavailable(RuntimeError):
    """Playwright or Chromium is missing; the message says what to install."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing() -> str | None:
    """What the browser tests lack on this machine, as an install hint; None when ready."""
    import importlib.util

    for module in ("playwright", "axe_playwright_python"):
        if importlib.util.find_spec(module) is None:
            return (
                f"{module} is missing: `pip install playwright axe-playwright-python` "
                "(never `playwright install`: the tests use Debian's Chromium)"
            )
    if not Path(CHROMIUM).exists():
        return (
            f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` "
            "(or set WOLKVOX_IMPORT_CHROMIUM to a Chromium binary)"
        )
    return None


def require_browser() -> None:
    """Skip the calling test when the browser stack is missing, but fail it in CI."""
    import pytest

    why = missing()
    if why is None:
        return
    if in_ci():
        pytest.fail(f"browser tests cannot run in CI: {why}", pytrace=False)
    pytest.skip(why)


def launch_chromium(playwright: Any) -> Any:
    """Debian's headless Chromium, driven by Playwright (never Playwright's own browser)."""
    if not Path(CHROMIUM).exists():
        raise Unavailable(
            f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` "
            "(or set WOLKVOX_IMPORT_CHROMIUM to a Chromium binary)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def start_playwright() -> Any:
    """Playwright's sync driver, or :class:`Unavailable` saying how to get it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise Unavailable(
            "Playwright for Python is missing: `pip install playwright axe-playwright-python` "
            "(never `playwright install`: the tests use Debian's Chromium)"
        ) from exc
    return sync_playwright().start()


# --- the web server in a child process ---------------------------------------------------


def child_env(lock_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a child importer: no token or server from the outside world."""
    env = {k: v for k, v in os.environ.items() if k not in {"WOLKVOX_TOKEN", "WOLKVOX_SERVER"}}
    env["WOLKVOX_IMPORT_LOCK_DIR"] = str(lock_dir)
    env.update(extra)
    return env


@dataclass
class WebServer:
    """``python -m importer web ...`` running in a child process."""

    proc: subprocess.Popen[str]
    url: str
    workdir: Path
    output: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` without the secret."""
        match = re.match(r"http://[^/]+", self.url)
        assert match, self.url
        return match.group(0)

    @property
    def root(self) -> str:
        """The page's own address: ``http://127.0.0.1:PORT/KEY``, which every page lives under."""
        return f"{self.origin}/{self.secret}"

    @property
    def secret(self) -> str:
        match = re.search(r"[?&]key=([^&#]+)", self.url)
        return match.group(1) if match else ""

    def logs(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return "".join(self.output)

    def stop(self) -> None:
        """Ctrl-C's equivalent; a server that does not stop in time is killed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill(self) -> None:
        """A crash: SIGKILL where there is one, no chance to tidy up."""
        self.proc.kill()
        self.proc.wait(10)


def _pump(stream: io.TextIOBase, lines: queue.Queue[str | None], sink: list[str]) -> None:
    """Read a child's stream to its end so it never blocks on a full pipe."""
    for line in stream:
        sink.append(line)
        lines.put(line)
    lines.put(None)


def start_web(
    workdir: Path,
    *args: str,
    simulate: bool = True,
    lock_dir: Path | None = None,
    env: dict[str, str] | None = None,
    deadline: float = 30.0,
) -> WebServer:
    """Start the page on a free port and return once its first line (the address) is out."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "importer", "web", "--no-browser", "--port", "0"]
    command += ["--workdir", str(workdir), *(["--simulate"] if simulate else []), *args]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env or child_env(lock_dir or workdir.parent / "locks"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    output: list[str] = []
    first: queue.Queue[str | None] = queue.Queue()
    errors: queue.Queue[str | None] = queue.Queue()
    assert proc.stdout is not None and proc.stderr is not None
    for stream, lines in ((proc.stdout, first), (proc.stderr, errors)):
        threading.Thread(target=_pump, args=(stream, lines, output), daemon=True).start()
    try:
        line = first.get(timeout=deadline)
    except queue.Empty:
        line = None
    if line is None or not line.startswith("http://127.0.0.1:"):
        server = WebServer(proc, "", workdir, output)
        server.stop()
        raise AssertionError(
            f"`{' '.join(command[1:])}` did not print its address as its first line within "
            f"{deadline:.0f} s; first line {line!r}; output:\n{''.join(output)[-3000:]}"
        )
    return WebServer(proc, line.strip(), workdir, output)


# --- sheets --------------------------------------------------------------------------------


def campaign_rows(n: int, *, prefix: str = "Web") -> list[dict[str, str]]:
    """``n`` valid campaigns, mixed preview and predictive, all with demo skills."""
    rows = []
    for i in range(n):
        predictive = i % 2 == 1
        rows.append({
            "campaign_name": f"{prefix} {i + 1:04d}",
            "campaign_description": f"lote {i % 7}",
            "type_campaign": "predictive" if predictive else "preview",
            "start_time": "08:00" if predictive else "",
            "end_time": "18:00" if predictive else "",
            "skill_id": str(101 + i % 10),
            "enable_edition": "yes" if i % 3 == 0 else "no",
        })  # fmt: skip
    return rows


HEADER = ("campaign_name", "campaign_description", "type_campaign", "start_time", "end_time",
          "skill_id", "enable_edition")  # fmt: skip


def write_xlsx(path: Path, rows: Sequence[dict[str, str]], header: Sequence[str] = HEADER) -> Path:
    """A workbook as Excel users make it: one sheet, header in row 1, text cells."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "campaigns"
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(h, "") or None for h in header])
    book.save(path)
    return path


def write_csv(path: Path, rows: Sequence[dict[str, str]], header: Sequence[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([row.get(h, "") for h in header] for row in rows)
    return path


# --- files the page hands back ----------------------------------------------------------------


def read_sheet(path: Path) -> list[list[str]]:
    """The first sheet of a workbook, or a CSV, as rows of text (row 1 = header)."""
    raw = path.read_bytes()
    if raw[:2] == b"PK":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return [
                ["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)
            ]
        finally:
            book.close()
    text = raw.decode("utf-8-sig") if _is_utf8(raw) else raw.decode("cp1252")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t|")
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def records(path: Path) -> list[dict[str, str]]:
    """A results or retry workbook's first sheet as dicts keyed by its header."""
    rows = read_sheet(path)
    header = rows[0]
    return [dict(zip(header, [*r, *[""] * (len(header) - len(r))], strict=False)) for r in rows[1:]]


def file_texts(path: Path) -> Iterator[bytes]:
    """A file's bytes, and for a workbook (a zip) each member's bytes too."""
    raw = path.read_bytes()
    yield raw
    if raw[:2] == b"PK":
        with zipfile.ZipFile(path) as zipped:
            for name in zipped.namelist():
                yield zipped.read(name)


# --- waiting ----------------------------------------------------------------------------------


def wait_for(condition: Any, *, deadline: float = STEP, what: str = "condition") -> Any:
    """Poll ``condition()`` until it returns something truthy, or fail after ``deadline``."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(0.05)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
