"""The command line's options and their help texts, in the user's language.

Kept apart from :mod:`importer.cli.commands` so that the options read as one list, and light:
building the parser imports neither pandas nor requests.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from importer import __version__, i18n
from importer.cli.shared_options import add_check_options, add_server_options, port_number
from importer.i18n import N_, _
from importer.send.policy import DEFAULT_BATCH, DEFAULT_TIMEOUT, MAX_BATCH, Policy

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
    # argparse 3.11 leaves the version action's help untranslated: given here.
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help=_("show program's version number and exit"),
    )
    commands = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    run = commands.add_parser(
        "run", parents=[common], help=_("validate a spreadsheet and create its campaigns")
    )
    _add_input_options(run)
    run.add_argument("--dry-run", action="store_true", help=_("only validate: no network at all"))
    _add_send_options(run)
    validate = commands.add_parser("validate", parents=[common], help=_("same as run --dry-run"))
    _add_input_options(validate)
    _add_connected_check(validate)
    report = commands.add_parser(
        "report",
        parents=[common],
        help=_("write a run's results and retry files again from its journal (sends nothing)"),
    )
    report.add_argument(
        "out",
        type=Path,
        metavar=_("RESULTS_OR_JOURNAL"),
        help=_(
            "the run's results workbook (its --out, or one kept under its date when a new run "
            "took its place) or its journal (.jsonl)"
        ),
    )
    _add_undo_parsers(commands, common)
    template = commands.add_parser(
        "template", parents=[common], help=_("write a blank spreadsheet (.xlsx or .csv)")
    )
    template.add_argument("path", metavar=_("path"), help=_("file to write, e.g. campaigns.xlsx"))
    template.add_argument(
        "--force", action="store_true", help=_("replace the file if it already exists")
    )
    _add_sandbox_parser(commands, common)
    from importer.web.options import add_web_options  # names only: no server is loaded

    add_web_options(
        commands.add_parser("web", parents=[common], help=_("open the import page in the browser"))
    )
    return parser


def _add_connected_check(p: argparse.ArgumentParser) -> None:
    """``validate --server``: the check reads the skills and campaign lists (two calls)."""
    p.add_argument(
        "--server",
        dest="check_server",
        metavar="NNNN",
        help=_(
            "also check against this server: read its skills and campaign lists (two calls, "
            "nothing is sent) and mark the rows whose name already exists"
        ),
    )
    p.add_argument(
        "--base-url",
        dest="check_base_url",
        metavar="URL",
        help=_("replace https://wv{server}.wolkvox.com (sandbox, tests)"),
    )
    p.add_argument(
        "--token-file",
        type=Path,
        metavar=_("PATH"),
        help=_("file holding the token (default: the WOLKVOX_TOKEN variable)"),
    )


def _add_undo_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """``undo`` and ``history``: a finished run taken back, and the runs of a folder."""
    undo = commands.add_parser(
        "undo",
        parents=[common],
        help=_("delete the campaigns a finished run created (asks first)"),
    )
    undo.add_argument(
        "out",
        type=Path,
        metavar=_("RESULTS_OR_JOURNAL"),
        help=_("the run's results workbook or its journal (.jsonl), as for report"),
    )
    undo.add_argument(
        "--yes",
        action="store_true",
        help=_("do not ask: delete what the listing shows (for scripts)"),
    )
    undo.add_argument(
        "--dry-run", action="store_true", help=_("only list what would be deleted; delete nothing")
    )
    undo.add_argument(
        "--include-started",
        action="store_true",
        help=_("also delete campaigns that are started or were used since the run"),
    )
    undo.add_argument(
        "--token-file",
        type=Path,
        metavar=_("PATH"),
        help=_("file holding the token (default: the WOLKVOX_TOKEN variable)"),
    )
    defaults = Policy()
    undo.add_argument(
        "--timeout",
        type=float,
        metavar=_("SECONDS"),
        help=_("seconds to wait for each answer (default {n}; the server takes up to 60)").format(
            n=f"{DEFAULT_TIMEOUT:g}"
        ),
    )
    undo.add_argument(
        "--reconcile-after",
        type=float,
        metavar=_("SECONDS"),
        help=_(
            "wait this long after an unclear answer before checking the campaign list (default {n})"
        ).format(n=f"{defaults.reconcile_after:g}"),
    )
    history = commands.add_parser(
        "history", parents=[common], help=_("list the runs of a folder, from their journals")
    )
    history.add_argument(
        "folder",
        type=Path,
        nargs="?",
        default=Path("."),
        metavar=_("FOLDER"),
        help=_("the folder of the results (default: the current folder)"),
    )


def _add_sandbox_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    from importer.sandbox.sandbox_core import CALLS, FAULTS  # names only: no server is loaded

    box = commands.add_parser(
        "sandbox", parents=[common], help=_("run the local stand-in wolkvox server")
    )
    box.add_argument(
        "--port",
        type=port_number,
        default=8765,
        metavar=_("PORT"),
        help=_("port on 127.0.0.1 (default 8765; 0: any free)"),
    )
    box.add_argument(
        "--token",
        metavar=_("TOKEN"),
        help=_("token the sandbox accepts (default: sandbox-token)"),
    )
    box.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar=_("SECONDS"),
        help=_("seconds each create, add_record, start, stop and delete call takes"),
    )
    box.add_argument(
        "--hang",
        type=float,
        default=90.0,
        metavar=_("SECONDS"),
        help=_("seconds a hang_created fault keeps the client waiting"),
    )
    box.add_argument(
        "--quota",
        type=int,
        metavar="N",
        help=_("calls allowed per day before TOKEN LIMIT EXCEEDED"),
    )
    box.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar=_("NAME=[CALL:]KIND"),
        help=_(
            "fail the next CALL (default: create) for campaign NAME (* for any) the KIND way "
            "(repeatable); CALL is one of {calls}, KIND one of {kinds}"
        ).format(calls=", ".join(CALLS), kinds=", ".join(FAULTS)),
    )
    box.add_argument(
        "--existing",
        action="append",
        default=[],
        metavar=_("NAME"),
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
        metavar=_("FILE"),
        help=_("know only the skills listed in FILE (a skill_id column)"),
    )
    box.add_argument("--verbose", action="store_true", help=_("log every request"))


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input",
        type=Path,
        nargs="?",
        metavar=_("input"),
        help=_(
            "the spreadsheet (.xlsx, .xls, .ods or .csv); a workbook's sheet named records, "
            "registros or contactos holds the records to load"
        ),
    )
    p.add_argument(
        "--records",
        type=Path,
        metavar=_("FILE"),
        help=_(
            "the records to load into the campaigns (any file the input may be); without "
            "an input, they go into campaigns that exist already"
        ),
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar=_("PATH"),
        help=_(
            "results workbook (default: <input>.results.xlsx beside the input; a dry run's "
            "check: <input>.check.xlsx)"
        ),
    )
    p.add_argument(
        "--sheet",
        metavar=_("SHEET"),
        help=_("the workbook sheet to read (default: 'campaigns' or the first visible one)"),
    )
    p.add_argument(
        "--encoding",
        metavar=_("ENCODING"),
        help=_("the CSV's text encoding (default: detected)"),
    )
    p.add_argument(
        "--delimiter",
        metavar=_("CHARACTER"),
        help=_("the CSV's delimiter (default: detected)"),
    )
    add_check_options(p)
    p.add_argument("--quiet", action="store_true", help=_("no progress bar"))


def _add_send_options(p: argparse.ArgumentParser) -> None:
    add_server_options(p)
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
        "--batch-size",
        type=int,
        metavar="N",
        help=_("records per add_record call (default {n}, at most {most})").format(
            n=f"{DEFAULT_BATCH:,}", most=f"{MAX_BATCH:,}"
        ),
    )
    p.add_argument(
        "--into-existing",
        action="store_true",
        help=_(
            "also load records into campaigns that existed before the run (by default only "
            "into the campaigns the run creates)"
        ),
    )
    p.add_argument(
        "--start",
        action="store_true",
        help=_("start each predictive campaign once all its records are in (default: none dials)"),
    )
    p.add_argument(
        "--check-quota",
        action="store_true",
        help=_(
            "only show the token's calls left today against the calls this run needs (reading "
            "them uses one call); nothing is sent"
        ),
    )
    p.add_argument(
        "--no-skip-existing",
        dest="skip_existing",
        action="store_false",
        help=_("do not skip names that already exist in wolkvox"),
    )
    _add_wait_options(p)


def _add_wait_options(p: argparse.ArgumentParser) -> None:
    """How long to wait, and when to give up: defaults from importer.send.policy."""
    defaults = Policy()
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
        (
            "--list-interval",
            defaults.list_interval,
            N_("seconds between two reads of the campaign list (default {n}, as wolkvox asks)"),
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


def language_asked(argv: Sequence[str]) -> str | None:
    """``--lang`` read ahead of parsing, so that help and usage errors are translated too."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None
