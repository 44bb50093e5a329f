"""The options both faces take, ``run`` and ``validate`` on the command line and ``web``.

One module for them, used by :mod:`importer.cli.arguments` and :mod:`importer.web.options`
alike, so that neither imports the other.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from importer.check.times import TIME_FORMATS
from importer.i18n import _


def port_number(text: str) -> int:
    """A TCP port from the command line: 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(_("a port is a number from 0 to 65535"))
    return port


def add_check_options(p: argparse.ArgumentParser) -> None:
    """How rows are checked and sent: shared by ``run``, ``validate`` and ``web``."""
    p.add_argument(
        "--type",
        dest="default_type",
        choices=("preview", "predictive"),
        help=_("campaign type for rows whose type_campaign is empty"),
    )
    p.add_argument(
        "--time-format",
        choices=TIME_FORMATS,
        default="hhmmss",
        help=_(
            "how start/end times are sent: hhmmss (080000, default) or datetime (20261201080000)"
        ),
    )
    p.add_argument(
        "--skills",
        type=Path,
        metavar=_("FILE"),
        help=_(
            "the operation's skills (CSV or workbook with a skill_id column, as exported from "
            "wolkvox manager); rows with other skill ids are invalid"
        ),
    )


def add_server_options(p: argparse.ArgumentParser) -> None:
    """Where to send, with which token: shared by ``run`` and ``web``."""
    p.add_argument(
        "--server",
        default=os.environ.get("WOLKVOX_SERVER"),
        metavar="NNNN",
        help=_("server nomenclature, e.g. 0032 (or WOLKVOX_SERVER)"),
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help=_("replace https://wv{server}.wolkvox.com (sandbox, tests)"),
    )
    p.add_argument(
        "--token-file",
        type=Path,
        metavar=_("PATH"),
        help=_("file holding the token (default: the WOLKVOX_TOKEN variable)"),
    )
