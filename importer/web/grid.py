"""What both grids of the page share: the campaigns' (:mod:`importer.web.workspace`) and the
records' (:mod:`importer.web.record_space`).

A grid holds a table of text cells indexed by sheet row number, the person's edits, the
rows they left out, and the steps Undo takes back. Each change is one step: the cells as
they were before it and the rows left out before it. After a change only the rows it
touched are checked again (:meth:`Grid._recheck`, which each grid widens with the rows
its one cross-row rule links to them), never the whole table: a records table can hold
hundreds of thousands of rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from importer.check.cells import clean_cell
from importer.check.problems import Problem, describe
from importer.errors import InputError
from importer.i18n import _

if TYPE_CHECKING:
    import pandas as pd

#: How many changes Undo can take back.
UNDO_KEEP = 200
#: Before a rule's id in the tally of problems (a problem without a rule: its message).
RULE = "\x00rule:"


def tally_key(p: Problem) -> str:
    """What ``p`` is counted under: its rule (put in words when shown), else its message."""
    return RULE + str(p.rule) if p.rule else p.message


@dataclass(frozen=True)
class CellBefore:
    """A cell as it was before a change: its value, and its edit (None: not edited)."""

    row: int
    column: str
    before: str
    edit: str | None


@dataclass(frozen=True)
class Step:
    """One change of the person's, as Undo takes it back."""

    #: cell, column, values or exclude
    kind: str
    cells: list[CellBefore]
    #: the rows left out before it
    excluded: frozenset[int]


def matching(columns: Iterable[pd.Series], index: pd.Index, search: str) -> list[int]:
    """The rows of ``index`` where a cell of ``columns`` holds ``search`` (any case)."""
    hit = None
    for cells in columns:
        found = cells.astype(str).str.contains(search, case=False, regex=False)
        hit = found if hit is None else hit | found
    return [int(r) for r in index[hit.to_numpy()]] if hit is not None else []


class Grid(ABC):
    """A table the person changes in place: edits, rows left out, Undo.

    Subclasses give :meth:`frame`, :attr:`fields`, :meth:`_recheck` and the hooks
    :meth:`_writing` / :meth:`_written` (what must follow a column's cells changing).
    """

    def _grid_init(self) -> None:
        self.edits: dict[tuple[int, str], str] = {}
        #: rows the person left out: not sent, ``excluded`` in the results
        self.excluded: set[int] = set()
        #: the person's changes, last last, for Undo
        self.undo: list[Step] = []
        self.by_row: dict[int, list[Problem]] = {}
        self.cell_problems: dict[tuple[int, str], list[Any]] = {}
        self.cell_notes: dict[tuple[int, str], list[Any]] = {}
        #: each rule (a problem without one: its message) -> how many cells break it; the
        #: rule is put in words when shown, in the language of whoever looks
        self.tally: Counter[str] = Counter()
        #: goes up with every change, so that a tab showing an older state can tell
        self.version = 0
        self._pending: list[CellBefore] = []
        #: rows to check again beside those changed (rows a cross-row rule links them to)
        self._also: set[int] = set()
        #: the cells whose value the change being made changed (for the page's answer)
        self._touched: set[tuple[int, str]] = set()

    # --- what a grid says of itself ------------------------------------------------------

    @abstractmethod
    def frame(self) -> pd.DataFrame:
        """The table's cells (edits included)."""

    @abstractmethod
    def column_names(self) -> Collection[str]:
        """The columns a cell may be changed in."""

    @abstractmethod
    def _recheck(self, rows: set[int]) -> None:
        """Check ``rows`` again (and whatever rows a cross-row rule links them to)."""

    # Hooks a grid may leave alone: they do nothing unless it has something to keep up.

    def _writing(self, column: str, changed: list[tuple[int, str]]) -> None:  # noqa: B027
        """``column``'s cells of ``changed`` (row, value before) are about to change."""

    def _written(self, column: str, rows: list[int]) -> None:  # noqa: B027
        """``column``'s cells of ``rows`` have changed."""

    def _cell_edited(self, row: int, column: str) -> None:  # noqa: B027
        """The person changed this cell (a note on the value read is gone)."""

    def _restored(self, rows: set[int]) -> None:  # noqa: B027
        """Undo put these rows' cells back."""

    # --- problems -----------------------------------------------------------------------

    def _take(self, problems: list[Problem]) -> None:
        """Add ``problems`` (of rows just checked) to what the page shows and counts."""
        for p in problems:
            self.by_row.setdefault(p.row, []).append(p)
            self.cell_problems.setdefault((p.row, p.column), []).append(p)
            self.tally[tally_key(p)] += 1

    def _drop(self, rows: Iterable[int]) -> None:
        """Forget the problems of ``rows`` (about to be checked again)."""
        for row in rows:
            for p in self.by_row.pop(row, []):
                self.cell_problems.pop((p.row, p.column), None)
                key = tally_key(p)
                self.tally[key] -= 1
                if self.tally[key] <= 0:
                    del self.tally[key]

    def _left_out_problems(self) -> list[Problem]:
        # rows left out are few: looked at one by one, not the whole sheet's problems
        return [p for r in self.excluded for p in self.by_row.get(r, [])]

    def problem_cells(self) -> int:
        """How many cells have a problem, the rows left out not counted."""
        out = {(p.row, p.column) for p in self._left_out_problems()}
        return len(self.cell_problems) - len(out & self.cell_problems.keys())

    def counts_by_rule(self) -> list[tuple[str, int]]:
        """(what the rule says, how many cells break it), most frequent first; the
        rows left out are not counted (they are not sent, whatever they hold)."""
        shown: Counter[str] = Counter()
        tally = self.tally.copy()
        for p in self._left_out_problems():
            tally[tally_key(p)] -= 1
        for key, n in tally.items():
            if n <= 0:
                continue
            shown[describe(key[len(RULE) :]) if key.startswith(RULE) else key] += n
        return shown.most_common()

    # --- changes -------------------------------------------------------------------------

    def _cell(self, row: int, column: str) -> None:
        if column not in self.column_names() or row not in self.frame().index:
            raise InputError(_("There is no cell {column} in row {row}.").format(
                column=column, row=row))  # fmt: skip

    def _write(self, column: str, values: dict[int, str]) -> None:
        frame = self.frame()
        at = list(values)
        if column not in frame.columns:  # a column the sheet lacks, typed in on the page
            # text cells as the loaders make them (not pandas' own string type, which
            # the run's copy, read back, would not equal)
            import pandas as pd

            frame[column] = pd.Series("", index=frame.index, dtype=object)
        else:
            self._writing(
                column, [(r, str(b)) for r, b in zip(at, frame.loc[at, column], strict=True)]
            )
        frame.loc[at, column] = [values[r] for r in at]
        self._written(column, at)

    def _set_cells(self, changes: dict[tuple[int, str], str]) -> set[int]:
        """Put ``changes`` in the frame (recorded for undo and the corrected download);
        return the rows to check again."""
        frame = self.frame()
        by_column: dict[str, dict[int, str]] = {}
        for (row, column), value in changes.items():
            by_column.setdefault(column, {})[row] = value
        step: list[CellBefore] = []
        for column, wanted in by_column.items():
            rows = list(wanted)
            if column in frame.columns:
                befores = frame.loc[rows, column].tolist()  # one look for a whole column
            else:
                befores = [""] * len(rows)
            changed = [(r, str(b)) for r, b in zip(rows, befores, strict=True) if b != wanted[r]]
            if not changed:
                continue
            for row, before in changed:
                step.append(CellBefore(row, column, before, self.edits.get((row, column))))
                self._touched.add((row, column))
                self.edits[(row, column)] = wanted[row]
                self._cell_edited(row, column)
            self._write(column, {r: wanted[r] for r, _b in changed})
        self._pending.extend(step)
        return {c.row for c in step}

    def _change(self, kind: str, apply: Callable[[], set[int]]) -> set[int]:
        """Run one change of the person's (one step of the undo stack), check what it
        touched again, and return the rows it changed."""
        self._pending, self._also = [], set()
        excluded = frozenset(self.excluded)
        rows = apply()
        if not self._pending and excluded == self.excluded:
            return set()
        self.undo.append(Step(kind, self._pending, excluded))
        del self.undo[:-UNDO_KEEP]
        if rows or self._also:
            self._recheck(rows | self._also)
        self.version += 1
        return rows | self._also

    def edit(self, row: int, column: str, value: str) -> str:
        """Change one cell, clean it as loaded text is cleaned, check again; return it."""
        self._cell(row, column)
        cleaned = clean_cell(value)
        self._change("cell", lambda: self._set_cells({(row, column): cleaned}))
        return cleaned

    def set_column(
        self, column: str, value: str, *, find: str | None = None, only_problems: bool = False
    ) -> int:
        """Set ``column`` to ``value`` in every row (or only where that cell has a
        problem); with ``find``, replace that text in it instead (``find`` empty: the
        empty cells). Rows left out are left as they are. Return how many cells changed."""
        import pandas as pd

        if column not in self.column_names():
            raise InputError(_("There is no column {column}.").format(column=column))
        frame = self.frame()
        if column in frame.columns:
            cells = frame[column]
        else:
            cells = pd.Series("", index=frame.index, dtype=object)
        wanted = ~frame.index.isin(list(self.excluded))
        if only_problems:
            bad = [r for (r, c) in self.cell_problems if c == column]
            wanted &= frame.index.isin(bad)
        if find is None:
            new = pd.Series(clean_cell(value), index=cells.index, dtype=object)
        elif find == "":
            wanted &= cells.eq("").to_numpy()
            new = pd.Series(clean_cell(value), index=cells.index, dtype=object)
        else:
            wanted &= cells.str.contains(find, regex=False).to_numpy()
            # the text put in is kept whole ("_" by " " makes two words); each cell is
            # cleaned once replaced
            new = cells.str.replace(find, value, regex=False).map(clean_cell)
        wanted &= (new != cells).to_numpy()
        rows = frame.index[wanted].tolist()
        changes = dict(zip(((int(r), column) for r in rows), new[wanted].tolist(), strict=True))
        return len(self._change("column", lambda: self._set_cells(changes)) & set(map(int, rows)))

    def exclude(self, row: int, *, out: bool = True) -> None:
        """Leave ``row`` out of the run (or take it back in)."""
        if row not in self.frame().index:
            raise InputError(_("There is no row {row}.").format(row=row))

        def apply() -> set[int]:
            was_out = row in self.excluded
            if out:
                self.excluded.add(row)
            else:
                self.excluded.discard(row)
            # checked again with the rows its cross-row rule links it to: a row left out
            # takes no part in it
            return {row} if was_out != out else set()

        self._change("exclude", apply)

    def undo_last(self) -> tuple[str, set[int]]:
        """Undo the last change (cells back as they were, rows left out as they were);
        return its kind ("" when there was none) and the rows it touched."""
        if not self.undo:
            return "", set()
        step = self.undo.pop()
        self._also = set()
        back: dict[str, dict[int, str]] = {}
        for c in reversed(step.cells):
            back.setdefault(c.column, {})[c.row] = c.before
            self._touched.add((c.row, c.column))
            if c.edit is None:
                self.edits.pop((c.row, c.column), None)
            else:
                self.edits[(c.row, c.column)] = c.edit
        for column, values in back.items():
            self._write(column, values)
        touched = {c.row for c in step.cells} | set(self.excluded ^ step.excluded)
        excluded_before = frozenset(self.excluded)
        self.excluded = set(step.excluded)
        moved = set(step.excluded ^ excluded_before)
        if step.cells or moved:
            self._recheck({c.row for c in step.cells} | self._also | moved)
            self._restored({c.row for c in step.cells})
        self.version += 1
        return step.kind, touched | self._also

    # --- what the page is told -------------------------------------------------------------

    def answer(
        self, shown: list[int], act: Callable[[], Any]
    ) -> tuple[Any, dict[str, dict[str, Any]], dict[str, dict[str, bool]]]:
        """``act()``; and for the ``shown`` rows, the cells whose value or state it changed
        (``"row:column"`` -> value, problems and notes) and each row's state now
        (invalid, left out)."""
        rows = set(shown)

        def state() -> dict[tuple[int, str], tuple[list[str], list[str]]]:
            problems, notes = self.cell_problems, self.cell_notes
            keys = {k for k in (*problems, *notes) if k[0] in rows}
            return {
                k: (
                    [p.message for p in problems[k]] if k in problems else [],
                    [n.message for n in notes[k]] if k in notes else [],
                )
                for k in keys
            }

        before = state()
        self._touched = set()
        done = act()
        after = state()
        frame = self.frame()
        empty: tuple[list[str], list[str]] = ([], [])
        changed = {k for k in {*before, *after} if before.get(k) != after.get(k)}
        changed |= {k for k in self._touched if k[0] in rows}
        cells = {}
        for r, c in changed:
            problems, notes = after.get((r, c), empty)
            cells[f"{r}:{c}"] = {
                "value": str(frame.at[r, c]) if c in frame.columns else "",
                "problems": problems, "notes": notes, "edited": (r, c) in self.edits,
            }  # fmt: skip
        flags = {
            str(r): {"invalid": r in self.by_row, "excluded": r in self.excluded} for r in rows
        }
        return done, cells, flags

    def edit_shown(
        self, row: int, column: str, value: str, shown: list[int]
    ) -> tuple[str, dict[str, dict[str, list[str]]], dict[str, bool]]:
        """:meth:`edit`; the cells of the ``shown`` rows whose state it changed
        (``"row:column"`` -> problems and notes), the edited cell always among them; and
        whether each shown row is invalid now."""
        self._cell(row, column)
        cleaned, cells, flags = self.answer([*shown, row], lambda: self.edit(row, column, value))
        # one cell's value changed, and the page has it: the states of the cells
        state = {k: {"problems": v["problems"], "notes": v["notes"]} for k, v in cells.items()}
        state.setdefault(f"{row}:{column}", {
            "problems": [p.message for p in self.cell_problems.get((row, column), [])],
            "notes": [n.message for n in self.cell_notes.get((row, column), [])],
        })  # fmt: skip
        return cleaned, state, {r: f["invalid"] for r, f in flags.items()}
