"""The spreadsheet being prepared: upload, sheet, column choices, edits, validation.

What the person did is kept (the upload, the sheet, the column choices, each edited
cell); the table and its problems are derived from it by the engine
(:func:`importer.load.load_table`, :func:`importer.schema.validate`), so a change of
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
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from importer import load, schema
from importer.cells import clean_cell, clean_header
from importer.columns import FIELDS, REQUIRED_COLUMNS, match_header
from importer.errors import InputError, UsageError
from importer.files import read_sheet
from importer.i18n import _
from importer.layout import readable_headers
from importer.problems import Problem, Rule
from importer.sheet import Sheet
from importer.table import header_scorer
from importer.web.corrected import Corrections, Edit
from importer.web.mappings import Remembered
from importer.web.uploads import Upload

if TYPE_CHECKING:
    import pandas as pd

    from importer import job

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

    def write_run_input(self, path: Path) -> Reviewed:
        """Write the rows as reviewed for the run to read (see :func:`write_run_input`);
        return what the review checked, for :func:`check_reads_back`."""
        assert self.table is not None and self.checked is not None
        table = self.table
        overflow: dict[int, list[str]] = {}
        if any(p.rule == Rule.EXTRA_FIELDS for p in table.problems):
            overflow = self._overflow_cells()
        write_run_input(path, table, self.mapping, overflow)
        return Reviewed(
            frame=table.frame.copy(),
            problems=problem_keys(self.checked.problems),
            invalid=frozenset(self.checked.invalid),
        )

    def _overflow_cells(self) -> dict[int, list[str]]:
        """Row -> the fields it has beyond the header, as the upload holds them.

        The loader keeps only the header's width of each record and says what lay
        beyond (:class:`importer.sheet.Overflow`): its field count and its text, so the
        run's copy is written as wide as the record was and reads back with its problem.
        """
        assert self.upload is not None and self.table is not None
        # Read as the table was read (the column choices can move the header).
        sheet = read_sheet(
            self.upload.path, sheet=self.sheet, score=header_scorer(self.mapping or None)
        )
        width = len(self.table.header)
        delimiter = self.table.delimiter or ","
        out = {}
        for o in sheet.overflow:
            values = o.extra.split(delimiter) if o.extra else []
            values += [""] * max(0, o.fields - width - len(values))
            out[self.table.header_row + 1 + o.position] = values
        return out


@dataclass(frozen=True)
class Reviewed:
    """What the review checked at Send: the run must read back exactly this."""

    frame: pd.DataFrame
    problems: frozenset[ProblemKey]
    invalid: frozenset[int]


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
    (``Nombre (not read)``, see :func:`importer.layout.readable_headers`), so that the
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
            cells.append(column if text in mapping else text)
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
