"""``wolkvox-import web``: start the page on this computer and open it in the browser.

The first line printed is the address to open, with the per-launch key. The server
listens on 127.0.0.1 (and ::1) only, unless ``--host`` says otherwise. Ctrl-C (or
SIGTERM) stops it; a run that is going first finishes its request in flight, as
with the command line, and a second Ctrl-C quits at once.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import ipaddress
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import webbrowser
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from importer import i18n
from importer.errors import UsageError
from importer.i18n import _
from importer.web.config import Launch

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from importer.sandbox.server import Sandbox
    from importer.web.app import Context
    from importer.web.runs import FolderLock

#: How long the last run may take to finish its request in flight at Ctrl-C (seconds).
STOP_WAIT = 120.0


def serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the page until Ctrl-C; return the exit code."""
    i18n.activate(i18n.choose(args.lang))
    launch = _launch(args)
    from importer.web.runs import FolderLock

    # One page per working folder, for as long as this one runs (and a folder it
    # cannot write is refused now, not at the first upload).
    folder_lock = FolderLock(launch.workdir).acquire()
    try:
        return _serve(args, launch, folder_lock, out, err)
    finally:
        folder_lock.release()


def _serve(
    args: argparse.Namespace, launch: Launch, folder_lock: FolderLock, out: TextIO, err: TextIO
) -> int:
    sockets = _bind(args.host, args.port)
    port = sockets[0].getsockname()[1]
    from importer.web.app import make_context
    from importer.web.mappings import default_path
    from importer.web.routes import create_app

    wildcard = args.host is not None and _is_wildcard(args.host)
    box = _sandbox(args, launch.workdir) if launch.simulate else None
    ctx = make_context(
        launch,
        port=port,
        extra_hosts=(_host_name(args.host),) if args.host and not wildcard else (),
        any_host=wildcard,
        sandbox_url=box.url if box is not None else None,
        remembered=default_path(args.workdir),
    )
    shown = "127.0.0.1" if args.host is None or wildcard else _host_name(args.host)
    url = f"http://{shown}:{port}/?key={ctx.secrets.key}"
    folder_lock.tell(f"http://{shown}:{port}/")  # never the key: the file can be read
    print(url, file=out, flush=True)
    _tell(args, launch, err)
    opener = _open_browser(url) if not args.no_browser else None
    try:
        return _run_server(create_app(ctx), sockets, ctx, err)
    finally:
        if opener is not None:
            opener.unlink(missing_ok=True)
        if box is not None:
            box.stop()
        for s in sockets:
            s.close()


def _open_browser(url: str) -> Path:
    """Open the page through a file only this user can read that forwards to ``url``.

    Handing the address itself to the browser would put the key on the browser's
    command line, where other users of the computer can see it.
    """
    fd, name = tempfile.mkstemp(prefix="wolkvox-import-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as page:
        page.write(
            '<!doctype html><meta charset="utf-8">'
            f'<meta http-equiv="refresh" content="0;url={url}"><a href="{url}">wolkvox-import</a>'
        )
    path = Path(name)
    threading.Thread(target=webbrowser.open, args=(path.as_uri(),), daemon=True).start()
    return path


def _launch(args: argparse.Namespace) -> Launch:
    from importer.cli import settings as cli_settings
    from importer.send.policy import check_policy

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wolkvox-import-web-"))
    if workdir.exists() and not workdir.is_dir():
        raise UsageError(
            _(
                "--workdir {path} is a file, not a folder; choose a folder (an existing one, "
                "or a new name for the page to create)."
            ).format(path=workdir)
        )
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            _(
                "cannot create the folder {path} ({why}); choose another --workdir, or check "
                "the permissions of the folder it is in."
            ).format(path=workdir, why=exc.strerror)
        ) from None
    if args.max_upload_mb <= 0:
        raise UsageError(_("--max-upload-mb must be more than 0."))
    probe = argparse.Namespace(**vars(args), input=workdir / "campaigns.xlsx", out=None)
    checked = cli_settings.from_args(probe, dry_run=args.simulate)  # reads --skills once
    if args.token_file is not None:
        cli_settings.read_token(args.token_file)  # a bad token file is refused now, not at Send
    launch = Launch(
        workdir=workdir.resolve(), simulate=args.simulate, base_url=checked.base_url,
        options=checked.validation, language=i18n.current(),
        max_upload=int(args.max_upload_mb * 1_000_000), token_file=args.token_file,
        reconcile_after=args.reconcile_after, args=args,
    )  # fmt: skip
    if launch.base_url is not None:  # refuse unsafe waits now rather than at the first run
        probe_settings = launch.settings(probe.input, workdir / "x", launch.base_url, resume=False)
        check_policy(launch.base_url, probe_settings.timeout, probe_settings.policy)
    return launch


def _sandbox(args: argparse.Namespace, workdir: Path) -> Sandbox:
    """The simulated server; on the port of an interrupted simulated run when there is one,
    so that resuming it talks to the same address, as the journal demands."""
    from importer.sandbox.server import DEMO_SKILLS, Config, Sandbox
    from importer.web.runs import Runs

    config = Config(skills=DEMO_SKILLS, latency=args.simulate_latency)
    found = Runs(workdir).interrupted()
    if found is not None and found.simulate:
        with contextlib.suppress(OSError, ValueError, TypeError):
            return Sandbox(config, port=int(urlsplit(found.base_url).port or 0)).start()
    return Sandbox(config).start()


def _is_wildcard(host: str) -> bool:
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    return False


def _host_name(host: str) -> str:
    """``[::1]`` for an IPv6 address (as in a URL and a Host header), else as given."""
    bare = host.strip("[]")
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(bare).version == 6:
            return f"[{bare}]"
    return host


def _bind(host: str | None, port: int) -> list[socket.socket]:
    """Listening sockets: 127.0.0.1 and ::1 (same port), or the one --host names."""
    if host is not None:
        bare = host.strip("[]")
        family = socket.AF_INET6 if ":" in bare else socket.AF_INET
        return [_listen(family, bare, port)]
    first = _listen(socket.AF_INET, "127.0.0.1", port)
    sockets = [first]
    with contextlib.suppress(OSError):  # a machine without IPv6 serves 127.0.0.1 only
        sockets.append(_listen(socket.AF_INET6, "::1", first.getsockname()[1], quiet=True))
    return sockets


def _listen(family: int, address: str, port: int, *, quiet: bool = False) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        _own_port(sock)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        sock.listen(100)
    except OSError as exc:
        sock.close()
        if quiet:
            raise
        raise UsageError(
            _("cannot listen on {address} port {port} ({why}); pick another --port.").format(
                address=address, port=port, why=exc.strerror
            )
        ) from None
    sock.setblocking(False)
    return sock


def _own_port(sock: socket.socket) -> None:
    """Let the page listen again on its port at once after it stopped, and keep any other
    program off that port.

    A stopped page leaves its closed connections in TIME-WAIT for a minute or two; without
    SO_REUSEADDR a POSIX system refuses the port meanwhile ("Address already in use").
    There SO_REUSEADDR never lets two programs listen on one address and port. On Windows
    it means something else (binding over a port another program listens on), so it is not
    set there; SO_EXCLUSIVEADDRUSE is, as anyio does, so that no other program can take
    the page's port while it listens.
    """
    if sys.platform == "win32":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    else:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)


def _tell(args: argparse.Namespace, launch: Launch, err: TextIO) -> None:
    if args.host is not None:
        print(
            _(
                "warning: listening on {host}: other computers can reach this page (they still "
                "need the key in its address). Leave out --host to keep it to this computer."
            ).format(host=args.host),
            file=err,
        )
    if launch.simulate:
        print(_("simulating: nothing real is created."), file=err)
    print(_("files are kept in {path}").format(path=launch.workdir), file=err)
    print(_("open the address above in the browser; Ctrl-C stops the page."), file=err, flush=True)


def shown_formatter(**options: Any) -> logging.Formatter:
    """uvicorn's console formatter, writing control characters as ``<U+001B>``.

    What the server logs (an error's message and traceback) can hold the person's own
    texts, file names and header cells; written raw, an escape sequence in them would
    be obeyed by the terminal, as the command line's console never lets it be.
    """
    from uvicorn.logging import DefaultFormatter

    from importer.cli.console import shown_on_terminal

    class Shown(DefaultFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return shown_on_terminal(super().format(record))

    return Shown(**options)


def log_config() -> dict[str, Any]:
    """uvicorn's logging setup, its console lines shown as :func:`shown_formatter` does."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    for formatter in config["formatters"].values():
        if formatter.get("()") == "uvicorn.logging.DefaultFormatter":
            formatter["()"] = f"{__name__}.shown_formatter"
    return config


def _run_server(app: Starlette, sockets: list[socket.socket], ctx: Context, err: TextIO) -> int:
    import uvicorn

    config = uvicorn.Config(
        app,
        log_config=log_config(),
        log_level="warning",
        access_log=False,  # the first address holds the key: requests are never logged
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=sockets)
        if not ctx.runs.active:
            return 0
        print(_("stopping after the request in flight (press Ctrl-C again to quit at once)"),
              file=err, flush=True)  # fmt: skip
        ctx.runs.stop()
        try:
            ctx.runs.wait(STOP_WAIT)
        except KeyboardInterrupt:
            print(
                _("interrupted: start the page again with --workdir {path} to resume.").format(
                    path=ctx.launch.workdir
                ),
                file=err,
            )
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
