"""What the terminal shows: the progress bar and the report at the end of a run.

Output never crashes a run: a console whose encoding cannot show a character (a
cp1252 Windows console, output redirected to a file) gets a replacement mark. Nor does
it drive the terminal: messages quote what the person's files hold (headers, cells,
file names), and a control character there (an ESC sequence that clears the screen, a
bell) is shown as ``<U+001B>``, as the workbooks show it, on every line written.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO, cast

from importer import i18n
from importer.i18n import _, ngettext
from importer.status import Ended, RecordStatus, Status, counted, label, record_label

if TYPE_CHECKING:
    from importer.check.problems import Problem
    from importer.job import Report

#: How many row problems are printed before pointing at the results file.
SHOWN_PROBLEMS = 30


#: What a terminal takes as a command rather than text: the C0 controls but tab and line
#: feed (a carriage return rewrites the line), DEL, and the C1 controls (U+009B is CSI).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown_on_terminal(text: str) -> str:
    """``text`` with each control character a terminal would obey written as ``<U+001B>``."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


class _Shown:
    """A text stream that writes :func:`shown_on_terminal` of what it is given; all else
    (flush, isatty, encoding) is the stream's own. ``raw`` is the stream itself, for the
    progress bar, whose own carriage returns are meant."""

    def __init__(self, stream: TextIO) -> None:
        self.raw = stream

    def write(self, text: str) -> int:
        self.raw.write(shown_on_terminal(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def forgiving(stream: TextIO) -> TextIO:
    """``stream``, set to replace characters its encoding cannot show instead of raising,
    and to show control characters visibly (see :func:`shown_on_terminal`)."""
    if isinstance(stream, _Shown):
        return cast(TextIO, stream)
    if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
        stream.reconfigure(errors="replace")
    return cast(TextIO, _Shown(stream))


def progress_factory(err: TextIO, quiet: bool, *, records: bool = False) -> Callable[[int], Bar]:
    """Progress bars on ``err``, drawn only on a terminal and unless ``quiet``; with
    ``records``, of the records' batches (added/failed) instead of the campaign rows."""
    enabled = not quiet and hasattr(err, "isatty") and err.isatty()
    err = getattr(err, "raw", err)  # the bar's own control characters are meant

    def make(total: int) -> Bar:
        return Bar(total, err, enabled, records=records)

    return make


class Bar:
    """tqdm on stderr, showing created/failed counts; silent when disabled."""

    def __init__(self, total: int, err: TextIO, enabled: bool, *, records: bool = False) -> None:
        from tqdm import tqdm

        self.records = records
        self.counts: dict[str, int] = (
            {RecordStatus.ADDED: 0, RecordStatus.FAILED: 0} if records
            else {Status.CREATED: 0, Status.FAILED: 0}
        )  # fmt: skip
        unit, desc = (_("batch"), _("loading records")) if records else (_("row"), _("sending"))
        self.bar = tqdm(
            total=total, file=err, disable=not enabled, unit=unit, desc=desc, dynamic_ncols=True
        )

    def sending(self, row: int, name: str) -> None:
        pass

    def row_done(self, row: int, status: str) -> None:
        if status in self.counts:
            self.counts[status] += 1
        words = record_label if self.records else label
        shown = {words(s): n for s, n in self.counts.items()}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def print_report(report: Report, out: TextIO, err: TextIO) -> None:
    """The end of a run, in plain words: problems, failed rows, counts, files."""
    from importer.read.layout import shown_row  # pandas: not for --help

    for warning in report.warnings:
        print(_("warning: {text}").format(text=warning), file=err)
    rows = len(report.results)
    # A run of records alone has no campaign rows to tell of.
    campaigns = rows > 0 or report.records is None
    read = ngettext("read {n} row from {source}", "read {n} rows from {source}", rows)
    if campaigns:
        print(read.format(n=rows, source=report.source), file=out)
    # A retry file's rows are named by the row the person knows (the first sheet's),
    # the retry file's own beside it.
    originals = {r.row: r.original for r in report.results if r.original is not None}
    _print_problems(report, out, originals)
    for result in report.results:
        if result.status in {Status.FAILED, Status.UNKNOWN}:
            line = _("  row {row} ({name}): {status}: {message}")
            shown = line.format(
                row=shown_row(result.row, originals), name=result.name,
                status=_status_word(result.status), message=result.message,
            )  # fmt: skip
            print(shown, file=out)
    counts = ", ".join(_count(status, n) for status, n in report.counts.items() if n)
    if campaigns:
        print((_("dry run, nothing sent: ") if report.dry_run else "") + counts, file=out)
    if report.records is not None:
        _print_records(report, out, dry_run=report.dry_run and not campaigns)
    if report.ended != Ended.DONE:
        why = report.ended_message or report.ended
        print(_("the run stopped early: {why}").format(why=why), file=out)
    if report.dry_run:
        text = _("check: {path} (a dry run's own file: it never replaces a run's results)")
        print(text.format(path=report.out), file=out)
    else:
        print(_("results: {path}").format(path=report.out), file=out)
    if report.retry is not None:
        text = ngettext(
            "retry file: {path} ({n} row); fix what its messages say, then run it as the input",
            "retry file: {path} ({n} rows); fix what its messages say, then run it as the input",
            report.retry_rows,
        )
        print(text.format(path=report.retry, n=report.retry_rows), file=out)
    if report.records_retry is not None:
        text = ngettext(
            "records retry file: {path} ({n} record); fix what its messages say, then run it "
            "with --records",
            "records retry file: {path} ({n} records); fix what its messages say, then run it "
            "with --records",
            report.records_retry_rows,
        )
        print(text.format(path=report.records_retry, n=report.records_retry_rows), file=out)
    if report.ended == Ended.INTERRUPTED:
        print(_("interrupted: run the same command with --resume to finish"), file=out)


def _print_records(report: Report, out: TextIO, *, dry_run: bool) -> None:
    """The records: how many were read, their problems, the batches that did not go
    well (one line per batch, not per record), their counts and the starts."""
    from importer.status import RecordStatus, counted_records, record_label, start_label

    records = report.records or []
    read = ngettext("read {n} record from {source}", "read {n} records from {source}",
                    len(records))  # fmt: skip
    print(read.format(n=len(records), source=report.records_source), file=out)
    if report.record_problems:
        invalid = sum(1 for r in records if r.status == RecordStatus.INVALID)
        text = _("{problems} problem(s) in {rows} record(s); these records are not sent:")
        print(text.format(problems=len(report.record_problems), rows=invalid), file=out)
        shown = report.record_problems[:SHOWN_PROBLEMS]
        # A records retry file's records are named by the first sheet's row, as campaigns.
        originals = {r.row: r.original for r in records if r.original is not None}
        for problem in shown:
            print(f"  {_problem_line(problem, originals)}", file=out)
        if len(report.record_problems) > len(shown):
            more = _("  ... and {n} more: see the results file")
            print(more.format(n=len(report.record_problems) - len(shown)), file=out)
    told: set[tuple[int | None, str]] = set()
    for r in records:
        bad = r.status in {RecordStatus.FAILED, RecordStatus.UNKNOWN}
        if bad and (r.batch, r.message) not in told:
            told.add((r.batch, r.message))
            line = _("  batch {batch} (campaign {campaign}): {status}: {message}")
            word = r.status if i18n.current() == i18n.DEFAULT else record_label(r.status)
            print(line.format(batch=r.batch, campaign=r.campaign_id, status=word,
                              message=r.message), file=out)  # fmt: skip
    tally = report.record_counts
    told_counts = ", ".join(counted_records(s, n) for s, n in tally.items() if n)
    line = _("records: {counts}").format(counts=told_counts or "0")
    print((_("dry run, nothing sent: ") if dry_run else "") + line, file=out)
    for name, status in report.starts.items():
        text = _("start of {campaign}: {status}")
        print(text.format(campaign=name, status=start_label(status)), file=out)


def _problem_line(problem: Problem, originals: dict[int, int]) -> str:
    """A problem, with a retry file's row named by the first sheet's row."""
    original = originals.get(problem.row)
    if original is None:
        return str(problem)
    where = _("(row {retry_row} of the retry file)").format(retry_row=problem.row)
    return f"{dataclasses.replace(problem, row=original)} {where}"


def _status_word(status: str) -> str:
    """The status as a person reads it: the code in English (it is an English word), the
    words of the language otherwise."""
    return status if i18n.current() == i18n.DEFAULT else label(status)


def _count(status: str, n: int) -> str:
    """``3 created``; in another language than English, its words (``3 creadas``)."""
    return counted(status, n)


def _print_problems(report: Report, out: TextIO, originals: dict[int, int]) -> None:
    if not report.problems:
        return
    invalid = sum(1 for r in report.results if r.status == Status.INVALID)
    text = _("{problems} problem(s) in {rows} row(s); these rows are not sent:")
    print(text.format(problems=len(report.problems), rows=invalid), file=out)
    shown = report.problems[:SHOWN_PROBLEMS]
    for problem in shown:
        print(f"  {_problem_line(problem, originals)}", file=out)
    if len(report.problems) > len(shown):
        more = _("  ... and {n} more: see the results file")
        print(more.format(n=len(report.problems) - len(shown)), file=out)
