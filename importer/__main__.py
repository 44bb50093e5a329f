"""Where ``wolkvox-import`` and ``python -m importer`` start.

Ctrl-C must end the command cleanly from its first instant, yet loading the command
line takes tens of milliseconds (and a run then loads pandas). So nothing is imported
before :func:`main` is running: a Ctrl-C while the command is still loading ends it
with exit 130 and one line, never a traceback.
"""

import contextlib
import signal
import sys

#: :attr:`importer.cli.commands.ExitCode.INTERRUPTED`, known here without loading the command line.
INTERRUPTED = 130


def main() -> int:
    """The command line, with Ctrl-C (Ctrl-Break, SIGTERM) honoured while it loads."""
    # SIGTERM and Ctrl-Break stop the command as Ctrl-C does, until a command sets
    # handlers of its own (``run`` lets the request in flight finish first).
    for name in ("SIGBREAK", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.default_int_handler)
    try:
        from importer.cli.commands import main as command_line

        return command_line()
    except KeyboardInterrupt:
        return _interrupted()


def _interrupted() -> int:
    """Say, once and in the user's language, that the command was interrupted."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this line
    text = "wolkvox-import: interrupted."
    with contextlib.suppress(Exception):  # whatever was loading when Ctrl-C came
        from importer import i18n
        from importer.cli.arguments import PROG, language_asked

        with i18n.using(i18n.choose(language_asked(sys.argv[1:]))):
            text = i18n._("{prog}: interrupted.").format(prog=PROG)
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr, flush=True)
    return INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
