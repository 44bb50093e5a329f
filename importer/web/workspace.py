"""The spreadsheet being prepared: upload, sheet, column choices, edits, validation.

What the person did is kept (the upload, the sheet, the column choices, each edited
cell); the table and its problems are derived from it by the engine
(:func:`importer.load.load_table`, :func:`importer.schema.validate`), so a change of
language or of columns simply derives them again.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importer import load, schema
from importer.cells import clean_cell, clean_header
from importer.columns import FIELDS, REQUIRED_COLUMNS, match_header
from importer.errors import InputError
from importer.files import read_sheet
from importer.i18n import _
from importer.sheet import Sheet
from importer.table import header_scorer
from importer.web.corrected import Corrections, Edit, write_run_input
from importer.web.mappings import Remembered
from importer.web.uploads import Upload

Mapping_ = dict[str, str | None]


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


class Workspace:
    """The one spreadsheet being prepared in this launch (shared by every tab)."""

    def __init__(self, folder: Path, remembered: Remembered, options: schema.Options) -> None:
        self.lock = threading.RLock()
        self.folder = folder
        self.remembered = remembered
        self.options = options
        self.uploads = 0
        self.upload: Upload | None = None
        self.sheet: str | None = None
        self.mapping: Mapping_ = {}
        self.edits: dict[tuple[int, str], str] = {}
        self.table: load.Table | None = None
        self.checked: schema.Checked | None = None
        #: why the file cannot be used with the current column choices ("" when it can)
        self.error = ""
        self._raw: Sheet | None = None
        self.cell_problems: dict[tuple[int, str], list[Any]] = {}
        self.cell_notes: dict[tuple[int, str], list[Any]] = {}

    def locked(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` holding the workspace's lock (for the request threads)."""
        with self.lock:
            return fn(*args)

    # --- reading ---------------------------------------------------------------------

    def open(self, upload: Upload) -> None:
        """Start over with a new upload; raise :class:`InputError` if it cannot be read."""
        self.upload, self.sheet, self.mapping, self.edits = upload, None, {}, {}
        self._raw = None
        self.rebuild(remember=True)

    def choose_sheet(self, sheet: str) -> None:
        """Read another sheet of the workbook (column choices and edits start afresh)."""
        self.sheet, self.mapping, self.edits, self._raw = sheet, {}, {}, None
        self.rebuild(remember=True)

    def choose_columns(self, mapping: Mapping_) -> None:
        """Apply the person's column choices and remember them for this header."""
        self.mapping, self.edits = dict(mapping), {}
        self.remembered.put(self.header, self.mapping)
        self.rebuild()

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
        return fields

    # --- validation and edits --------------------------------------------------------

    def validate(self) -> None:
        """Check the whole frame again (file-wide rules such as duplicate names included)."""
        assert self.table is not None
        checked = schema.validate(self.table.frame, self.options, extra=self.table.problems)
        self.checked = checked
        self.cell_problems = {}
        for p in checked.problems:
            self.cell_problems.setdefault((p.row, p.column), []).append(p)
        self.cell_notes = {}
        for n in self.table.notes:
            if (n.row, n.column) not in self.edits:  # a note on a value since replaced
                self.cell_notes.setdefault((n.row, n.column), []).append(n)

    def edit(self, row: int, column: str, value: str) -> str:
        """Change one cell, clean it as loaded text is cleaned, check again; return it."""
        assert self.table is not None
        frame = self.table.frame
        if column not in FIELDS or row not in frame.index:
            raise InputError(_("There is no cell {column} in row {row}.").format(
                column=column, row=row))  # fmt: skip
        cleaned = clean_cell(value)
        frame.at[row, column] = cleaned
        self.edits[(row, column)] = cleaned
        self.validate()
        return cleaned

    def edit_shown(
        self, row: int, column: str, value: str, shown: list[int]
    ) -> tuple[str, dict[str, dict[str, list[str]]], dict[str, bool]]:
        """:meth:`edit`; the cells of the ``shown`` rows whose state it changed
        (``"row:column"`` -> problems and notes), the edited cell always among them; and
        whether each shown row is invalid now."""
        rows = {*shown, row}

        def state() -> dict[tuple[int, str], tuple[list[str], list[str]]]:
            keys = {k for k in (*self.cell_problems, *self.cell_notes) if k[0] in rows}
            return {
                k: (
                    [p.message for p in self.cell_problems.get(k, [])],
                    [n.message for n in self.cell_notes.get(k, [])],
                )
                for k in keys
            }

        before = state()
        cleaned = self.edit(row, column, value)
        after = state()
        changed = {k for k in {*before, *after} if before.get(k) != after.get(k)}
        changed.add((row, column))
        empty: tuple[list[str], list[str]] = ([], [])
        cells = {
            f"{r}:{c}": dict(zip(("problems", "notes"), after.get((r, c), empty), strict=True))
            for r, c in changed
        }
        assert self.checked is not None
        return cleaned, cells, {str(r): r in self.checked.invalid for r in rows}

    def rows(self, *, only_problems: bool) -> list[int]:
        """The sheet's row numbers, or those of the rows with problems."""
        assert self.table is not None and self.checked is not None
        rows = [int(r) for r in self.table.frame.index]
        if only_problems:
            bad = self.checked.invalid
            rows = [r for r in rows if r in bad]
        return rows

    def counts_by_rule(self) -> list[tuple[str, int]]:
        """(what the rule says, how many cells break it), most frequent first."""
        assert self.checked is not None
        tally: Counter[str] = Counter()
        for p in self.checked.problems:
            text = schema.describe(p.rule) if p.rule else p.message
            tally[text] += 1
        return tally.most_common()

    def write_corrected(self, path: Path) -> None:
        """The run's input: the sheet as read, with the person's edits, every row at its
        own row number and the person's own columns (see :mod:`importer.web.corrected`)."""
        assert self.table is not None and self.upload is not None
        read = read_sheet(self.upload.path, sheet=self.sheet, score=header_scorer(self.mapping))
        write_run_input(
            path, read.head, read.body, self.table.layout.columns,
            self.corrections(read), self.table.sheet,
        )  # fmt: skip

    def corrections(self, read: Sheet | None = None) -> Corrections:
        """The uploaded file and the cells changed in it, for the corrected download."""
        assert self.table is not None and self.upload is not None
        t = self.table
        read = read or read_sheet(
            self.upload.path, sheet=self.sheet, score=header_scorer(self.mapping)
        )
        positions = {c.field: c.position for c in t.layout.columns if c.field in FIELDS}
        edits = []
        for (row, column), value in sorted(self.edits.items()):
            place = positions.get(column)
            at = row - t.header_row - 1
            before = ""
            if place is not None and place in read.body.columns and 0 <= at < len(read.body):
                raw = read.body.at[at, place]
                before = raw if isinstance(raw, str) else ""
            if clean_cell(before) != value:
                edits.append(Edit(row, column, before, value))
        return Corrections(
            source=self.upload.path, name=self.upload.name, kind=self.upload.path.suffix[1:],
            sheet=t.sheet, encoding=t.encoding, delimiter=t.delimiter, header_row=t.header_row,
            positions=positions, edits=edits, width=max(len(t.header), len(read.body.columns)),
        )  # fmt: skip


def _sheet_of(raw: Sheet | None) -> str | None:
    if raw is None or not raw.source.startswith("sheet "):
        return None
    return raw.source[len('sheet "') : -1]
