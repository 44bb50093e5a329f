"""From a sheet as read to the importer's table: one text column per field, rows by number.

The header decides which column is which field (names, Spanish aliases, or a mapping
the caller chose); a header that would lose data (a misspelt column, two columns for
one field, no skill_id) stops here with a message saying what to change. What is
worth a look but stops nothing becomes a warning and, where it belongs to a cell, a
note on that cell.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from importer.check.cells import clean_cell, clean_header, clean_values
from importer.check.columns import (
    FIELDS,
    REQUIRED_COLUMNS,
    RETRY_COLUMNS,
    HeaderMatch,
    fold,
    header_score,
    match_header,
)
from importer.check.problems import Problem, Rule, shown
from importer.errors import InputError
from importer.i18n import _, ngettext
from importer.read.layout import Layout, sheet_layout
from importer.read.sheet import Score, Sheet

TEMPLATE_HINT = "wolkvox-import template campaigns.xlsx"


@dataclass
class Table:
    """A loaded sheet: text cells under the importer's field names, indexed by row number.

    Cells are as meant rather than as typed: trimmed (non-breaking spaces too), without
    zero-width marks, in Unicode NFC, so ``Retención`` typed two ways is one name.
    """

    #: One column per field in :data:`importer.check.columns.FIELDS`, plus any
    #: :data:`~importer.check.columns.RETRY_COLUMNS` present; index = spreadsheet row number.
    frame: pd.DataFrame
    #: Where the rows came from, for messages: 'sheet "campaigns"' or 'CSV (utf-8, ";")'.
    source: str
    #: Things worth telling the operator that do not stop the job.
    warnings: list[str] = field(default_factory=list)
    #: field -> header text as written, where the column was not named by its field.
    aliases: dict[str, str] = field(default_factory=dict)
    #: Row problems found while reading (a CSV row wider than its header): invalid rows.
    problems: list[Problem] = field(default_factory=list)
    #: Cell-level warnings: a skill id that lost its zeros, a header matched by alias.
    notes: list[Problem] = field(default_factory=list)
    #: The workbook's visible sheets ([] for CSV), and the one read.
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    #: The header's spreadsheet row number (1 unless title rows sit above it).
    header_row: int = 1
    #: The CSV's text encoding and delimiter (None for workbooks).
    encoding: str | None = None
    delimiter: str | None = None
    #: The header cells as written (cleaned of invisible spaces), left to right.
    header: list[str] = field(default_factory=list)
    #: The sheet's own columns (header texts, columns not read such as notes), so that
    #: the files written from the table keep the person's layout.
    layout: Layout = field(default_factory=Layout)


def header_scorer(mapping: Mapping[str, str | None] | None = None) -> Score:
    """How header-like a row is: its known column names, plus the columns ``mapping`` places."""
    placed = {clean_header(k): v for k, v in (mapping or {}).items() if v is not None}
    if not placed:
        return header_score

    def score(cells: list[str]) -> int:
        return header_score(cells) + len({placed[c] for c in cells if c in placed})

    return score


def build_table(name: str, read: Sheet, mapping: Mapping[str, str | None] | None = None) -> Table:
    """Turn a :class:`Sheet` into a :class:`Table`; raise :class:`InputError` for a header
    that would lose data or a sheet without rows."""
    mapping = _checked_mapping(mapping)
    header = [clean_header(c) for c in read.head[-1]] if read.head else []
    while header and not header[-1]:
        header.pop()
    if header_scorer(mapping)(header) == 0:
        first = [clean_header(c) for c in read.head[0]] if read.head else []
        raise InputError(
            _(
                "{name} has no header row with the expected column names "
                "(campaign_name, skill_id, ...); first row holds: {found}. "
                "Start from the template: {template}"
            ).format(
                name=name, found=", ".join(c for c in first if c) or _("nothing"),
                template=TEMPLATE_HINT,
            )
        )  # fmt: skip
    header_row = len(read.head)
    match = _match(name, header, header_row, mapping)
    problems = overflow_problems(read, match, header_row, len(header))
    frame = _frame(read.body, match, header_row, {p.row for p in problems})
    if frame.empty:
        raise InputError(
            _(
                "{name} has a header (row {row}) but no data rows. Add campaigns "
                "below the header and run again."
            ).format(name=name, row=header_row)
        )
    warnings, notes = _remarks(read, match, header_row)
    return Table(
        frame=frame, source=read.source, warnings=warnings,
        aliases={**match.aliases, **{f: t for f, t in match.mapped.items() if t != f}},
        problems=problems, notes=notes, sheets=list(read.sheets), sheet=read.sheet,
        header_row=header_row, encoding=read.encoding, delimiter=read.delimiter, header=header,
        layout=sheet_layout(header, match, read.body, frame.index, header_row),
    )  # fmt: skip


def _checked_mapping(mapping: Mapping[str, str | None] | None) -> dict[str, str | None]:
    known = (*FIELDS, *RETRY_COLUMNS)
    for target in (mapping or {}).values():
        if target is not None and target not in known:
            raise InputError(
                _(
                    "the column mapping names {field}, which is not a column the importer "
                    "knows. Use one of: {fields}."
                ).format(field=repr(target), fields=", ".join(known))
            )
    return {clean_header(k): v for k, v in (mapping or {}).items()}


def refuse_lossy(name: str, match: HeaderMatch) -> None:
    """Refuse a header that would lose data: a misspelt column, two columns for one field."""
    if match.misspelt:
        listed = "; ".join(
            _('"{header}" (did you mean {field}?)').format(header=text, field=guess)
            for text, guess in match.misspelt
        )
        raise InputError(
            _(
                "{name}: unknown column {columns}. Its data would be lost: rename the column "
                "header and run again."
            ).format(name=name, columns=listed)
        )
    if match.duplicated:
        listed = "; ".join(f"{f}: {', '.join(repr(h) for h in hs)}" for f, hs in match.duplicated)
        raise InputError(
            _(
                "{name}: more than one column for the same field ({columns}). Keep one and "
                "delete or rename the others."
            ).format(name=name, columns=listed)
        )


def _match(
    name: str, header: list[str], header_row: int, mapping: Mapping[str, str | None]
) -> HeaderMatch:
    """The header's columns as fields; refuse a header that would lose data."""
    match = match_header(header, mapping)
    refuse_lossy(name, match)
    missing = [c for c in REQUIRED_COLUMNS if c not in match.positions]
    if missing:
        raise InputError(
            ngettext(
                "{name} has no {columns} column (the header is row {row}: {header}). Add the "
                "column; the template shows the expected header: {template}",
                "{name} has no {columns} columns (the header is row {row}: {header}). Add the "
                "columns; the template shows the expected header: {template}",
                len(missing),
            ).format(
                name=name, columns=", ".join(missing), row=header_row,
                header=", ".join(h for h in header if h), template=TEMPLATE_HINT,
            )
        )  # fmt: skip
    return match


def _remarks(read: Sheet, match: HeaderMatch, header_row: int) -> tuple[list[str], list[Problem]]:
    """Warnings for the whole sheet, and notes on the cells they are about."""
    warnings = list(read.warnings)
    notes = []
    if match.ignored:
        warnings.append(
            _("ignored columns not used by wolkvox: {columns}").format(
                columns=", ".join(match.ignored)
            )
        )
    for row, value, code in (
        read.excel.zero_padded(match.positions["skill_id"]) if read.excel else ()
    ):
        shown = value.zfill(len(code))
        message = _(
            'skill_id {value} is a number shown as {shown} by its cell format "{format}"; '
            "{value} is what will be sent. If the skill is {shown}, format the column as text "
            "and type it with its zeros."
        ).format(value=value, shown=shown, format=code)
        warnings.append(_("row {row}: {message}").format(row=row, message=message))
        notes.append(Problem(row, "skill_id", value, message, Rule.SKILL_ZERO_PADDED))
    if match.aliases:
        warnings.append(
            _("matched columns: {columns}").format(
                columns=", ".join(f'"{a}" = {f}' for f, a in match.aliases.items())
            )
        )
    for f, text in match.aliases.items():
        if fold(text) != fold(f):  # a header that only differs in case is no news
            message = _('the column "{header}" is read as {field}').format(header=text, field=f)
            notes.append(Problem(header_row, f, text, message, Rule.HEADER_ALIAS))
    return warnings, notes


def overflow_problems(
    read: Sheet, match: HeaderMatch, header_row: int, columns: int,
    fields: Collection[str] = FIELDS,
) -> list[Problem]:  # fmt: skip
    """A row problem for each CSV record wider than the header: its text is shifted."""
    if not read.overflow:
        return []
    # Reported on the last field column: where the shifted text runs out of columns.
    position, last = max((p, f) for f, p in match.positions.items() if f in fields)
    cells = read.body[position].to_numpy(dtype=object)
    delimiter = {"\t": "tab"}.get(read.delimiter or ",", read.delimiter or ",")
    problems = []
    for o in read.overflow:
        if o.extra:
            text = _(
                'this row has {fields} fields but the header has {columns}, so "{extra}" is '
                'left over: a cell holds "{delimiter}" without quotes, which shifts the cells '
                'after it. Put text that holds "{delimiter}" in double quotes, or save the file '
                "again from Excel."
            )
        else:  # only empty fields are left over, but more of them than other rows have
            text = _(
                "this row has {fields} fields, more than the header ({columns}) and the other "
                'rows: a cell holds "{delimiter}" without quotes, which shifts the cells after '
                'it. Put text that holds "{delimiter}" in double quotes, or save the file again '
                "from Excel."
            )
        message = text.format(
            fields=o.fields,
            columns=columns,
            extra=shown(o.extra),
            delimiter=delimiter,
        )
        value = cells[o.position]
        value = clean_cell(value) if isinstance(value, str) else ""
        problems.append(
            Problem(header_row + 1 + o.position, last, value, message, Rule.EXTRA_FIELDS)
        )
    return problems


def _frame(body: pd.DataFrame, match: HeaderMatch, header_row: int, keep: set[int]) -> pd.DataFrame:
    """The importer's columns, cleaned, indexed by row number, without blank rows."""
    rows = len(body)
    empty = np.full(rows, "", dtype=object)
    columns: dict[str, np.ndarray] = {}
    for f in (*FIELDS, *RETRY_COLUMNS):
        pos = match.positions.get(f)
        if pos is not None and pos in body.columns:
            values = body[pos].to_numpy(dtype=object)
            columns[f] = clean_values(values) if rows else values
        elif f in FIELDS:
            columns[f] = empty
    index = pd.RangeIndex(header_row + 1, header_row + 1 + rows, name="row")
    frame = pd.DataFrame(columns, index=index, dtype=object)
    if not rows:
        return frame
    # Fully empty rows (formatting left behind, blank separator lines) are skipped;
    # the others keep their sheet row numbers. A row whose only text lies beyond the
    # header is kept: it has a problem to show.
    blank = np.ones(rows, dtype=bool)
    for values in columns.values():
        blank &= values == ""
    if keep:
        blank &= ~index.isin(list(keep))
    return frame[~blank]
