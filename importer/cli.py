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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from importer import __version__, i18n
from importer.console import forgiving
from importer.errors import ApiStopped, ImporterError, UsageError
from importer.i18n import N_, _
from importer.policy import DEFAULT_TIMEOUT, Policy

PROG = "wolkvox-import"

# argparse's own texts ("usage:", "options", its errors), so that --help and usage
# errors speak the user's language too. Listed here for the catalogue; argparse
# looks them up through the module-level ``_`` replaced in build_parser().
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("expected one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
)


class ExitCode(enum.IntEnum):
    """What the process exit status means."""

    OK = 0  #: every row created, existing already, or (dry run) valid
    ROWS_NOT_CREATED = 1  #: some rows invalid, failed, unknown or not sent
    BAD_INPUT = 2  #: usage error, unreadable input, or a run that must not start
    API_STOPPED = 3  #: the API stopped the run (token, address, quota, unavailable)
    INTERNAL_ERROR = 70  #: a fault in the importer itself (sysexits' EX_SOFTWARE)
    INTERRUPTED = 130  #: Ctrl-C, Ctrl-Break or SIGTERM


def build_parser() -> argparse.ArgumentParser:
    """The parser, its texts in the current language."""
    argparse._ = _  # type: ignore[attr-defined]  # see ARGPARSE_TEXTS
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--lang", choices=i18n.LANGUAGES, help=_("language of messages and files (es or en)")
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description=_("Create wolkvox campaigns from a spreadsheet, one safe request at a time."),
        epilog=_(
            "Exit codes: 0 all created/valid, 1 some rows not created, 2 bad input or usage, "
            "3 stopped by the API, 70 internal error, 130 interrupted."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", parents=[common], help=_("validate a spreadsheet and create its campaigns")
    )
    _add_input_options(run)
    run.add_argument("--dry-run", action="store_true", help=_("only validate: no network at all"))
    _add_send_options(run)
    validate = commands.add_parser("validate", parents=[common], help=_("same as run --dry-run"))
    _add_input_options(validate)
    report = commands.add_parser(
        "report",
        parents=[common],
        help=_("write a run's results and retry files again from its journal (sends nothing)"),
    )
    report.add_argument("out", type=Path, help=_("the run's results workbook (its --out)"))
    template = commands.add_parser(
        "template", parents=[common], help=_("write a blank spreadsheet (.xlsx or .csv)")
    )
    template.add_argument("path", help=_("file to write, e.g. campaigns.xlsx"))
    _add_sandbox_parser(commands, common)
    from importer.web.options import add_web_options

    web = commands.add_parser("web", parents=[common], help=_("open the import page in the browser"))
    add_web_options(web)
    return parser


def _add_sandbox_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    from importer.sandbox_core import FAULTS  # names only: no server is loaded

    box = commands.add_parser(
        "sandbox", parents=[common], help=_("run the local stand-in wolkvox server")
    )
    box.add_argument(
        "--port", type=int, default=8765, help=_("port on 127.0.0.1 (default 8765; 0: any free)")
    )
    box.add_argument("--token", help=_("token the sandbox accepts (default: sandbox-token)"))
    box.add_argument("--latency", type=float, default=0.0, help=_("seconds per create call"))
    box.add_argument(
        "--hang",
        type=float,
        default=90.0,
        help=_("seconds a hang_created fault keeps the client waiting"),
    )
    box.add_argument(
        "--quota", type=int, help=_("create calls allowed before TOKEN LIMIT EXCEEDED")
    )
    box.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=KIND",
        help=_("fail the campaign NAME the KIND way (repeatable); KIND is one of {kinds}").format(
            kinds=", ".join(FAULTS)
        ),
    )
    box.add_argument(
        "--existing",
        action="append",
        default=[],
        metavar="NAME",
        help=_("a campaign that exists from the start (repeatable)"),
    )
    box.add_argument(
        "--demo-skills",
        action="store_true",
        help=_("know only the demo operation's skills (as --simulate does)"),
    )
    box.add_argument(
        "--skills",
        type=Path,
        metavar="FILE",
        help=_("know only the skills listed in FILE (a skill_id column)"),
    )
    box.add_argument("--verbose", action="store_true", help=_("log every request"))


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", type=Path, help=_("the spreadsheet (.xlsx, .xls, .ods or .csv)"))
    p.add_argument(
        "--out",
        type=Path,
        help=_("results workbook (default: <input>.results.xlsx beside the input)"),
    )
    p.add_argument(
        "--type",
        dest="default_type",
        choices=("preview", "predictive"),
        help=_("campaign type for rows whose type_campaign is empty"),
    )
    p.add_argument(
        "--time-format",
        choices=("hhmmss", "datetime"),
        default="hhmmss",
        help=_(
            "how start/end times are sent: hhmmss (080000, default) or datetime (20261201080000)"
        ),
    )
    p.add_argument(
        "--sheet",
        help=_("the workbook sheet to read (default: 'campaigns' or the first visible one)"),
    )
    p.add_argument("--encoding", help=_("the CSV's text encoding (default: detected)"))
    p.add_argument("--delimiter", help=_("the CSV's delimiter (default: detected)"))
    p.add_argument(
        "--skills",
        type=Path,
        metavar="FILE",
        help=_(
            "the operation's skills (CSV or workbook with a skill_id column, as exported from "
            "wolkvox manager); rows with other skill ids are invalid"
        ),
    )
    p.add_argument("--quiet", action="store_true", help=_("no progress bar"))


def _add_send_options(p: argparse.ArgumentParser) -> None:
    defaults = Policy()
    p.add_argument(
        "--server",
        default=os.environ.get("WOLKVOX_SERVER"),
        help=_("server nomenclature, e.g. 0032 (or WOLKVOX_SERVER)"),
    )
    p.add_argument("--base-url", help=_("replace https://wv{server}.wolkvox.com (sandbox, tests)"))
    p.add_argument(
        "--token-file",
        type=Path,
        help=_("file holding the token (default: the WOLKVOX_TOKEN variable)"),
    )
    p.add_argument(
        "--simulate",
        action="store_true",
        help=_("start the local sandbox and import against it (no credentials needed)"),
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help=_("go on with the interrupted run recorded beside --out"),
    )
    p.add_argument(
        "--no-skip-existing",
        dest="skip_existing",
        action="store_false",
        help=_("do not skip names that already exist in wolkvox"),
    )
    seconds = [
        (
            "--timeout",
            DEFAULT_TIMEOUT,
            N_("seconds to wait for each answer (default {n}; the server takes up to 60)"),
        ),
        (
            "--reconcile-after",
            defaults.reconcile_after,
            N_("wait this long after an unclear answer before checking the campaign list "
               "(default {n})"),
        ),
        (
            "--retry-for",
            defaults.retry_for,
            N_("how long one row may wait for a busy token or maintenance (default {n})"),
        ),
    ]  # fmt: skip
    for flag, default, text in seconds:
        p.add_argument(
            flag, type=float, metavar=_("SECONDS"), help=_(text).format(n=f"{default:g}")
        )
    p.add_argument(
        "--max-failures", type=int, metavar="N", help=_("stop after N failed rows in a row")
    )
    p.add_argument(
        "--max-unknown",
        type=int,
        metavar="N",
        help=_("stop after N unclear answers in a row (default {n})").format(
            n=defaults.max_unknown
        ),
    )


def _language_asked(argv: Sequence[str]) -> str | None:
    """``--lang`` read ahead of parsing, so that help and usage errors are translated too."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = forgiving(stdout or sys.stdout)
    err = forgiving(stderr or sys.stderr)
    with i18n.using(i18n.choose(_language_asked(argv))):
        return _main(argv, out, err)


def _main(argv: list[str], out: TextIO, err: TextIO) -> int:
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return int(exc.code or 0) and ExitCode.BAD_INPUT
    if args.command is None:
        parser.print_help(out)
        return ExitCode.BAD_INPUT
    try:
        return _dispatch(args, out, err)
    except ImporterError as exc:
        print(_("{prog}: error: {message}").format(prog=PROG, message=exc), file=err)
        return ExitCode.API_STOPPED if isinstance(exc, ApiStopped) else ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print(_("{prog}: interrupted.").format(prog=PROG), file=err)
        return ExitCode.INTERRUPTED
    except Exception as exc:
        if os.environ.get("WOLKVOX_IMPORT_DEBUG"):
            raise
        # A bug, not bad input. Its text could hold anything, so only its type is shown.
        message = _(
            "{prog}: internal error ({kind}). Nothing more was sent; a run's journal stays "
            "valid, so --resume is safe. Set WOLKVOX_IMPORT_DEBUG=1 to see the details, and "
            "report it."
        )
        print(message.format(prog=PROG, kind=type(exc).__name__), file=err)
        return ExitCode.INTERNAL_ERROR


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "template":
        from importer.template import write_template

        print(_("wrote {path}").format(path=write_template(args.path)), file=out)
        return ExitCode.OK
    if args.command == "sandbox":
        return _sandbox(args, out)
    if args.command == "report":
        return _report(args, out, err)
    if args.command == "web":
        from importer.web.server import serve

        return serve(args, out, err)
    return _run(args, out, err)


def _sandbox(args: argparse.Namespace, out: TextIO) -> int:
    from importer.sandbox import DEFAULT_TOKEN, DEMO_SKILLS, FAULTS, Config, Sandbox

    faults: dict[str, list[str]] = {}
    for spec in args.fault:
        name, _sep, kind = spec.rpartition("=")
        if not name or kind not in FAULTS:
            message = _("--fault {spec}: write NAME=KIND, KIND one of {kinds}")
            raise UsageError(message.format(spec=repr(spec), kinds=", ".join(FAULTS)))
        faults.setdefault(name, []).append(kind)
    skills = DEMO_SKILLS if args.demo_skills else None
    if args.skills is not None:
        from importer.load import load_skills

        skills = frozenset(load_skills(args.skills))
    config = Config(
        tokens=frozenset({args.token or DEFAULT_TOKEN}), latency=args.latency, hang=args.hang,
        quota=args.quota, faults=faults, existing=list(args.existing), skills=skills,
    )  # fmt: skip
    try:
        box = Sandbox(config, port=args.port, verbose=args.verbose)
    except OSError as exc:
        message = _("cannot listen on 127.0.0.1:{port} ({why}); pick another --port.")
        raise UsageError(message.format(port=args.port, why=exc.strerror)) from None
    shown = _("your --token") if args.token else DEFAULT_TOKEN
    text = _("sandbox listening on {url} (token: {token}); Ctrl-C stops it")
    print(text.format(url=box.url, token=shown), file=out, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        box.serve_forever()
    return ExitCode.OK


def _report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from importer import job
    from importer.console import print_report

    report = job.rebuild(args.out)
    print_report(report, out, err)
    return _exit_code(report)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from importer import job
    from importer.console import print_report, progress_factory
    from importer.send import StopFlag
    from importer.settings import from_args, read_token

    dry_run = args.command == "validate" or args.dry_run
    simulate = not dry_run and args.simulate
    settings = from_args(args, dry_run=dry_run)
    token = None if dry_run or simulate else read_token(getattr(args, "token_file", None))

    def say(text: str) -> None:
        print(text, file=err, flush=True)

    stop = StopFlag()
    progress = progress_factory(err, args.quiet)
    with _signals_stop(stop, say) if not dry_run else contextlib.nullcontext():
        if simulate:
            from importer.sandbox import DEFAULT_TOKEN, DEMO_SKILLS, Config, Sandbox

            with Sandbox(Config(skills=DEMO_SKILLS)) as box:
                text = _(
                    "simulating: local sandbox at {url} (demo operation, nothing real is created)"
                )
                say(text.format(url=box.url))
                settings.base_url = box.url
                report = job.run(
                    settings, token=DEFAULT_TOKEN, stop=stop, progress=progress, say=say
                )
        else:
            report = job.run(settings, token=token, stop=stop, progress=progress, say=say)
    print_report(report, out, err)
    return _exit_code(report)


def _exit_code(report: object) -> int:
    from importer.status import API_STOPS, Ended

    ended = getattr(report, "ended", Ended.DONE)
    if ended == Ended.INTERRUPTED:
        return ExitCode.INTERRUPTED
    if ended in API_STOPS:
        return ExitCode.API_STOPPED
    return ExitCode.OK if getattr(report, "all_succeeded", False) else ExitCode.ROWS_NOT_CREATED


#: The signals that ask a run to stop: Ctrl-C everywhere; Ctrl-Break on Windows;
#: SIGTERM where the platform delivers it.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGBREAK", "SIGTERM") if hasattr(signal, name)
)


@contextlib.contextmanager
def _signals_stop(stop: object, say: Callable[[str], None]):  # type: ignore[no-untyped-def]
    """First signal: finish the request in flight, then stop. Second: quit now."""

    def handler(signum: int, frame: object) -> None:
        if stop:
            raise KeyboardInterrupt
        stop.set()  # type: ignore[attr-defined]
        say(_("stopping after the request in flight (press Ctrl-C again to quit at once)"))

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
