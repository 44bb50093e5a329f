"""A run's settings from command-line options and the environment, in one place.

The command line and the web page both build :class:`importer.job.Settings` here,
so an option means the same thing on every face of the importer.
"""

from __future__ import annotations

import argparse
import codecs
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from importer.errors import UsageError
from importer.i18n import _
from importer.send.policy import DEFAULT_BATCH, DEFAULT_TIMEOUT, MAX_BATCH, Policy

if TYPE_CHECKING:
    from importer.job import Settings

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_token(token_file: Path | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The token from ``token_file`` (as Notepad saves it: BOM, CRLF), else WOLKVOX_TOKEN."""
    from importer.send.client import check_token

    environ = os.environ if environ is None else environ
    if token_file is None:
        token = environ.get("WOLKVOX_TOKEN", "").strip()
        return check_token(token) if token else None
    try:
        data = token_file.read_bytes()
    except OSError as exc:
        message = _("--token-file {path}: cannot be read ({why}).")
        raise UsageError(message.format(path=token_file, why=exc.strerror)) from None
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        token = data.decode(encoding).strip()
    except UnicodeDecodeError:
        message = _("--token-file {path} is not a text file; save it as UTF-8 with the token only.")
        raise UsageError(message.format(path=token_file)) from None
    if not token:
        raise UsageError(_("--token-file {path} is empty.").format(path=token_file))
    return check_token(token)


def server_url(server: str | None, base_url: str | None) -> str | None:
    """The API's base address from ``--base-url`` or ``--server`` (None when neither)."""
    from importer.send.client import base_url_for, check_base_url

    if base_url:
        return check_base_url(base_url)
    if server:
        return base_url_for(server)
    return None


def from_args(args: argparse.Namespace, *, dry_run: bool) -> Settings:
    """:class:`~importer.job.Settings` from parsed options; absent options take defaults."""
    from importer import job
    from importer.check import schema
    from importer.read.load import load_skills

    def option(name: str, default: object = None) -> object:
        value = getattr(args, name, None)
        return default if value is None else value

    defaults = Policy()
    skills_file: Path | None = getattr(args, "skills", None)
    base_url = None
    if not dry_run and not getattr(args, "simulate", False):
        base_url = server_url(getattr(args, "server", None), getattr(args, "base_url", None))
    elif dry_run:  # validate --server: a check with a connection (the lists only)
        base_url = server_url(getattr(args, "check_server", None),
                              getattr(args, "check_base_url", None))  # fmt: skip
    records: Path | None = getattr(args, "records", None)
    source: Path | None = args.input
    if source is None:
        if records is None:
            raise UsageError(
                _("give the spreadsheet to read (or --records FILE to load records only).")
            )
        source = records
    batch = getattr(args, "batch_size", None)
    batch_size = DEFAULT_BATCH if batch is None else int(batch)
    if not 1 <= batch_size <= MAX_BATCH:
        message = _("--batch-size must be from 1 to {most} (wolkvox takes at most {most}).")
        raise UsageError(message.format(most=f"{MAX_BATCH:,}"))
    return job.Settings(
        input=source,
        records=records,
        campaigns=args.input is not None,
        batch_size=batch_size,
        into_existing=bool(getattr(args, "into_existing", False)),
        start=bool(getattr(args, "start", False)),
        out=getattr(args, "out", None),
        base_url=base_url,
        dry_run=dry_run,
        resume=bool(getattr(args, "resume", False)),
        skip_existing=bool(option("skip_existing", True)),
        timeout=float(option("timeout", DEFAULT_TIMEOUT)),  # type: ignore[arg-type]
        validation=schema.Options(
            default_type=getattr(args, "default_type", None),
            time_format=str(option("time_format", "hhmmss")),
            skills=load_skills(skills_file) if skills_file is not None else None,
        ),
        policy=Policy(
            retry_for=float(option("retry_for", defaults.retry_for)),  # type: ignore[arg-type]
            max_failures=getattr(args, "max_failures", None),
            max_unknown=int(option("max_unknown", defaults.max_unknown)),  # type: ignore[call-overload]
            reconcile_after=float(option("reconcile_after", defaults.reconcile_after)),  # type: ignore[arg-type]
            list_interval=float(option("list_interval", defaults.list_interval)),  # type: ignore[arg-type]
        ),
        sheet=getattr(args, "sheet", None),
        encoding=getattr(args, "encoding", None),
        delimiter=getattr(args, "delimiter", None),
        skills_file=skills_file,
    )
