"""The records' part of the results: their sheet in the results workbook, and their retry file.

Written from the journal like the campaigns' (:mod:`importer.record.results`), atomically, with
the same red cells and notes for the records' problems.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from importer.check.columns import RETRY_COLUMNS
from importer.check.record_fields import FIELDS, match_record_header
from importer.i18n import _
from importer.read.layout import Column, Layout
from importer.record.results import RETRY_ROW_COLUMN
from importer.record.workbook_style import (
    CellIssue,
    Entry,
    Marker,
    cell_marks,
    save_atomically,
    sheet,
    text_cell,
    write_only_workbook,
)
from importer.send.launch import RecordResult
from importer.status import (
    RECORD_RETRY_STATUSES,
    RecordStatus,
    counted_records,
    record_label,
    start_label,
)

#: The first columns of the records sheet, in every language.
RECORD_HEADER = ("row", "status", "campaign_id", "message", "batch")
LABEL_COLUMN = "status_label"
COLOURS = {
    RecordStatus.ADDED: "C6EFCE",
    RecordStatus.VALID: "C6EFCE",
    RecordStatus.FAILED: "FFC7CE",
    RecordStatus.INVALID: "FFC7CE",
    RecordStatus.UNKNOWN: "FFEB9C",
    RecordStatus.NOT_SENT: "EDEDED",
    RecordStatus.DELETED: "D9D9D9",  # as a campaign row deleted by undo
    RecordStatus.EXCLUDED: "EDEDED",  # as a campaign row left out
}


def records_retry_path(out: Path) -> Path:
    """``x.results.xlsx`` -> ``x.results.records.retry.xlsx``."""
    return out.with_name(out.stem + ".records.retry.xlsx")


def counts(results: Iterable[RecordResult]) -> dict[str, int]:
    """Records per status, every status listed (``excluded``, which only the web page
    gives, when some record has it)."""
    tally = Counter(r.status for r in results)
    return {s: tally.get(s, 0) for s in RecordStatus if s != RecordStatus.EXCLUDED or tally.get(s)}


def campaign_shown(key: str, names: Mapping[str, str]) -> str:
    """A records campaign as the files and the page name it: as the person wrote it
    (``names``: key -> name), else by its key's id or name."""
    return names.get(key) or key.split(":", 1)[-1] or _("(no campaign)")


def per_campaign(results: Iterable[RecordResult]) -> dict[str, Counter[str]]:
    """campaign key -> records per status."""
    found: dict[str, Counter[str]] = {}
    for r in results:
        found.setdefault(r.campaign, Counter())[r.status] += 1
    return found


def _columns(frame: pd.DataFrame, layout: Layout | None) -> list[Column]:
    """The sheet's columns in its order, under its own headers, the columns not read
    included (a retry file's own columns left out); by field names without a layout."""
    if layout is not None and layout.columns:
        return [c for c in layout.columns if c.field not in RETRY_COLUMNS]
    return [Column(f, f, i) for i, f in enumerate(f for f in FIELDS if f in frame.columns)]


def readable_record_headers(columns: Sequence[Column]) -> list[str]:
    """Header texts for ``columns`` that the records' loader reads back as the same columns.

    The person's own texts when they read back so together (a "Celular" after a
    "Teléfono" is tel2 only beside it); else each text that names its field alone, the
    field's name for the others; a column not read keeps its text unless that text would
    be taken for a field. As a last resort, field names (which clash with nothing).
    """
    wanted = {c.field: i for i, c in enumerate(columns) if c.field is not None}

    def reads_back(shown: list[str]) -> bool:
        check = match_record_header(shown)
        positions = {f: p for f, p in check.positions.items() if f in FIELDS}
        return not check.misspelt and not check.duplicated and positions == wanted

    def not_read(c: Column) -> str:
        alone = match_record_header([c.header])
        if alone.positions or alone.misspelt:
            return _("{header} (not read)").format(header=c.header)
        return c.header

    own = [c.header if c.field is not None else not_read(c) for c in columns]
    if reads_back(own):
        return own
    each = []
    for c in columns:
        if c.field is None:
            each.append(not_read(c))
        else:
            alone = match_record_header([c.header])
            each.append(c.header if alone.positions.get(c.field) == 0 else c.field)
    if reads_back(each):
        return each
    return [c.field or f"{c.header} ({i + 1})" for i, c in enumerate(columns)]


def add_records_sheet(
    book: Workbook, frame: pd.DataFrame, results: Sequence[RecordResult],
    problems: Iterable[CellIssue], notes: Iterable[CellIssue], layout: Layout | None = None,
) -> None:  # fmt: skip
    """The ``records`` sheet: each record's outcome, then the record as read, under the
    sheet's own headers (``layout``) with its columns not read after the others.

    For a retry file's records ``row`` is the first sheet's row and ``retry_row`` the
    retry file's, as for campaigns."""
    columns = _columns(frame, layout)
    data = [c.key for c in columns]
    retried = any(r.original is not None for r in results)
    fixed = [*RECORD_HEADER, LABEL_COLUMN, *([RETRY_ROW_COLUMN] if retried else [])]
    header = [*fixed, *data]
    ws = sheet(book, "records", header)
    last = len(results) + 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last}"
    end = max(last, 2)
    for code, colour in COLOURS.items():
        ws.conditional_formatting.add(
            f"B2:B{end} F2:F{end}",
            FormulaRule(formula=[f'$B2="{code}"'], fill=PatternFill("solid", fgColor=colour)),
        )
    lines = {r.row: i for i, r in enumerate(results, start=2)}
    marker = Marker(ws, cell_marks(list(problems), list(notes), lines, header, fallback="row"))
    positions = {name: i for i, name in enumerate(header)}
    ws.append(marker.header(header, [*fixed, *(c.header for c in columns)]))
    values = [(layout or Layout()).values(frame, key) for key in data]
    place = {row: i for i, row in enumerate(frame.index.tolist())}
    for line, result in enumerate(results, start=2):
        i = place[result.row]
        cells: list[Entry] = [
            result.shown_row,
            text_cell(ws, result.status),
            text_cell(ws, result.campaign_id),
            text_cell(ws, result.message),
            result.batch,
            record_label(result.status),
            *([result.row if result.original is not None else None] if retried else []),
            *(text_cell(ws, column[i]) for column in values),
        ]
        ws.append(marker.row(cells, line, positions))


def write_records_retry(
    path: Path, frame: pd.DataFrame, results: Sequence[RecordResult],
    problems: Iterable[CellIssue] = (), layout: Layout | None = None,
) -> int:  # fmt: skip
    """Write the records that were not added and can be sent again; return how many.

    Laid out like the sheet (``layout``): its columns in its order, under its own
    headers wherever the loader reads them back (:func:`readable_record_headers`), the
    columns it does not read included; ``campaign_id`` filled in where the record's
    campaign now exists (a campaign this run created), then ``original_row`` and
    ``last_message``: the file is accepted unchanged by ``--records``. Removes a stale
    one when there is none.
    """
    chosen = [r for r in results if r.status in RECORD_RETRY_STATUSES and r.retry]
    if not chosen:
        if path.exists():
            path.unlink()
        return 0
    lines = {r.row: i for i, r in enumerate(chosen, start=2)}
    kept = [p for p in problems if p.row in lines]
    columns = _columns(frame, layout)
    have = {c.field for c in columns}
    if "campaign_id" not in have:
        names = [i for i, c in enumerate(columns) if c.field == "campaign_name"]
        at = names[0] + 1 if names else 0
        columns.insert(at, Column("campaign_id", "campaign_id", -1))
    wanted = {p.column for p in kept if p.column in FIELDS}
    columns += [Column(f, f, -1) for f in FIELDS if f in wanted and f not in have]
    data = [c.key for c in columns]
    header = [*data, *RETRY_COLUMNS]
    with write_only_workbook() as book:
        ws: Any = sheet(book, "records", header)
        marker = Marker(ws, cell_marks(kept, [], lines, header, fallback="original_row",
                                       header_marks=False))  # fmt: skip
        positions = {name: i for i, name in enumerate(header)}
        ws.append(marker.header(header, [*readable_record_headers(columns), *RETRY_COLUMNS]))
        values = {key: (layout or Layout()).values(frame, key) for key in data}
        place = {row: i for i, row in enumerate(frame.index.tolist())}
        for line, result in enumerate(chosen, start=2):
            i = place[result.row]
            cells: list[Entry] = []
            for key in data:
                value = values[key][i]
                if key == "campaign_id" and not value:
                    value = result.campaign_id
                cells.append(text_cell(ws, value))
            cells += [text_cell(ws, str(result.shown_row)), text_cell(ws, result.message)]
            ws.append(marker.row(cells, line, positions))
        save_atomically(book, path)
    return len(chosen)


def summary_lines(
    results: Sequence[RecordResult], names: Mapping[str, str], starts: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The summary sheet's lines for the records: all of them, then per campaign."""
    lines = [(_("records"), str(len(results)))]
    for status, n in counts(results).items():
        if n:
            lines.append((f"{_('records')} {status} ({record_label(status)})", str(n)))
    for key, tally in per_campaign(results).items():
        name = campaign_shown(key, names)
        told = ", ".join(counted_records(s, n) for s, n in tally.items())
        if key in starts:
            told += "; " + _("start: {status}").format(status=start_label(starts[key]))
        lines.append((_("records of {campaign}").format(campaign=name), told))
    return lines
