"""``wolkvox-import web`` as a process: its first line, where it listens, how it stops."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from importer.cli import commands as cli

from .conftest import ROOT, row, write_csv


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "importer", "web", "--no-browser", "--port", "0",
         "--workdir", str(tmp_path / "work"), *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = _start(tmp_path, "--simulate")
    try:
        assert proc.stdout is not None
        yield proc, proc.stdout.readline().strip()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_the_first_line_is_the_local_address_with_its_key_and_only_loopback_listens(server):
    _proc, url = server
    assert url.startswith("http://127.0.0.1:") and "/?key=" in url
    status, page = _get(url)  # the redirect leads under the key: no cookie is needed...
    assert status == 200 and 'data-testid="file-input"' in page
    port = int(url.split(":")[2].split("/")[0])
    bare = f"http://127.0.0.1:{port}/"
    assert _get(bare)[0] == 403
    key = url.split("key=")[1]
    # ...and none counts: browsers send 127.0.0.1's cookies to every port of it
    assert _get(bare, Cookie=f"wolkvox_key_{port}={key}")[0] == 403
    _listens_on_loopback_only(port)


def _listens_on_loopback_only(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    if socket.has_ipv6:
        try:
            with socket.create_connection(("::1", port), timeout=5):
                pass
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
    # no wildcard listener: the port is free on the machine's other addresses
    other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        other.bind(("127.0.0.2", port))
    except OSError as exc:
        pytest.fail(f"the page holds more than 127.0.0.1 ({exc})")
    finally:
        other.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_it_and_nothing_logs_the_key(server, sig):
    proc, url = server
    key = url.split("key=")[1]
    _get(url)
    proc.send_signal(sig)
    assert proc.wait(15) == 0
    assert proc.stderr is not None
    log = proc.stderr.read()
    assert key not in log
    assert "files are kept in" in log and "Traceback" not in log


def test_another_host_is_only_listened_on_with_a_warning(tmp_path):
    proc = _start(tmp_path, "--simulate", "--host", "127.0.0.1")
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith("http://127.0.0.1:")
        deadline = time.monotonic() + 10
        first = ""
        while "warning" not in first and time.monotonic() < deadline:
            first = proc.stderr.readline()
        assert "other computers can reach this page" in first
    finally:
        proc.kill()
        proc.wait(10)


def test_a_port_in_use_is_a_clear_usage_error(tmp_path, capsys):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        code = cli.main(["web", "--no-browser", "--port", str(port),
                         "--workdir", str(tmp_path)])  # fmt: skip
    finally:
        taken.close()
    assert code == 2
    assert "pick another --port" in capsys.readouterr().err


def test_web_help_lists_its_options():
    text = subprocess.run(
        [sys.executable, "-m", "importer", "web", "--help"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for option in ("--port", "--no-browser", "--host", "--workdir", "--max-upload-mb",
                   "--simulate", "--token-file", "--server", "--lang", "--skills",
                   "--reconcile-after"):  # fmt: skip
        assert option in text
    assert "--simulate-latency" not in text


def _client(url: str) -> tuple[httpx.Client, str]:
    """A client speaking to the page under its key, and the page's CSRF token."""
    base, key = url.split("/?key=")
    client = httpx.Client(base_url=f"{base}/{key}", timeout=10)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert csrf is not None
    return client, csrf.group(1)


def _wait(client: httpx.Client, ok: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = client.get("/progress").json()
        if ok(state):
            return state
        time.sleep(0.02)
    raise AssertionError("the run did not get there in time")


def test_a_simulated_run_killed_midway_is_resumed_after_a_restart(tmp_path):
    sheet = write_csv(tmp_path / "k.csv", [row(f"K{i}") for i in range(6)])
    first = _start(tmp_path, "--simulate", "--simulate-latency", "0.2")
    try:
        assert first.stdout is not None
        client, csrf = _client(first.stdout.readline().strip())
        files = {"file": ("k.csv", sheet.read_bytes())}
        assert client.post("/upload", data={"csrf": csrf}, files=files).status_code == 303
        client.post("/send", data={"csrf": csrf})
        _wait(client, lambda s: s.get("done", 0) >= 2)
    finally:
        first.kill()  # a crash: no chance to finish anything
        first.wait(10)
    again = _start(tmp_path, "--simulate")
    try:
        assert again.stdout is not None
        client, csrf = _client(again.stdout.readline().strip())
        landing = client.get("/").text
        assert 'data-testid="resume"' in landing
        client.post("/resume", data={"csrf": csrf})
        assert _wait(client, lambda s: s["state"] != "running")["state"] == "finished"
        found = re.findall(r'row-status-(\d+)" data-status="(\w+)"', client.get("/results").text)
        assert [int(r) for r, _s in found] == list(range(2, 8))
        # the row in flight at the kill died with the simulated server: not created, and
        # never sent twice; every other row was created exactly once
        assert {s for _r, s in found} <= {"created", "failed"}
        assert sum(s == "created" for _r, s in found) >= 5
        assert 'data-testid="resume"' not in client.get("/").text
        client.close()
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(15)


def test_ctrl_c_during_a_run_lets_the_row_in_flight_finish_then_exits_130(tmp_path):
    sheet = write_csv(tmp_path / "c.csv", [row(f"C{i}") for i in range(8)])
    proc = _start(tmp_path, "--simulate", "--simulate-latency", "0.3")
    try:
        assert proc.stdout is not None and proc.stderr is not None
        client, csrf = _client(proc.stdout.readline().strip())
        client.post("/upload", data={"csrf": csrf}, files={"file": ("c.csv", sheet.read_bytes())})
        client.post("/send", data={"csrf": csrf})
        _wait(client, lambda s: s.get("done", 0) >= 1)
        client.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 130
        log = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert "stopping after the request in flight" in log
    journal = next((tmp_path / "work" / "runs").rglob("*.journal.jsonl"))
    lines = journal.read_text(encoding="utf-8").splitlines()
    attempts = [line for line in lines if '"attempt"' in line]
    outcomes = [line for line in lines if '"outcome"' in line and '"not_sent"' not in line]
    assert 1 <= len(attempts) < 8 and len(outcomes) == len(attempts)  # none left hanging


def test_the_server_log_shows_control_characters_visibly(capsys):
    import logging.config

    from importer.web.server import log_config

    logging.config.dictConfig(log_config())
    try:
        logging.getLogger("uvicorn.error").error("bad header \x1b[2J\x1b]0;PWNED\x07")
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    err = capsys.readouterr().err
    assert "bad header <U+001B>[2J<U+001B>]0;PWNED<U+0007>" in err
    assert "\x1b" not in err


def test_a_workdir_that_is_a_file_says_so_in_the_language_given_before_the_command(tmp_path):
    from .conftest import run_cli

    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder", encoding="utf-8")
    english = run_cli("web", "--workdir", taken, "--no-browser")
    assert english.code == 2
    assert english.err == (
        f"wolkvox-import: error: --workdir {taken} is a file, not a folder; choose a folder (an "
        "existing one, or a new name for the page to create).\n"
    )
    spanish = run_cli("--lang", "es", "web", "--workdir", taken, "--no-browser")
    assert spanish.code == 2
    assert spanish.err == (
        f"wolkvox-import: error: --workdir {taken} es un archivo, no una carpeta; elija una "
        "carpeta (una que exista, o un nombre nuevo para que la página la cree).\n"
    )
    inside = run_cli("--lang", "es", "web", "--workdir", taken / "sub", "--no-browser")
    assert inside.code == 2
    assert inside.err.startswith(f"wolkvox-import: error: no se puede crear la carpeta {taken}")
    assert "elija otro --workdir" in inside.err
