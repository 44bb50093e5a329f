"""``wolkvox-import web``: start the page on this computer and open it in the browser.

The first line printed is the address to open, with the per-launch key. The server
listens on 127.0.0.1 (and ::1) only, unless ``--host`` says otherwise. Ctrl-C (or
SIGTERM) stops it; a run that is going first finishes its request in flight, as
with the command line, and a second Ctrl-C quits at once.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import signal
import socket
import tempfile
import threading
import webbrowser
from pathlib import Path
from types import FrameType
from typing import TextIO

from importer import i18n, schema
from importer.client import base_url_for, check_base_url
from importer.errors import UsageError
from importer.i18n import _
from importer.web.config import Launch

#: How long the last run may take to finish its request in flight at Ctrl-C (seconds).
STOP_WAIT = 120.0


def serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the page until Ctrl-C; return the exit code."""
    i18n.activate(i18n.choose(args.lang))
    launch = _launch(args)
    sockets = _bind(args.host, args.port)
    port = sockets[0].getsockname()[1]
    from importer.web.app import Context, create_app, templates
    from importer.web.mappings import Remembered, default_path
    from importer.web.runs import Runs
    from importer.web.security import Secrets, local_hosts
    from importer.web.workspace import Workspace

    wildcard = args.host is not None and _is_wildcard(args.host)
    extra = [_host_name(args.host)] if args.host and not wildcard else []
    secrets_ = Secrets(port=port, hosts=local_hosts(port, extra), any_host=wildcard)
    remembered = Remembered(default_path(args.workdir))
    box = _sandbox(args) if launch.simulate else None
    ctx = Context(
        launch=launch,
        secrets=secrets_,
        workspace=Workspace(launch.workdir, remembered, launch.options),
        runs=Runs(launch.workdir),
        templates=templates(),
        sandbox_url=box.url if box is not None else None,
    )
    shown = "127.0.0.1" if args.host is None or wildcard else _host_name(args.host)
    url = f"http://{shown}:{port}/?key={secrets_.key}"
    print(url, file=out, flush=True)
    _tell(args, launch, err)
    if not args.no_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        return _run_server(create_app(ctx), sockets, ctx, err)
    finally:
        if box is not None:
            box.stop()
        for s in sockets:
            s.close()


def _launch(args: argparse.Namespace) -> Launch:
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wolkvox-import-web-"))
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            _("cannot create the folder {path} ({why}).").format(path=workdir, why=exc.strerror)
        ) from None
    if args.max_upload_mb <= 0:
        raise UsageError(_("--max-upload-mb must be more than 0."))
    base_url = None
    if not args.simulate:
        if args.base_url:
            base_url = check_base_url(args.base_url)
        elif args.server:
            base_url = base_url_for(args.server)
    skills = None
    if args.skills is not None:
        from importer.load import load_skills

        skills = load_skills(args.skills)
    options = schema.Options(
        default_type=args.default_type, time_format=args.time_format, skills=skills
    )
    return Launch(
        workdir=workdir.resolve(), simulate=args.simulate, base_url=base_url, options=options,
        language=i18n.current(), max_upload=int(args.max_upload_mb * 1_000_000),
        token_file=args.token_file,
    )  # fmt: skip


def _sandbox(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from importer.sandbox import DEMO_SKILLS, Config, Sandbox

    return Sandbox(Config(skills=DEMO_SKILLS, latency=args.simulate_latency)).start()


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


def _run_server(app: object, sockets: list[socket.socket], ctx: object, err: TextIO) -> int:
    import uvicorn

    from importer.web.app import Context

    assert isinstance(ctx, Context)
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
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
            print(_("interrupted: start the page again on the same --workdir to resume."),
                  file=err)  # fmt: skip
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
