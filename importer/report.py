"""What a run did: the :class:`Report`, and writing it down as the results workbook,
its summary sheet and the retry file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from importer import load, results, schema
from importer.errors import UsageError
from importer.i18n import _
from importer.status import SUCCESS_STATUSES, Ended, label

if TYPE_CHECKING:
    from importer.job import Settings


@dataclass
class Loaded:
    """A sheet as read, and what validation made of it."""

    table: load.Table
    checked: schema.Checked


@dataclass
class Report:
    """What a run did."""

    results: list[results.RowResult]
    problems: list[schema.Problem]
    warnings: list[str]
    source: str
    out: Path
    retry: Path | None
    retry_rows: int
    #: ``done``, or why sending stopped early (quota, token, interrupted, ...)
    ended: str
    ended_message: str = ""
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return results.counts(self.results)

    @property
    def all_succeeded(self) -> bool:
        return all(r.status in SUCCESS_STATUSES for r in self.results)


def _summary(
    settings: Settings, loaded: Loaded, derived: list[results.RowResult],
    started: dt.datetime, ended: str, message: str,
) -> list[tuple[str, str]]:  # fmt: skip
    """The summary sheet's lines: labels in the current language, values as they are."""
    if settings.dry_run:
        mode = _("dry run (nothing sent)")
    else:
        mode = _("resume") if settings.resume else _("import")
    tally = results.counts(derived)
    now = dt.datetime.now().astimezone()
    complete = _("complete")
    early = _("stopped early: {why}").format(why=message or ended)
    aliases = loaded.table.aliases.items()
    return [
        (_("input"), str(settings.input)),
        (_("read from"), loaded.table.source),
        (_("server"), settings.base_url or _("(none: dry run)")),
        (_("mode"), mode),
        (_("started"), started.isoformat(timespec="seconds")),
        (_("finished"), now.isoformat(timespec="seconds")),
        (_("ended"), complete if ended == Ended.DONE else early),
        *((_("column {field}").format(field=f), _('read from "{header}"').format(header=a))
          for f, a in aliases),
        *((f"{status} ({label(status)})", str(n)) for status, n in tally.items()),
        (_("rows"), str(len(derived))),
    ]  # fmt: skip


def finish(
    settings: Settings, loaded: Loaded, derived: list[results.RowResult],
    started: dt.datetime, ended: str, message: str,
) -> Report:  # fmt: skip
    """Write the results workbook and the retry file; return the :class:`Report`."""
    out = settings.results_path
    summary = _summary(settings, loaded, derived, started, ended, message)
    frame = loaded.table.frame
    problems, notes = loaded.checked.problems, loaded.table.notes
    layout = loaded.table.layout  # the person's own columns, in their files too
    try:
        results.write_results(
            out, frame, derived, summary, problems=problems, notes=notes, layout=layout
        )
        retry_file = results.retry_path(out)
        retry_rows = results.write_retry(
            retry_file, frame, derived, problems=problems, notes=notes, layout=layout
        )
    except OSError as exc:
        if settings.dry_run:
            hint = _("Close the file if it is open in Excel, or choose another --out.")
        else:
            hint = _(
                "Nothing is lost: close the file if it is open in Excel, then write the results "
                "again from the run's journal with: wolkvox-import report {out}"
            ).format(out=out)
        message = _("the results could not be written to {out} ({why}).")
        raise UsageError(message.format(out=out, why=exc.strerror) + " " + hint) from None
    return Report(
        results=derived, problems=loaded.checked.problems, warnings=loaded.table.warnings,
        source=loaded.table.source, out=out, retry=retry_file if retry_rows else None,
        retry_rows=retry_rows, ended=ended, ended_message=message, dry_run=settings.dry_run,
    )  # fmt: skip
