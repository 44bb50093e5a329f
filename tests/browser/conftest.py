"""Fixtures for the browser tests: one headless Chromium per module, a fresh context per test,
and the web page started in a child process on its own working folder.

Without Playwright or Chromium these tests are skipped on a developer's machine, but they FAIL
in CI (``CI`` set), so a missing install step can never pass as green.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .support import (
    ROOT,
    STEP,
    VIEWPORT,
    WebServer,
    launch_chromium,
    require_browser,
    start_playwright,
)
from .support import start_web as _start_web

SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    require_browser()
    driver = start_playwright()
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP * 1000)
    yield driver
    driver.stop()


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh profile: no cookies, no storage, downloads accepted."""
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    ctx.set_default_timeout(STEP * 1000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


#: Servers told to stop but not yet waited for: they wind down while the next test runs.
_STOPPING: list[WebServer] = []


@pytest.fixture(scope="module", autouse=True)
def _reap_servers() -> Iterator[None]:
    yield
    while _STOPPING:
        _STOPPING.pop().stop()


@pytest.fixture
def start_web(tmp_path: Path) -> Iterator[Callable[..., WebServer]]:
    """Start the page in a child process: ``start_web(*options, simulate=True, workdir=...)``.

    Every server started is stopped (SIGTERM, as Ctrl-C would) after the test, and its output
    is printed, which pytest shows only when the test failed.
    """
    servers: list[WebServer] = []

    def start(*args: str, workdir: Path | None = None, **kwargs: Any) -> WebServer:
        folder = workdir or tmp_path / f"work{len(servers)}"
        server = _start_web(folder, *args, lock_dir=tmp_path / "locks", **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        if server.proc.poll() is None:
            server.proc.terminate()
            _STOPPING.append(server)
        print(f"--- output of the web server on {server.workdir.name} ---\n{server.logs()}")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: docs/screenshots when WOLKVOX_IMPORT_SCREENSHOTS=1, else tmp."""
    if os.environ.get("WOLKVOX_IMPORT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path / "screenshots"
