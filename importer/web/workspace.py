"""The spreadsheet being prepared: upload, sheet, column choices, edits, validation.

What the person did is kept (the upload, the sheet, the column choices, each edited
cell); the table and its problems are derived from it by the engine
(:func:`importer.read.load.load_table`, :func:`importer.check.schema.validate`), so a change of
language or of columns simply derives them again.

At Send the rows as reviewed become the run's input file, which the engine reads
again (for the run, for a resume after a crash, for ``report``). That file is a CSV
laid out like the upload, so that the engine's own reading of it gives back the
review's table *and* its problems, those found while reading included (a row wider
than its header stays that row's problem); :func:`check_reads_back` proves it
before anything is sent.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from importer.check import schema
from importer.check.cells import by_value, clean_cell, clean_header
from importer.check.columns import FIELDS, REQUIRED_COLUMNS, bracketed, match_header
from importer.check.problems import Problem, Rule
from importer.check.words import CAMPAIGN_TYPES, campaign_type, is_yes_or_no, yes_or_no
from importer.errors import InputError, UsageError
from importer.i18n import _
from importer.read import load, record_table
from importer.read.files import read_sheet
from importer.read.layout import readable_headers
from importer.read.sheet import Sheet
from importer.read.table import header_scorer
from importer.web.corrected import Corrections, changed_cells
from importer.web.grid import Grid, matching
from importer.web.mappings import Remembered
from importer.web.record_space import (
    RUN_RECORDS,
    RecordSpace,
    ReviewedRecords,
    records_differ,
)
from importer.web.uploads import Upload

if TYPE_CHECKING:
    import pandas as pd

    from importer import job
    from importer.web.live import Operation

Mapping_ = dict[str, str | None]
#: A problem as the run must find it again: (row, column, rule). The cells themselves are
#: compared on their own; the message is words in the language of whoever read last.
ProblemKey = tuple[int, str, str]


@dataclass
class Column:
    """One header cell, as the columns step shows it."""

    position: int
    text: str
    #: the field it feeds, or None when it is ignored or not recognised
    field: str | None
    #: exact, alias, chosen, ignored, guess (a likely misspelling), unknown, duplicate
    how: str
    samples: list[str] = dataclasses.field(default_factory=list)

    @property
    def unresolved(self) -> bool:
        return self.how in {"guess", "unknown", "duplicate"}


@dataclass
class Reading:
    """What was read, for the page to say."""

    name: str
    sheet: str | None
    sheets: list[str]
    encoding: str | None
    delimiter: str | None
    header_row: int
    source: str
    warnings: list[str]


class Workspace(Grid):
    """The one spreadsheet being prepared in this launch (shared by every tab).

    Its :attr:`version` goes up with every change, so that a tab showing an older state
    can tell; :attr:`by_row` holds row -> its problems, for the rows a run would not send.
    """

    def __init__(self, folder: Path, remembered: Remembered, options: schema.Options) -> None:
        self.lock = threading.RLock()
        self.folder = folder
        self.remembered = remembered
        self.options = options
        #: how rows are checked without the operation's lists (the launch's options)
        self.base_options = options
        #: the skills and campaigns wolkvox listed for the review (see importer.web.live)
        self.operation: Operation | None = None
        #: why they could not be read ("" when they were, or were not asked for)
        self.operation_error = ""
        self.uploads = 0
        self.upload: Upload | None = None
        self.sheet: str | None = None
        self.mapping: Mapping_ = {}
        self._grid_init()
        self.table: load.Table | None = None
        self.checked: Review | None = None
        #: why the file cannot be used with the current column choices ("" when it can)
        self.error = ""
        self._raw: Sheet | None = None
        #: field -> {value found: value it becomes}, as chosen on the columns step
        self.values: dict[str, dict[str, str]] = {}
        #: cells changed by the values remembered for this header, on reading it (the
        #: review says so: a change the person did not make now must not go unseen)
        self.recalled = 0
        #: the :attr:`version` a run was started with: its edits are kept with that run
        #: (its corrected download), so a new upload loses nothing, and it is not offered
        #: for sending again
        self.sent_version: int | None = None
        self._extra: dict[int, list[Problem]] = {}
        self._names: dict[str, set[int]] = {}
        #: the launch's records: the workbook's records sheet, or a second file
        self.records = RecordSpace()

    def locked(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` holding the workspace's lock (for the request threads)."""
        with self.lock:
            return fn(*args)

    # --- reading ---------------------------------------------------------------------

    def open(self, upload: Upload) -> None:
        """Start over with a new upload; raise :class:`InputError` if it cannot be read."""
        self.upload, self.sheet, self.mapping, self.edits = upload, None, {}, {}
        self._raw = None
        self.records.clear()
        self._start_over()
        self.rebuild(remember=True)
        self._apply_remembered_values()

    def choose_sheet(self, sheet: str) -> None:
        """Read another sheet of the workbook (column choices and edits start afresh)."""
        self.sheet, self.mapping, self.edits, self._raw = sheet, {}, {}, None
        self._start_over()
        self.rebuild(remember=True)
        self._apply_remembered_values()

    def choose_columns(self, mapping: Mapping_) -> None:
        """Apply the person's column choices and remember them for this header."""
        self.mapping, self.edits = dict(mapping), {}
        self._start_over()
        self.remembered.put(self.header, self.mapping)
        self.rebuild()
        self._apply_remembered_values()

    def _start_over(self) -> None:
        """A new table: nothing left out, nothing to undo."""
        self.excluded, self.undo = set(), []
        self.recalled = 0
        self.version += 1

    def _apply_remembered_values(self) -> None:
        """The values chosen for this header's columns before, applied again (one step
        of Undo each, so they can be taken back)."""
        self.values = self.remembered.get_values(self.header) if self.upload else {}
        if self.table is None:
            return
        for column, chosen in list(self.values.items()):
            if column in FIXED_VALUES and chosen:
                self.recalled += self.map_values(column, chosen)

    def rebuild(self, *, remember: bool = False) -> None:
        """Derive table and problems again (in the current language)."""
        assert self.upload is not None
        if remember:
            self.mapping = self.remembered.get(self.header)
        self.table, self.checked, self.error = None, None, ""
        try:
            table = self._load()
        except InputError as exc:
            # A file the columns step can put right (unknown, misspelt or doubled
            # columns) is not refused: the person chooses the columns.
            self.error = self._shown(exc)
            if not self.header:
                raise InputError(self.error) from None
            return
        for (row, column), value in self.edits.items():
            if row in table.frame.index:
                table.frame.at[row, column] = value
        self.table = table
        self.validate()
        self._records_follow()

    def _records_follow(self) -> None:
        """The records after the campaigns were read again: checked again (in the current
        language, against these campaigns); read from the workbook's records sheet, found
        as the command line finds it, when none were read yet."""

        records = self.records
        if records.table is not None:
            records.validate(self)
            return
        if records.error or self.table is None or self.upload is None:
            return
        try:
            sheet = record_table.records_sheet(self.table.sheets)
        except InputError as exc:  # kept as the records' error, as one unreadable is
            records.clear()
            records.error = str(exc)
            return
        if sheet is not None:
            records.open(self.upload.path, self.upload.name, sheet, self, own_file=False)

    def open_records(self, upload: Upload) -> None:
        """Read a second file as the launch's records; raise :class:`InputError` if it
        cannot be read."""
        # what a Send page shown before showed is not what would be sent (another tab)
        self.version += 1
        self.records.open(upload.path, upload.name, None, self, own_file=True)

    def _load(self) -> load.Table:
        assert self.upload is not None
        return load.load_table(self.upload.path, sheet=self.sheet, mapping=self.mapping or None)

    def _shown(self, exc: Exception) -> str:
        """The loader's message, naming the file as the person knows it."""
        assert self.upload is not None
        text = str(exc).replace(str(self.upload.path), self.upload.name)
        return text.replace(self.upload.path.name, self.upload.name)

    @property
    def raw(self) -> Sheet | None:
        """The sheet as read, before the columns are matched (for the columns step)."""
        if self._raw is None and self.upload is not None:
            try:
                self._raw = read_sheet(self.upload.path, sheet=self.sheet)
            except InputError:
                return None
        return self._raw

    @property
    def header(self) -> list[str]:
        """The header cells as written (cleaned of invisible spaces)."""
        raw = self.raw
        return [clean_header(c) for c in raw.head[-1]] if raw and raw.head else []

    # --- what the page shows ---------------------------------------------------------

    def reading(self) -> Reading:
        """What was read, for the page to say (the loader's own account where it gives one)."""
        assert self.upload is not None
        t = self.table
        raw = self.raw
        if t is None:  # the columns do not allow reading it yet: what the sheet says
            return Reading(
                name=self.upload.name, sheet=self.sheet or _sheet_of(raw), sheets=[],
                encoding=None, delimiter=None, header_row=len(raw.head) if raw else 1,
                source=raw.source if raw else "", warnings=[],
            )  # fmt: skip
        return Reading(
            name=self.upload.name, sheet=t.sheet, sheets=list(t.sheets), encoding=t.encoding,
            delimiter=t.delimiter, header_row=t.header_row, source=t.source,
            warnings=list(t.warnings),
        )  # fmt: skip

    def columns(self) -> list[Column]:
        """Every non-empty header cell with the field it feeds and a few sample values."""
        header = self.header
        match = match_header(header)
        at = {pos: f for f, pos in match.positions.items()}
        guesses = dict(match.misspelt)
        doubled = {h for _f, hs in match.duplicated for h in hs}
        raw = self.raw
        out = []
        for pos, text in enumerate(header):
            if not text:
                continue
            if text in self.mapping:
                chosen = self.mapping[text]
                column = Column(pos, text, chosen, "chosen" if chosen else "ignored")
            elif text in doubled:
                column = Column(pos, text, at.get(pos), "duplicate")
            elif pos in at:
                column = Column(pos, text, at[pos], "exact" if text == at[pos] else "alias")
            elif text in guesses:
                column = Column(pos, text, guesses[text], "guess")
            else:
                column = Column(pos, text, None, "unknown")
            if raw is not None and pos in raw.body.columns:
                values = (str(v).strip() for v in raw.body[pos].head(50).tolist())
                column.samples = [v for v in values if v and v != "None"][:3]
            out.append(column)
        return out

    def needs_columns(self) -> bool:
        """True when the person must look at the columns before the review."""
        return bool(self.error) or any(c.unresolved for c in self.columns())

    def shown_fields(self) -> list[str]:
        """The review's columns: the fields the sheet has, in the sheet's order."""
        assert self.table is not None
        order = [c.field for c in self.columns() if c.field in FIELDS]
        fields = list(dict.fromkeys(f for f in order if f is not None))
        fields += [f for f in REQUIRED_COLUMNS if f not in fields]
        # a column with a problem is always shown, even when the sheet lacks it
        fields += [
            f for f in FIELDS if f not in fields and any(c == f for _r, c in self.cell_problems)
        ]
        # the name first: it stays in view beside the row number while the grid scrolls
        return ["campaign_name", *(f for f in fields if f != "campaign_name")]

    # --- validation and edits --------------------------------------------------------

    def validate(self) -> None:
        """Check the whole frame again (file-wide rules such as duplicate names included)."""
        assert self.table is not None
        frame = self.table.frame
        self._extra = {}
        for p in self.table.problems:
            self._extra.setdefault(p.row, []).append(p)
        self._names = {}
        keys = by_value(frame["campaign_name"], schema.name_key)
        for row, key in zip(frame.index.tolist(), keys.tolist(), strict=True):
            if key:
                self._names.setdefault(key, set()).add(int(row))
        self.by_row = {}
        self.cell_problems = {}
        self.tally = Counter()
        checked = schema.validate(
            frame, self.options, extra=self.table.problems, excluded=self.excluded
        )
        self._take(checked.problems)
        self.checked = Review(self)
        self.cell_notes = {}
        for n in self.table.notes:
            if (n.row, n.column) not in self.edits:  # a note on a value since replaced
                self.cell_notes.setdefault((n.row, n.column), []).append(n)

    def _recheck(self, rows: set[int]) -> None:
        """Check again only ``rows`` (their names' other rows included: duplicates).

        No rule looks across rows except duplicate names, so checking these rows with
        every row sharing a name with one of them finds exactly what checking the whole
        sheet would find for them (a test holds the two against each other)."""
        assert self.table is not None
        frame = self.table.frame
        order = sorted(rows)
        keys = by_value(frame.loc[order, "campaign_name"], schema.name_key)
        affected = set(rows)
        for row, key in zip(order, keys.tolist(), strict=True):
            if key:
                same = self._names.setdefault(key, set())
                same.add(row)
                affected |= same
        self._drop(affected)
        order = sorted(affected)
        extra = [p for r in order for p in self._extra.get(r, [])]
        out = self.excluded.intersection(order)
        checked = schema.validate(frame.loc[order], self.options, extra=extra, excluded=out)
        self._take(checked.problems)
        # the records of a campaign whose name or validity this changed
        self.records.campaigns_changed(self)

    def frame(self) -> pd.DataFrame:
        """The campaigns' cells (edits included)."""
        assert self.table is not None
        return self.table.frame

    def column_names(self) -> tuple[str, ...]:
        """The fields a cell may be changed in."""
        return FIELDS

    def _cell_edited(self, row: int, column: str) -> None:
        self.cell_notes.pop((row, column), None)

    def _writing(self, column: str, changed: list[tuple[int, str]]) -> None:
        if column == "campaign_name":
            self._forget_names(dict(changed))

    def _restored(self, rows: set[int]) -> None:
        self._notes_again(rows)

    def _forget_names(self, names_before: dict[int, str]) -> None:
        """Take rows out of the name index under their old names; the rows that shared
        a name with them are checked again with them (see :meth:`_recheck`)."""
        for row, before in names_before.items():
            key = schema.name_key(before)
            rows = self._names.get(key)
            if rows is not None:
                rows.discard(row)
                self._also.update(rows)
                if not rows:
                    del self._names[key]

    def map_values(self, column: str, chosen: Mapping[str, str]) -> int:
        """Replace each value found in ``column`` (as the page lists them, see
        :meth:`distinct_values`) by the value chosen for it; remember the choice with the
        column choices. Return how many cells changed."""
        assert self.table is not None
        allowed = FIXED_VALUES.get(column)
        if allowed is None:
            raise InputError(_("There is no column {column}.").format(column=column))
        chosen = {k: v for k, v in chosen.items() if v in allowed and k != v}
        frame = self.table.frame
        cells = frame[column]
        wanted = cells.isin(list(chosen)).to_numpy() & ~frame.index.isin(list(self.excluded))
        rows = frame.index[wanted].tolist()
        found = zip(rows, cells[wanted].tolist(), strict=True)
        changes = {(int(r), column): chosen[str(v)] for r, v in found}
        self.values.setdefault(column, {}).update(chosen)
        self.remembered.put_values(self.header, self.values)
        return len(self._change("values", lambda: self._set_cells(changes)))

    def distinct_values(self) -> dict[str, list[tuple[str, int, str]]]:
        """For each field with a fixed set of values that the sheet has: each distinct
        value found, how many cells hold it, and what it becomes: as chosen before; else,
        for a value the check accepts as it is (``predictiva``, ``sí``), "" to leave it
        (changing it would mark cells edited for nothing); else the nearest allowed
        value, if one is close."""
        out: dict[str, list[tuple[str, int, str]]] = {}
        for column, allowed in FIXED_VALUES.items():
            cells = self._cells_of(column)
            if cells is None:
                continue
            counts = cells.value_counts()
            found = []
            for value, n in counts.items():
                value = str(value)
                if value in allowed:
                    continue
                becomes = self.values.get(column, {}).get(value) or _suggested(
                    value, allowed, READ_AS[column](value) in allowed
                )
                found.append((value, int(n), becomes if becomes in allowed else ""))
            if found:
                out[column] = sorted(found, key=lambda f: (-f[1], f[0]))[:MAX_DISTINCT]
        return out

    def _cells_of(self, column: str) -> pd.Series | None:
        """The cells of ``column`` as read: from the table, or, while another column is
        still unresolved and the table cannot be read, from the sheet's own column that
        is already read as that field (so its values can be mapped meanwhile)."""
        if self.table is not None:
            if column not in {c.field for c in self.table.layout.columns}:
                return None
            return self.table.frame[column]
        raw = self.raw
        at = [c.position for c in self.columns() if c.field == column and not c.unresolved]
        if raw is None or len(at) != 1 or at[0] not in raw.body.columns:
            return None
        return raw.body[at[0]].map(lambda v: "" if v is None else clean_cell(str(v)))

    def refused_values(self) -> dict[str, int]:
        """For each field with a fixed set of values: how many distinct values found in
        it the check refuses (an empty cell is a missing value, not one to map)."""
        out = {}
        for column, found in self.distinct_values().items():
            refused = sum(1 for v, _n, _to in found if v and READ_AS[column](v) not in
                          FIXED_VALUES[column])  # fmt: skip
            if refused:
                out[column] = refused
        return out

    def remember_values(self, column: str, chosen: Mapping[str, str]) -> None:
        """Keep the values chosen for ``column`` while the table cannot be read yet:
        they are applied (one step of Undo) once the columns are chosen."""
        allowed = FIXED_VALUES.get(column)
        if allowed is None:
            raise InputError(_("There is no column {column}.").format(column=column))
        chosen = {k: v for k, v in chosen.items() if v in allowed and k != v}
        self.values.setdefault(column, {}).update(chosen)
        self.remembered.put_values(self.header, self.values)

    def _notes_again(self, rows: set[int]) -> None:
        """The loader's notes on cells put back as they were read."""
        assert self.table is not None
        for n in self.table.notes:
            key = (n.row, n.column)
            if n.row in rows and key not in self.edits and key not in self.cell_notes:
                self.cell_notes.setdefault(key, []).append(n)

    def rows(self, *, only_problems: bool, search: str = "") -> list[int]:
        """The sheet's row numbers, or those of the rows with problems; with ``search``,
        those where some cell holds that text (any case)."""
        assert self.table is not None and self.checked is not None
        frame = self.table.frame
        if search:
            # the person's own columns (a notes column) are searched too
            extra = self.table.layout.extra
            columns = [frame[c] for c in frame.columns if frame[c].dtype == object]
            columns += [extra[c].reindex(frame.index, fill_value="") for c in extra.columns]
            rows = matching(columns, frame.index, search)
        else:
            rows = [int(r) for r in frame.index]
        if only_problems:
            bad = self.by_row
            rows = [r for r in rows if r in bad]
        return rows

    def connect(self, operation: Operation | None) -> None:
        """Check the rows against what wolkvox listed (``None``: without it again).

        Its skills replace no ``--skills`` file: a file given at launch is what the run
        checks too."""
        self.operation = operation
        skills = operation.skills if operation is not None else None
        if skills is not None and self.base_options.skills is None:
            self.options = dataclasses.replace(self.base_options, skills=dict(skills))
        else:
            self.options = self.base_options
        if self.table is not None:
            self.validate()
            self.version += 1  # what a tab showed was checked with another list

    def pinned_skills(self) -> dict[str, str] | None:
        """The skills list the review checked with, read from wolkvox (None: none was)."""
        if self.options is self.base_options:
            return None
        return self.options.skills

    def existing_rows(self) -> dict[int, str]:
        """Row -> the id wolkvox has for its name, for the rows a run would skip as
        ``exists`` (valid, not left out, named like a campaign in the list read)."""
        if self.operation is None or self.table is None:
            return {}
        frame = self.table.frame
        keys = by_value(frame["campaign_name"], schema.name_key)
        found = {}
        for row, key in zip(frame.index.tolist(), keys.tolist(), strict=True):
            ids = self.operation.existing.get(key) if key else None
            if ids and row not in self.by_row and row not in self.excluded:
                found[int(row)] = ids[0]
        return found

    def was_sent(self) -> bool:
        """Whether a run was started with the sheet as it is now."""
        return self.sent_version == self.version

    def sendable(self) -> int:
        """How many rows a run would send: the valid rows not left out."""
        assert self.table is not None
        valid_out = sum(1 for r in self.excluded if r not in self.by_row)
        return len(self.table.frame) - len(self.by_row) - valid_out

    def corrections(self, read: Sheet | None = None, *, problems_only: bool = False) -> Corrections:
        """The uploaded file and the cells changed in it, for the corrected download
        (``problems_only``: of the rows with problems alone, each problem noted)."""
        assert self.table is not None and self.upload is not None
        t = self.table
        read = read or read_sheet(
            self.upload.path, sheet=self.sheet, score=header_scorer(self.mapping)
        )
        positions = {c.field: c.position for c in t.layout.columns if c.field in FIELDS}
        edits = changed_cells(read.body, self.edits, positions, t.header_row)
        records = self.records
        # a launch workbook's records sheet: its changes in the same corrected workbook
        others = [records.corrections()] if (
            records.table is not None and not records.own_file and not problems_only
            and records.edits
        ) else []  # fmt: skip
        return Corrections(
            source=self.upload.path, name=self.upload.name, kind=self.upload.path.suffix[1:],
            sheet=t.sheet, encoding=t.encoding, delimiter=t.delimiter, header_row=t.header_row,
            positions=positions, edits=edits, width=max(len(t.header), len(read.body.columns)),
            keep=sorted(self.by_row) if problems_only else None,
            problems=[
                (p.row, p.column, p.message) for p in self.checked.problems
            ] if problems_only and self.checked is not None else [],
            others=others,
        )  # fmt: skip

    def write_run_input(self, path: Path) -> Reviewed:
        """Write the rows as reviewed for the run to read (see :func:`write_run_input`);
        return what the review checked, for :func:`check_reads_back`."""
        assert self.table is not None and self.checked is not None
        table = self.table
        overflow: dict[int, list[str]] = {}
        if any(p.rule == Rule.EXTRA_FIELDS for p in table.problems):
            overflow = self._overflow_cells()
        write_run_input(path, table, self.mapping, overflow)
        records = None
        if self.records.table is not None:
            records = self.records.write_run_input(path.with_name(RUN_RECORDS))
        return Reviewed(
            frame=table.frame.copy(),
            problems=problem_keys(self.checked.problems),
            invalid=frozenset(self.checked.invalid),
            excluded=frozenset(self.excluded),
            records=records,
        )

    def _overflow_cells(self) -> dict[int, list[str]]:
        """Row -> the fields it has beyond the header, as the upload holds them.

        The loader keeps only the header's width of each record and says what lay
        beyond (:class:`importer.read.sheet.Overflow`): its field count and its text, so the
        run's copy is written as wide as the record was and reads back with its problem.
        """
        assert self.upload is not None and self.table is not None
        # Read as the table was read (the column choices can move the header).
        sheet = read_sheet(
            self.upload.path, sheet=self.sheet, score=header_scorer(self.mapping or None)
        )
        return sheet.overflow_fields(len(self.table.header), self.table.header_row)


#: Fields with a fixed set of values: the values a cell may hold, and how the check
#: reads a cell (what a value found becomes by default on the columns step).
FIXED_VALUES: dict[str, tuple[str, ...]] = {
    "type_campaign": CAMPAIGN_TYPES,
    "enable_edition": ("yes", "no"),
}
READ_AS: dict[str, Callable[[str], str]] = {
    "type_campaign": campaign_type,
    "enable_edition": lambda v: yes_or_no(v) if is_yes_or_no(v) else "",
}


def _suggested(value: str, allowed: tuple[str, ...], valid: bool) -> str:
    """What the columns step offers for a value found: nothing for a valid one; for an
    invalid one the allowed value it is probably a misspelling of ("" if none is)."""
    if valid or not value:
        return ""
    close = difflib.get_close_matches(value.casefold(), allowed, n=1, cutoff=0.6)
    return close[0] if close else ""


#: The most distinct values the columns step lists for one field.
MAX_DISTINCT = 30


class Review:
    """What the review checked, as the rest of the page reads it: every problem in sheet
    order, and the rows with problems."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws

    @property
    def invalid(self) -> dict[int, list[Problem]]:
        return self._ws.by_row

    @property
    def problems(self) -> list[Problem]:
        by_row = self._ws.by_row
        return [p for r in sorted(by_row) for p in by_row[r]]


@dataclass(frozen=True)
class Reviewed:
    """What the review checked at Send: the run must read back exactly this."""

    frame: pd.DataFrame
    problems: frozenset[ProblemKey]
    invalid: frozenset[int]
    #: rows left out on the page: the run must leave out exactly these
    excluded: frozenset[int] = frozenset()
    #: the records as reviewed (None: the launch has none), written beside the campaigns
    records: ReviewedRecords | None = None


def problem_keys(problems: list[Problem]) -> frozenset[ProblemKey]:
    """Problems as the run must find them again."""
    return frozenset((p.row, p.column, str(p.rule)) for p in problems)


def run_layout(table: load.Table, mapping: Mapping_) -> tuple[list[str], list[str | None]]:
    """The run input's header cells, and the column under each (None: empty): a field
    of the frame, or the key of a column the engine does not read (``table.layout``).

    The upload's columns keep their places and, where the engine reads them so without
    the person's choices, their names (``Nombre de la campaña``), so the run reads the
    same header; a column the person placed is named by its field. A column the engine
    does not read keeps its cells, under its own name where the engine ignores that on
    its own (with the warning it gives), or under the name the results give it
    (``Nombre (not read)``, see :func:`importer.read.layout.readable_headers`), so that the
    run's results and retry file keep it too; one that neither name leaves unread is
    left empty and without a name. A field edited on the page that the sheet lacked
    is added.
    """
    match = match_header(table.header, mapping)
    at = {pos: f for f, pos in match.positions.items()}
    unread = [c for c in table.layout.columns if c.field is None]
    named = {c.position: (c.key, t) for c, t in zip(unread, readable_headers(unread), strict=True)}
    cells: list[str] = []
    columns: list[str | None] = []
    for pos, text in enumerate(table.header):
        column = at.get(pos)
        if column is not None:
            # a placed column keeps its own header where that alone names its field
            own = text not in mapping or match_header([text]).positions.get(column) == 0
            cells.append(text if own else _placed_header(text, column))
        else:
            key, shown = named.get(pos, (None, ""))
            for name in (text, shown):
                if name and match_header([name]).ignored == [name]:
                    cells.append(name)
                    column = key
                    break
            else:
                cells.append("")
        columns.append(column)
    frame = table.frame
    added = [f for f in FIELDS if f not in match.positions and frame[f].ne("").any()]
    # Before the sheet's last field: a row wider than its header is reported on that one.
    last = max(p for f, p in match.positions.items() if f in FIELDS)
    cells[last:last] = added
    columns[last:last] = added
    return cells, columns


def _placed_header(text: str, field: str) -> str:
    """The run input's header for a column the person placed: their text with the field
    in brackets ("Mi columna (skill_id)"), which the engine reads as that field with no
    choice to remember, so the results, the retry file and a report or resume from the
    journal keep the person's name; the field's name where even that would not read."""
    shown = bracketed(text, field)
    return shown if match_header([shown]).positions.get(field) == 0 else field


def write_run_input(
    path: Path, table: load.Table, mapping: Mapping_, overflow: dict[int, list[str]]
) -> None:
    """Write ``table`` (edits included) as the CSV the run reads: the header at its own
    row, every row at its own number, and a row wider than its header (``overflow``:
    row -> its fields beyond the header) as wide as it was, so it keeps its problem.

    Written beside ``path`` and then moved into place, so a run never reads half a file.
    """
    cells, columns = run_layout(table, mapping)
    frame = table.frame
    values = [table.layout.values(frame, c) if c is not None else None for c in columns]
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        # UTF-8 with a BOM: what Excel opens correctly, and the engine detects.
        with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh, delimiter=table.delimiter or ",", lineterminator="\r\n")
            for _blank in range(table.header_row - 1):
                writer.writerow([])
            writer.writerow(cells)
            at = table.header_row + 1
            for i, row in enumerate(frame.index.tolist()):
                while at < row:  # the blank rows the loader skipped keep their place
                    writer.writerow([])
                    at += 1
                line = ["" if v is None else str(v[i]) for v in values]
                writer.writerow(line + overflow.get(row, []))
                at += 1
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_reads_back(reviewed: Reviewed, settings: job.Settings) -> None:
    """Refuse a run whose input does not read back as the review checked it.

    The file is read by the engine's own loading and validation (what the run does a
    moment later): the same rows with the same cells, the same problems in the same
    cells, the same invalid rows. Any difference stops the run before anything is sent.
    """
    from importer import job

    try:
        loaded = job._load(settings)
    except InputError as exc:
        raise UsageError(_not_as_reviewed(_("the file could not be read: {why}").format(
            why=exc))) from None  # fmt: skip
    frame = loaded.table.frame
    differ: set[int] = set()
    if not frame.equals(reviewed.frame):
        rows = set(map(int, frame.index)) ^ set(map(int, reviewed.frame.index))
        same_shape = list(frame.columns) == list(reviewed.frame.columns)
        if not rows and same_shape:
            unequal = (frame != reviewed.frame.loc[frame.index]).any(axis=1)
            rows = {int(r) for r in frame.index[unequal.to_numpy()]}
        differ |= rows or {int(r) for r in frame.index}
    found = problem_keys(loaded.checked.problems)
    differ |= {key[0] for key in found ^ reviewed.problems}
    differ |= set(loaded.checked.invalid) ^ reviewed.invalid
    differ |= set(settings.excluded) ^ reviewed.excluded
    if (reviewed.records is None) != (loaded.records_table is None):
        raise UsageError(_not_as_reviewed(_("the records are not the ones reviewed")))
    if reviewed.records is not None:
        # checked as a dry run checks them: what the review showed
        records = job.dry_check_records(loaded, settings)
        lines = records_differ(reviewed.records, records)
        if lines:
            shown = ", ".join(map(str, sorted(lines)[:10])) + (" ..." if len(lines) > 10 else "")
            raise UsageError(_not_as_reviewed(_("records {rows} differ").format(rows=shown)))
    if differ:
        shown = ", ".join(map(str, sorted(differ)[:10])) + (" ..." if len(differ) > 10 else "")
        raise UsageError(_not_as_reviewed(_("rows {rows} differ").format(rows=shown)))


def _not_as_reviewed(why: str) -> str:
    return _(
        "Nothing was sent: the copy of the sheet made for the run does not read back "
        "exactly as it was reviewed ({why}). Upload the file again; if this happens again, "
        "correct those rows in the file itself."
    ).format(why=why)


def _sheet_of(raw: Sheet | None) -> str | None:
    if raw is None or not raw.source.startswith("sheet "):
        return None
    return raw.source[len('sheet "') : -1]
