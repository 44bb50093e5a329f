"""The command line: parse options, call the library, turn outcomes into exit codes.

Heavy modules (pandas, pandera, requests) are imported inside the commands, so
``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from importer import __version__
from importer.errors import ApiStopped, ImporterError, UsageError

PROG = "wolkvox-import"
#: How many row problems are printed before pointing at the results file.
SHOWN_PROBLEMS = 30


class ExitCode(enum.IntEnum):
    """What the process exit status means."""

    OK = 0  #: every row created, existing already, or (dry run) valid
    ROWS_NOT_CREATED = 1  #: some rows invalid, failed, unknown or not sent
    BAD_INPUT = 2  #: usage error, unreadable input, or a run that must not start
    API_STOPPED = 3  #: the API stopped the run (token, address, quota, unavailable)
    INTERNAL_ERROR = 70  #: a fault in the importer itself (sysexits' EX_SOFTWARE)
    INTERRUPTED = 130  #: Ctrl-C or SIGTERM


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Create wolkvox campaigns from a spreadsheet, one safe request at a time.",
        epilog="Exit codes: 0 all created/valid, 1 some rows not created, 2 bad input or "
        "usage, 3 stopped by the API, 70 internal error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="validate a spreadsheet and create its campaigns")
    _add_input_options(run)
    run.add_argument("--dry-run", action="store_true", help="only validate: no network at all")
    _add_send_options(run)

    validate = commands.add_parser("validate", help="same as run --dry-run")
    _add_input_options(validate)

    template = commands.add_parser("template", help="write a blank spreadsheet (.xlsx or .csv)")
    template.add_argument("path", help="file to write, e.g. campaigns.xlsx")

    box = commands.add_parser("sandbox", help="run the local stand-in wolkvox server")
    box.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    box.add_argument(
        "--token", default=None, help="token the sandbox accepts (default: sandbox-token)"
    )
    box.add_argument("--latency", type=float, default=0.0, help="seconds per create call")
    box.add_argument(
        "--hang",
        type=float,
        default=90.0,
        help="seconds a hang_created fault keeps the client waiting",
    )
    box.add_argument(
        "--quota", type=int, default=None, help="create calls allowed before TOKEN LIMIT EXCEEDED"
    )
    box.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=KIND",
        help="fail the campaign NAME the KIND way (repeatable); KIND is one of "
        "required, busy, maintenance, quota, bad_token, no_api, error, "
        "error_created, html, bad_json, no_id, old_spelling, hang_created, "
        "reset_before, reset_after",
    )
    box.add_argument(
        "--existing",
        action="append",
        default=[],
        metavar="NAME",
        help="a campaign that exists from the start (repeatable)",
    )
    box.add_argument(
        "--demo-skills",
        action="store_true",
        help="know only the demo operation's skills (as --simulate does)",
    )
    box.add_argument(
        "--skills",
        type=Path,
        metavar="FILE",
        help="know only the skills listed in FILE (a skill_id column)",
    )
    box.add_argument("--verbose", action="store_true", help="log every request")

    from importer.web.options import add_web_options

    add_web_options(commands.add_parser("web", help="open the import page in the browser"))
    return parser


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", type=Path, help="the spreadsheet (.xlsx, .xls, .ods or .csv)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results workbook (default: <input>.results.xlsx beside the input)",
    )
    p.add_argument(
        "--type",
        dest="default_type",
        choices=("preview", "predictive"),
        help="campaign type for rows whose type_campaign is empty",
    )
    p.add_argument(
        "--time-format",
        choices=("hhmmss", "datetime"),
        default="hhmmss",
        help="how start/end times are sent: hhmmss (080000, default) or datetime (20261201080000)",
    )
    p.add_argument(
        "--sheet", help="the workbook sheet to read (default: 'campaigns' or the first visible one)"
    )
    p.add_argument("--encoding", help="the CSV's text encoding (default: detected)")
    p.add_argument("--delimiter", help="the CSV's delimiter (default: detected)")
    p.add_argument(
        "--skills",
        type=Path,
        metavar="FILE",
        help="the operation's skills (CSV or workbook with a skill_id column, as "
        "exported from wolkvox manager); rows with other skill ids are invalid",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_send_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--server",
        default=os.environ.get("WOLKVOX_SERVER"),
        help="server nomenclature, e.g. 0032 (or WOLKVOX_SERVER)",
    )
    p.add_argument("--base-url", help="replace https://wv{server}.wolkvox.com (sandbox, tests)")
    p.add_argument(
        "--token-file",
        type=Path,
        help="file holding the token (default: the WOLKVOX_TOKEN variable)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds to wait for each answer (default 75; the server takes up to 60)",
    )
    p.add_argument(
        "--simulate",
        action="store_true",
        help="start the local sandbox and import against it (no credentials needed)",
    )
    p.add_argument(
        "--resume", action="store_true", help="go on with the interrupted run recorded beside --out"
    )
    p.add_argument(
        "--no-skip-existing",
        dest="skip_existing",
        action="store_false",
        help="do not read the campaign list to skip names that already exist",
    )
    p.add_argument(
        "--reconcile-after",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="wait this long after an unclear answer before checking the "
        "campaign list (default 60)",
    )
    p.add_argument(
        "--retry-for",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long one row may wait for a busy token or maintenance (default 300)",
    )
    p.add_argument(
        "--max-failures",
        type=int,
        default=None,
        metavar="N",
        help="stop after N failed rows in a row",
    )


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line; return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return int(exc.code or 0) and ExitCode.BAD_INPUT
    if args.command is None:
        parser.print_help(out)
        return ExitCode.BAD_INPUT
    try:
        if args.command == "template":
            return _template(args, out)
        if args.command == "sandbox":
            return _sandbox(args, out)
        if args.command == "web":
            from importer.web.server import serve

            return serve(args, out, err)
        return _run(args, out, err)
    except ImporterError as exc:
        print(f"{PROG}: error: {exc}", file=err)
        return ExitCode.API_STOPPED if isinstance(exc, ApiStopped) else ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted.", file=err)
        return ExitCode.INTERRUPTED
    except Exception as exc:
        if os.environ.get("WOLKVOX_IMPORT_DEBUG"):
            raise
        # A bug, not bad input. Its text could hold anything, so only its type is shown.
        print(
            f"{PROG}: internal error ({type(exc).__name__}). Nothing more was sent; a run's "
            f"journal stays valid, so --resume is safe. Set WOLKVOX_IMPORT_DEBUG=1 to see "
            f"the details, and report it.",
            file=err,
        )
        return ExitCode.INTERNAL_ERROR


def _template(args: argparse.Namespace, out: TextIO) -> int:
    from importer.template import write_template

    path = write_template(args.path)
    print(f"wrote {path}", file=out)
    return ExitCode.OK


def _sandbox(args: argparse.Namespace, out: TextIO) -> int:
    from importer.sandbox import DEFAULT_TOKEN, DEMO_SKILLS, FAULTS, Config, Sandbox

    faults: dict[str, list[str]] = {}
    for spec in args.fault:
        name, _, kind = spec.rpartition("=")
        if not name or kind not in FAULTS:
            raise UsageError(f"--fault {spec!r}: write NAME=KIND, KIND one of {', '.join(FAULTS)}")
        faults.setdefault(name, []).append(kind)
    skills = DEMO_SKILLS if args.demo_skills else None
    if args.skills is not None:
        from importer.load import load_skills

        skills = frozenset(load_skills(args.skills))
    config = Config(
        tokens=frozenset({args.token or DEFAULT_TOKEN}), latency=args.latency, hang=args.hang,
        quota=args.quota, faults=faults, existing=list(args.existing),
        skills=skills,
    )  # fmt: skip
    try:
        box = Sandbox(config, port=args.port, verbose=args.verbose)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror}); pick another --port."
        ) from None
    shown = "your --token" if args.token else DEFAULT_TOKEN
    print(f"sandbox listening on {box.url} (token: {shown}); Ctrl-C stops it", file=out, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        box.serve_forever()
    return ExitCode.OK


def _read_token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(
                f"--token-file {args.token_file}: cannot be read ({exc.strerror})."
            ) from None
        if not token:
            raise UsageError(f"--token-file {args.token_file} is empty.")
    else:
        token = os.environ.get("WOLKVOX_TOKEN", "").strip() or None
    from importer.client import check_token

    return check_token(token) if token is not None else None


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from importer import job, schema
    from importer.client import DEFAULT_TIMEOUT, base_url_for, check_base_url
    from importer.load import load_skills
    from importer.send import Policy, StopFlag

    dry_run = args.command == "validate" or args.dry_run
    simulate = not dry_run and args.simulate
    token = base_url = None
    if not dry_run and not simulate:
        token = _read_token(args)
        if args.base_url:
            base_url = check_base_url(args.base_url)
        elif args.server:
            base_url = base_url_for(args.server)
    quiet = args.quiet
    settings = job.Settings(
        input=args.input,
        out=args.out,
        base_url=base_url,
        dry_run=dry_run,
        resume=getattr(args, "resume", False),
        skip_existing=getattr(args, "skip_existing", True),
        timeout=getattr(args, "timeout", None) or DEFAULT_TIMEOUT,
        validation=schema.Options(
            default_type=args.default_type,
            time_format=args.time_format,
            skills=load_skills(args.skills) if args.skills is not None else None,
        ),
        policy=Policy(
            retry_for=getattr(args, "retry_for", 300.0),
            max_failures=getattr(args, "max_failures", None),
            reconcile_after=getattr(args, "reconcile_after", 60.0),
        ),
        sheet=args.sheet,
        encoding=args.encoding,
        delimiter=args.delimiter,
    )

    def say(text: str) -> None:
        print(text, file=err, flush=True)

    stop = StopFlag()
    restore = _install_signal_handlers(stop, say) if not dry_run else None
    try:
        if simulate:
            from importer.sandbox import DEFAULT_TOKEN, DEMO_SKILLS, Config, Sandbox

            with Sandbox(Config(skills=DEMO_SKILLS)) as box:
                say(
                    f"simulating: local sandbox at {box.url} (demo operation, nothing real "
                    f"is created)"
                )
                settings.base_url = box.url
                report = job.run(
                    settings,
                    token=DEFAULT_TOKEN,
                    stop=stop,
                    progress=_progress_factory(err, quiet),
                    say=say,
                )
        else:
            report = job.run(
                settings, token=token, stop=stop, progress=_progress_factory(err, quiet), say=say
            )
    finally:
        if restore:
            restore()
    _print_report(report, out, err)
    if report.ended == "interrupted":
        return ExitCode.INTERRUPTED
    if report.ended in job.API_STOPS:
        return ExitCode.API_STOPPED
    return ExitCode.OK if report.all_succeeded else ExitCode.ROWS_NOT_CREATED


def _install_signal_handlers(stop, say):
    """First Ctrl-C/SIGTERM: finish the request in flight, then stop. Second: quit now."""

    def handler(signum, frame):
        if stop:
            raise KeyboardInterrupt
        stop.set()
        say("stopping after the request in flight (press Ctrl-C again to quit at once)")

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for s, h in previous.items():
            signal.signal(s, h)

    return restore


def _progress_factory(err: TextIO, quiet: bool):
    enabled = not quiet and hasattr(err, "isatty") and err.isatty()

    def make(total: int):
        return _Bar(total, err, enabled)

    return make


class _Bar:
    """tqdm on stderr, showing created/failed counts; silent when disabled."""

    def __init__(self, total: int, err: TextIO, enabled: bool) -> None:
        from tqdm import tqdm

        self.counts = {"created": 0, "failed": 0}
        self.bar = tqdm(
            total=total,
            file=err,
            disable=not enabled,
            unit="row",
            desc="sending",
            dynamic_ncols=True,
        )

    def sending(self, row: int, name: str) -> None:
        pass

    def row_done(self, row: int, status: str) -> None:
        if status in self.counts:
            self.counts[status] += 1
        self.bar.set_postfix(self.counts, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _print_report(report, out: TextIO, err: TextIO) -> None:
    for warning in report.warnings:
        print(f"warning: {warning}", file=err)
    rows = len(report.results)
    print(f"read {rows} row{'s' * (rows != 1)} from {report.source}", file=out)
    if report.problems:
        shown = report.problems[:SHOWN_PROBLEMS]
        print(
            f"{len(report.problems)} problem(s) in "
            f"{sum(1 for r in report.results if r.status == 'invalid')} row(s); "
            f"these rows are not sent:",
            file=out,
        )
        for problem in shown:
            print(f"  {problem}", file=out)
        if len(report.problems) > len(shown):
            print(
                f"  ... and {len(report.problems) - len(shown)} more: see the results file",
                file=out,
            )
    for result in report.results:
        if result.status in {"failed", "unknown"}:
            print(
                f"  row {result.row} ({result.name}): {result.status}: {result.message}", file=out
            )
    counts = ", ".join(f"{n} {status}" for status, n in report.counts.items() if n)
    print(("dry run, nothing sent: " if report.dry_run else "") + counts, file=out)
    if report.ended not in {"done"}:
        print(f"the run stopped early: {report.ended_message or report.ended}", file=out)
    print(f"results: {report.out}", file=out)
    if report.retry is not None:
        print(
            f"retry file: {report.retry} ({report.retry_rows} row"
            f"{'s' * (report.retry_rows != 1)}); fix what its messages say, then run "
            f"it as the input",
            file=out,
        )
    if report.ended == "interrupted":
        print("interrupted: run the same command with --resume to finish", file=out)
