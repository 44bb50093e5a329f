"""What a run did: the :class:`Report`, and writing it down as the results workbook,
its summary sheet and the retry file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from importer.check import schema, times
from importer.errors import UsageError
from importer.i18n import _
from importer.read import load
from importer.record import results
from importer.status import RECORD_SUCCESS_STATUSES, SUCCESS_STATUSES, Ended, label


class Settings(Protocol):
    """What the report needs to know of a run's settings (:class:`importer.job.Settings`).

    A protocol, not the engine's class: the engine writes its report with this module, so
    this module may not import the engine.
    """

    @property
    def input(self) -> Path: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def resume(self) -> bool: ...
    @property
    def results_path(self) -> Path: ...
    @property
    def origin(self) -> tuple[str, str] | None: ...
    @property
    def simulated(self) -> bool: ...


@dataclass
class Loaded:
    """A sheet as read, and what validation made of it."""

    table: load.Table
    checked: schema.Checked
    #: The records (a records sheet or ``--records``): as read, then as checked.
    records_table: Any = None
    records_path: Path | None = None
    records_sheet: str | None = None
    records: Any = None
    #: The campaigns sheet's rows the person left out (the web page): never created.
    left_out: frozenset[int] = frozenset()


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
    #: The records' outcomes (None: the run had no records), problems and retry file.
    records: list[Any] | None = None
    record_problems: list[Any] = field(default_factory=list)
    records_source: str = ""
    records_retry: Path | None = None
    records_retry_rows: int = 0
    #: campaign name -> what its start came to (``--start``)
    starts: dict[str, str] = field(default_factory=dict)
    #: the records' campaign key -> the campaign's name as the person wrote it
    record_names: dict[str, str] = field(default_factory=dict)

    @property
    def record_counts(self) -> dict[str, int]:
        from importer.record.record_results import counts

        return counts(self.records or [])

    @property
    def counts(self) -> dict[str, int]:
        return results.counts(self.results)

    @property
    def all_succeeded(self) -> bool:
        return all(r.status in SUCCESS_STATUSES for r in self.results) and all(
            r.status in RECORD_SUCCESS_STATUSES for r in self.records or []
        )


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
    server = settings.base_url or _("(none: dry run)")
    if settings.simulated:
        server = _("simulation: a local test server, nothing real was created")
    return [
        # the page's run reads its own copy: the person knows the file they uploaded
        (_("input"), settings.origin[0] if settings.origin else str(settings.input)),
        (_("read from"), (settings.origin or ("", ""))[1] or loaded.table.source),
        (_("server"), server),
        (_("mode"), mode),
        (_("started"), times.shown_moment(started)),
        (_("finished"), times.shown_moment(now)),
        (_("ended"), complete if ended == Ended.DONE else early),
        *((_("column {field}").format(field=f), _('read from "{header}"').format(header=a))
          for f, a in aliases),
        *((f"{status} ({label(status)})", str(n)) for status, n in tally.items()),
        (_("rows"), str(len(derived))),
    ]  # fmt: skip


def _launched(
    loaded: Loaded, recorded: list[Any], starts: dict[str, str]
) -> tuple[dict[int, tuple[str, str]], dict[str, str], dict[str, str]]:
    """Each campaign row's records added and start; the campaigns' names by key; and
    the starts by campaign name."""
    from importer.record import record_results
    from importer.send.launch import sheet_rows
    from importer.status import RecordStatus

    rows = sheet_rows(loaded.table.frame, loaded.left_out)
    added: dict[str, int] = {}
    for r in recorded:
        if r.status == RecordStatus.ADDED:
            added[r.campaign] = added.get(r.campaign, 0) + 1
    launched = {
        row: (str(added.get(key, 0)), starts.get(key, "")) for key, (row, _n) in rows.items()
    }
    names = {key: name for key, (_row, name) in rows.items()}
    if loaded.records is not None:
        # A campaign not in the sheet (one that existed) by its name as the records write it.
        frame = loaded.records.table.frame
        written = frame["campaign_name"] if "campaign_name" in frame.columns else None
        for r in recorded:
            if r.campaign.startswith("name:") and r.campaign not in names and written is not None:
                names[r.campaign] = str(written.get(r.row, "")) or r.campaign
    by_name = {record_results.campaign_shown(k, names): v for k, v in starts.items()}
    return launched, names, by_name


def finish(
    settings: Settings, loaded: Loaded, derived: list[results.RowResult],
    started: dt.datetime, ended: str, message: str, recorded: list[Any] | None = None,
    starts: dict[str, str] | None = None,
) -> Report:  # fmt: skip
    """Write the results workbook and the retry files; return the :class:`Report`."""
    from importer.record import record_results

    out = settings.results_path
    summary = _summary(settings, loaded, derived, started, ended, message)
    frame = loaded.table.frame
    problems, notes = loaded.checked.problems, loaded.table.notes
    layout = loaded.table.layout  # the person's own columns, in their files too
    launched = more = None
    starts = starts or {}
    by_name: dict[str, str] = {}
    names: dict[str, str] = {}
    records = loaded.records
    if recorded is not None and records is not None:
        launched, names, by_name = _launched(loaded, recorded, starts)
        summary = [*summary, *record_results.summary_lines(recorded, names, starts)]
        table = records.table

        def more(book: Any) -> None:
            record_results.add_records_sheet(
                book, table.frame, recorded, records.checked.problems, table.notes, table.layout
            )

    records_retry, records_retry_rows = None, 0
    try:
        results.write_results(
            out, frame, derived, summary, problems=problems, notes=notes, layout=layout,
            launched=launched, more=more,
        )  # fmt: skip
        retry_file = results.retry_path(out)
        retry_rows = results.write_retry(
            retry_file, frame, derived, problems=problems, notes=notes, layout=layout
        )
        records_retry = record_results.records_retry_path(out)
        if recorded is not None and records is not None and not settings.dry_run:
            records_retry_rows = record_results.write_records_retry(
                records_retry,
                records.table.frame,
                recorded,
                records.checked.problems,
                records.table.layout,
            )
        elif records_retry.exists() and not settings.dry_run:
            records_retry.unlink()
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
        records=recorded, record_problems=records.checked.problems if records else [],
        records_source=records.table.source if records else "",
        records_retry=records_retry if records_retry_rows else None,
        records_retry_rows=records_retry_rows, starts=by_name, record_names=names,
    )  # fmt: skip
