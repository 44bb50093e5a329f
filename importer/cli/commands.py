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
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

from importer import i18n
from importer.cli.arguments import PROG, build_parser, language_asked
from importer.cli.console import forgiving
from importer.errors import ApiStopped, ImporterError, UsageError
from importer.i18n import _, ngettext
from importer.status import API_STOPS, Ended

if TYPE_CHECKING:
    from importer.job import Settings
    from importer.record.report import Report
    from importer.send.sender import StopFlag


class ExitCode(enum.IntEnum):
    """What the process exit status means."""

    OK = 0  #: every row created, existing already, or (dry run) valid
    ROWS_NOT_CREATED = 1  #: some rows invalid, failed, unknown or not sent
    BAD_INPUT = 2  #: usage error, unreadable input, or a run that must not start
    API_STOPPED = 3  #: the API stopped the run (token, address, quota, unavailable)
    INTERNAL_ERROR = 70  #: a fault in the importer itself (sysexits' EX_SOFTWARE)
    INTERRUPTED = 130  #: Ctrl-C, Ctrl-Break or SIGTERM


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run the command line; return the exit code. ``stdin`` answers questions (undo's
    confirmation); tests pass their own."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = forgiving(stdout or sys.stdout)
    err = forgiving(stderr or sys.stderr)
    global _stdin
    _stdin = stdin or sys.stdin
    with i18n.using(i18n.choose(language_asked(argv))):
        return _main(argv, out, err)


#: Where questions are answered from (see :func:`main`).
_stdin: TextIO = sys.stdin


def _main(argv: list[str], out: TextIO, err: TextIO) -> int:
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return int(exc.code or 0) and ExitCode.BAD_INPUT
    if getattr(args, "lang", None) is None:
        # A command's own --lang (None when not given) hides the one before the command.
        args.lang = language_asked(argv)
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
    except BrokenPipeError:
        # Whatever read the output stopped reading (``| head``): there is no one left to
        # tell. Python would complain again when flushing at exit, so stop that too.
        _silence_stdout()
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


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "template":
        from importer.template import write_template

        written = write_template(args.path, replace=args.force)
        print(_("wrote {path}").format(path=written), file=out)
        return ExitCode.OK
    if args.command == "sandbox":
        return _sandbox(args, out)
    if args.command == "report":
        return _report(args, out, err)
    if args.command == "undo":
        return _undo(args, out, err)
    if args.command == "history":
        from importer.record.history import print_history

        print_history(args.folder, out)
        return ExitCode.OK
    if args.command == "web":
        from importer.web.server import serve

        return serve(args, out, err)
    return _run(args, out, err)


def _sandbox(args: argparse.Namespace, out: TextIO) -> int:
    from importer.sandbox.server import (
        CALLS,
        DEFAULT_TOKEN,
        DEMO_SKILLS,
        FAULTS,
        Config,
        Sandbox,
        parse_fault,
    )

    faults: dict[str, list[str]] = {}
    for spec in args.fault:
        try:
            name, kind = parse_fault(spec)
        except ValueError:
            message = _(
                "--fault {spec}: write NAME=KIND or NAME=CALL:KIND, CALL one of {calls}, KIND "
                "one of {kinds} (no_id only with create and add_record)"
            )
            raise UsageError(
                message.format(spec=repr(spec), calls=", ".join(CALLS), kinds=", ".join(FAULTS))
            ) from None
        faults.setdefault(name, []).append(kind)
    skills: Collection[str] | None = DEMO_SKILLS if args.demo_skills else None
    if args.skills is not None:
        from importer.read.load import load_skills

        skills = load_skills(args.skills)  # with their names, for information.php?api=skills
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
    from importer.cli.console import print_report

    report = job.rebuild(args.out)
    print_report(report, out, err)
    return _exit_code(report)


def _undo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from importer.cli.settings import read_token
    from importer.send.policy import DEFAULT_TIMEOUT, Policy
    from importer.send.sender import StopFlag
    from importer.send.undo import Plan, undo

    def say(text: str) -> None:
        print(text, file=err, flush=True)

    def confirm(plan: Plan) -> bool:
        show(plan)
        n = len(plan.delete)
        if args.yes:
            return True
        question = ngettext(
            "This cannot be undone. To delete it, type the number of campaigns ({n}): ",
            "This cannot be undone. To delete them, type the number of campaigns ({n}): ",
            n,
        )
        print(question.format(n=n), end="", file=out, flush=True)
        answer = _stdin.readline()
        if not answer:
            raise UsageError(
                _(
                    "no answer to the question (no input); nothing was deleted. Use --yes in "
                    "scripts."
                )
            )
        return answer.strip() == str(n)

    shown: list[Plan] = []

    def show(plan: Plan) -> None:
        if not shown:
            shown.append(plan)
            for line in plan.lines():
                print(line, file=out)

    policy = Policy()
    if args.reconcile_after is not None:
        policy.reconcile_after = args.reconcile_after
    stop = StopFlag()
    with _signals_stop(stop, say):
        done = undo(
            args.out, token=read_token(args.token_file), confirm=confirm, say=say,
            include_started=args.include_started, dry_run=args.dry_run, policy=policy,
            timeout=args.timeout or DEFAULT_TIMEOUT, stop=stop,
        )  # fmt: skip
    if done.plan is not None:
        show(done.plan)
    if done.dry_run and done.plan is not None:
        print(_("dry run: nothing was deleted."), file=out)
        return ExitCode.OK
    if done.nothing:
        print(done.nothing, file=out)
        return ExitCode.ROWS_NOT_CREATED if done.cancelled else ExitCode.OK
    return _undo_result(done, out, err)


def _undo_result(done: object, out: TextIO, err: TextIO) -> int:
    from importer.send.undo import Undone

    assert isinstance(done, Undone)
    text = ngettext("{n} campaign deleted", "{n} campaigns deleted", len(done.deleted))
    print(text.format(n=len(done.deleted)), file=out)
    for target, why in done.failed:
        line = _("  row {row}: {name} (id {id}): {why}")
        print(
            line.format(row=target.row, name=target.name, id=target.id_campaign, why=why), file=out
        )
    if done.results_note:
        print(done.results_note, file=err)
    elif done.plan is not None:
        print(_("results: {path}").format(path=done.plan.out), file=out)
    if done.ended == Ended.INTERRUPTED:
        print(done.message, file=err)
        return ExitCode.INTERRUPTED
    if done.ended != Ended.DONE:
        print(_("{prog}: the undo stopped: {why}").format(prog=PROG, why=done.message), file=err)
        return ExitCode.API_STOPPED
    left = done.plan.left if done.plan is not None else []
    return ExitCode.ROWS_NOT_CREATED if done.failed or left else ExitCode.OK


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from importer import job
    from importer.cli.console import print_report, progress_factory
    from importer.cli.settings import from_args, read_token
    from importer.send.sender import StopFlag

    dry_run = args.command == "validate" or args.dry_run
    simulate = not dry_run and args.simulate
    settings = from_args(args, dry_run=dry_run)
    connected = dry_run and settings.base_url is not None  # validate --server
    token = None if (dry_run and not connected) or simulate else read_token(args.token_file)

    def say(text: str) -> None:
        print(text, file=err, flush=True)

    if not dry_run and args.check_quota:
        return _check_quota(settings, token, simulate, out)
    stop = StopFlag()
    progress = progress_factory(err, args.quiet)
    batches = progress_factory(err, args.quiet, records=True)
    with _signals_stop(stop, say) if not dry_run else contextlib.nullcontext():
        if simulate:
            from importer.sandbox.server import DEFAULT_TOKEN, DEMO_SKILLS, Config, Sandbox

            with Sandbox(Config(skills=DEMO_SKILLS)) as box:
                text = _(
                    "simulating: local sandbox at {url} (demo operation, nothing real is created)"
                )
                say(text.format(url=box.url))
                settings.base_url, settings.simulated = box.url, True
                settings.sandbox_ends = True  # its sandbox ends with this command
                report = job.run(
                    settings, token=DEFAULT_TOKEN, stop=stop, progress=progress, say=say,
                    records_progress=batches,
                )  # fmt: skip
        else:
            report = job.run(settings, token=token, stop=stop, progress=progress, say=say,
                             records_progress=batches)  # fmt: skip
    code = _exit_code(report)
    try:
        print_report(report, out, err)
    except BrokenPipeError:  # the files are written; the code still says how the run went
        _silence_stdout()
    return code


def _check_quota(settings: Settings, token: str | None, simulate: bool, out: TextIO) -> int:
    from importer import job
    from importer.send.quota import check_quota

    rows, records_calls = job.calls_planned(settings)
    if simulate:
        from importer.sandbox.server import DEFAULT_TOKEN, DEMO_SKILLS, Config, Sandbox

        with Sandbox(Config(skills=DEMO_SKILLS)) as box:
            settings.base_url = box.url
            quota = check_quota(settings, DEFAULT_TOKEN, rows=rows, records_calls=records_calls)
    else:
        quota = check_quota(settings, token, rows=rows, records_calls=records_calls)
    for line in quota.lines():
        print(line, file=out)
    return ExitCode.ROWS_NOT_CREATED if quota.enough is False else ExitCode.OK


def _exit_code(report: Report) -> int:
    ended = report.ended
    if ended == Ended.INTERRUPTED:
        return ExitCode.INTERRUPTED
    if ended in API_STOPS:
        return ExitCode.API_STOPPED
    return ExitCode.OK if report.all_succeeded else ExitCode.ROWS_NOT_CREATED


#: The signals that ask a run to stop: Ctrl-C everywhere; Ctrl-Break on Windows;
#: SIGTERM where the platform delivers it.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGBREAK", "SIGTERM") if hasattr(signal, name)
)


@contextlib.contextmanager
def _signals_stop(stop: StopFlag, say: Callable[[str], None]) -> Iterator[None]:
    """First signal: finish the request in flight, then stop. Second: quit now."""

    def handler(signum: int, frame: object) -> None:
        if stop:
            raise KeyboardInterrupt
        stop.set()
        say(_("stopping after the request in flight (press Ctrl-C again to quit at once)"))

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
