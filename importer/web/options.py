"""The options of ``wolkvox-import web``.

Kept apart from the server so that ``wolkvox-import --help`` does not import the
web stack.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from importer.cli.shared_options import add_check_options, add_server_options, port_number
from importer.i18n import _

#: Uploads larger than this many megabytes are refused, unless --max-upload-mb says otherwise.
DEFAULT_MAX_UPLOAD_MB = 20.0


def add_web_options(p: argparse.ArgumentParser) -> None:
    """Add the web command's options to its sub-parser (``--lang`` comes with every command)."""
    p.add_argument(
        "--port", type=port_number, default=0, help=_("port to listen on (default: any free port)")
    )
    p.add_argument(
        "--host",
        default=None,
        help=_(
            "listen on this address instead of 127.0.0.1 and ::1; other computers could "
            "then reach the page (they still need its key)"
        ),
    )
    p.add_argument(
        "--no-browser", action="store_true", help=_("do not open the page in the browser")
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help=_(
            "folder for the uploaded files, the runs and their results (default: a new "
            "temporary folder for each start)"
        ),
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=DEFAULT_MAX_UPLOAD_MB,
        help=_("largest spreadsheet accepted, in megabytes (default 20)"),
    )
    _add_run_options(p)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """The options of ``run`` that make sense for the page."""
    add_server_options(p)
    p.add_argument(
        "--simulate",
        action="store_true",
        help=_("send to a local sandbox instead of wolkvox (no credentials needed)"),
    )
    p.add_argument(
        "--reconcile-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help=_(
            "wait this long after an unclear answer before checking the campaign list "
            "(default 60; 0 with --simulate)"
        ),
    )
    # Slows every simulated create call: lets tests press Stop in the middle of a run.
    p.add_argument("--simulate-latency", type=float, default=0.0, help=argparse.SUPPRESS)
    add_check_options(p)
