"""The runs of a folder, read from their journals: ``wolkvox-import history``.

Nothing is kept for it: every run's journal already says when it began, which file it
read, where it sent, what became of each row and how it ended, so the history is read
from the journals each time (a run kept under its date when a new one took its place
included) and cannot disagree with them. The web page lists its working folder's runs
(``runs/N/``) with the same function.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from importer.check.times import shown_moment
from importer.errors import JournalError
from importer.i18n import N_, _, ngettext
from importer.send.journal import JournalState, read, results_for
from importer.status import Status, counted


class End(StrEnum):
    """How a run ended, as its journal tells."""

    FINISHED = "finished"
    UNFINISHED = "unfinished"  #: to resume (or close, on the page)
    UNDONE = "undone"  #: finished, then its campaigns deleted by an undo that ran to its end
    UNDOING = "undoing"  #: finished; an undo began and did not finish (run it again)


_END_WORDS = {
    End.FINISHED: N_("finished"),
    End.UNFINISHED: N_("unfinished: resume it (--resume) or close it on the page"),
    End.UNDONE: N_("finished, then undone"),
    End.UNDOING: N_("finished; an undo did not finish: run the same undo again"),
}
#: Rows the journal holds no outcome for: never sent (invalid, or after the run stopped).
UNRECORDED = "unrecorded"


@dataclass(frozen=True)
class Run:
    """One run of the folder, from its journal."""

    journal: Path
    results: Path | None
    started: str
    input: str
    server: str
    rows: int
    #: rows per status the journal records, and :data:`UNRECORDED` for the rest
    counts: dict[str, int] = field(default_factory=dict)
    end: End = End.FINISHED

    @property
    def started_shown(self) -> str:
        """When it began, in this computer's local time with its offset."""
        return shown_moment(self.started)

    @property
    def end_words(self) -> str:
        """How it ended, in the person's language."""
        return _(_END_WORDS[self.end])


def _is_journal(path: Path) -> bool:
    return path.is_file() and results_for(path) is not None


def journals(folder: Path) -> list[Path]:
    """The journals in ``folder`` and in its ``runs/*/`` folders (the page's)."""
    found = [p for p in folder.glob("*.jsonl") if _is_journal(p)]
    found += [p for p in folder.glob("runs/*/*.jsonl") if _is_journal(p)]
    return found


def _end(state: JournalState) -> End:
    if not state.finished:
        return End.UNFINISHED
    if state.undone:
        return End.UNDONE
    return End.UNDOING if state.undo_started else End.FINISHED


def summarise(path: Path, state: JournalState) -> Run:
    """One journal's run, as the history shows it."""
    tally: Counter[str] = Counter()
    for row in state.hashes:
        outcome = state.outcomes.get(row)
        if outcome is not None:
            tally[outcome.status] += 1
        elif row in state.attempted_at:
            tally[Status.UNKNOWN] += 1
        else:
            tally[UNRECORDED] += 1
    header = state.header
    options = header.get("options") or {}
    return Run(
        journal=path, results=results_for(path), started=str(header.get("started", "")),
        input=str(header.get("input", "")), server=str(options.get("base_url") or ""),
        rows=len(state.hashes), counts=dict(tally), end=_end(state),
    )  # fmt: skip


def runs(folder: Path) -> tuple[list[Run], list[str]]:
    """Every run of ``folder``, oldest first; and a line for each journal that could not
    be read (damaged, or held by a run writing it on Windows)."""
    found: list[Run] = []
    unreadable: list[str] = []
    for path in journals(folder):
        try:
            state = read(path)
        except JournalError as exc:
            unreadable.append(str(exc))
            continue
        if state.header:  # a journal whose run never wrote its first line is no run
            found.append(summarise(path, state))
    found.sort(key=lambda r: (r.started, str(r.journal)))
    return found, unreadable


def _counts(run: Run) -> str:
    order = [*(str(s) for s in Status), UNRECORDED]
    parts = []
    for status in order:
        n = run.counts.get(status, 0)
        if not n:
            continue
        if status == UNRECORDED:
            text = ngettext(
                "{n} never sent (invalid, or after the run stopped)",
                "{n} never sent (invalid, or after the run stopped)",
                n,
            )
            parts.append(text.format(n=n))
        else:
            parts.append(counted(status, n))
    return ", ".join(parts)


def print_history(folder: Path, out: TextIO, zone: dt.tzinfo | None = None) -> None:
    """``wolkvox-import history``: each run of ``folder``, oldest first; times in
    ``zone`` (this computer's when None)."""
    if not folder.is_dir():
        from importer.errors import UsageError

        raise UsageError(_("{folder} is not a folder.").format(folder=folder))
    found, unreadable = runs(folder)
    if not found:
        print(_("no runs in {folder} (no journal of wolkvox-import there).").format(folder=folder),
              file=out)  # fmt: skip
    for run in found:
        name = run.results.name if run.results is not None else run.journal.name
        print(f"{shown_moment(run.started, zone)}  {name}: {run.end_words}", file=out)
        where = _("  read {input}; sent to {server}").format(
            input=run.input, server=run.server or _("(no server)")
        )
        print(where, file=out)
        rows = ngettext("  {n} row: {counts}", "  {n} rows: {counts}", run.rows)
        print(rows.format(n=run.rows, counts=_counts(run)), file=out)
    for line in unreadable:
        print(_("warning: {text}").format(text=line), file=out)
