"""Shared fixtures: an in-process sandbox, sheet writers, and a CLI runner."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from openpyxl import Workbook

from importer.check.columns import FIELDS
from importer.cli import commands as cli
from importer.sandbox.server import DEFAULT_TOKEN, Config, Sandbox

FILES = Path(__file__).parent / "files"
ROOT = Path(__file__).parent.parent

# Property tests judge what the code does, never how fast: a shared, loaded machine must not
# fail them on Hypothesis's per-example deadline (speed is the benchmarks' business).
settings.register_profile("wolkvox", deadline=None)
settings.load_profile("wolkvox")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own lock folder and no token from the outside world."""
    monkeypatch.setenv("WOLKVOX_IMPORT_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("WOLKVOX_TOKEN", raising=False)
    monkeypatch.delenv("WOLKVOX_SERVER", raising=False)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Config()) as box:
        yield box


@pytest.fixture
def make_sandbox() -> Iterator:
    boxes: list[Sandbox] = []

    def make(**config) -> Sandbox:
        box = Sandbox(Config(**config)).start()
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.stop()


def row(name: str, **values: str) -> dict[str, str]:
    """A valid preview row unless told otherwise."""
    return {"campaign_name": name, "type_campaign": "preview", "skill_id": "101", **values}


def write_csv(
    path: Path, rows: Sequence[dict[str, str]], header: Sequence[str] = FIELDS, delimiter: str = ","
) -> Path:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        for r in rows:
            writer.writerow([r.get(h, "") for h in header])
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], sheet: str = "campaigns") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for r in rows:
        ws.append(list(r))
    book.save(path)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str | os.PathLike) -> Result:
    """Run the CLI in-process, capturing its output."""
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return Result(int(code), out.getvalue(), err.getvalue())


def run_process(
    *args: str | os.PathLike, token: str | None = DEFAULT_TOKEN, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process."""
    env = {k: v for k, v in os.environ.items() if k != "WOLKVOX_TOKEN"}
    if token is not None:
        env["WOLKVOX_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "importer", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT,
    )  # fmt: skip


def start_process(
    *args: str | os.PathLike, token: str | None = DEFAULT_TOKEN, capture: bool = True
) -> subprocess.Popen[str]:
    """Start the real command line in a child process, without waiting for it."""
    env = {k: v for k, v in os.environ.items() if k != "WOLKVOX_TOKEN"}
    if token is not None:
        env["WOLKVOX_TOKEN"] = token
    pipe = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "importer", *map(str, args)],
        env=env,
        cwd=ROOT,
        text=True,
        stdout=pipe,
        stderr=pipe,
    )


def read_results(path: Path) -> list[dict[str, object]]:
    """The results sheet as dicts keyed by header."""
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True)["results"]
    rows = list(ws.iter_rows(values_only=True))
    # Empty cells are not written, so read-only rows can stop short: pad them.
    return [
        dict(zip(rows[0], (*r, *[None] * (len(rows[0]) - len(r))), strict=True)) for r in rows[1:]
    ]


def statuses(path: Path) -> dict[int, str]:
    return {int(r["row"]): str(r["status"]) for r in read_results(path)}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser tests share one worker (pytest-xdist's ``loadgroup``): two Chromiums side
    by side on a two-core machine starve each other's pages and the page servers, while the
    other worker runs everything else."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
