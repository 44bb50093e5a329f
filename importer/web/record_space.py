"""The records of a launch on the page: read, checked, edited in place, written for the run.

The records' counterpart of :mod:`importer.web.workspace`. The records come from the
launch workbook's records sheet (found as the command line finds it,
:func:`importer.read.record_table.load_records`) or from a second file; they are checked by the
engine's own functions (:func:`importer.send.launch.check` as a dry run checks them: against
the campaigns sheet's valid rows, a ``campaign_id`` taken as naming a campaign that
exists), so the review says what the command line says.

An edit checks again only what it can change: the record itself, the records sharing
its ``customer_id`` in its campaign before or after the edit (the one rule that looks
across records), and, after a change on the campaigns sheet, the records of each
campaign whose name or validity changed. A test holds this against checking the whole
sheet again.

At Send the records are written as a CSV that the engine reads back as the run's
``--records`` file; :func:`check_records_read_back` proves that it reads back exactly as
reviewed before anything is sent.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from importer.check import record_schema
from importer.check.cells import by_value, clean_cell
from importer.check.problems import Problem, describe
from importer.check.record_fields import FIELDS
from importer.check.words import campaign_type
from importer.errors import InputError
from importer.i18n import _
from importer.read import record_table
from importer.read.record_table import RecordTable
from importer.send import launch

if TYPE_CHECKING:
    from importer.check import schema
    from importer.read import load


class Workspace(Protocol):
    """What the records need of the campaigns' workspace (:mod:`importer.web.workspace`,
    which holds this one): its table, its problems by row and its options."""

    table: load.Table | None
    by_row: dict[int, list[Problem]]
    options: schema.Options


#: The records file the run reads, in its folder.
RUN_RECORDS = "records.csv"
#: Before a rule's id in the tally of problems (a problem without a rule: its message).
RULE = "\x00rule:"


def _tally_key(p: Problem) -> str:
    return RULE + str(p.rule) if p.rule else p.message


class RecordSpace:
    """The records being prepared beside the campaigns (one per start of the page)."""

    def __init__(self) -> None:
        self.path: Path | None = None
        #: the file's name as the person knows it
        self.name = ""
        self.sheet: str | None = None
        #: True when the records are a file of their own (not a sheet of the campaigns')
        self.own_file = False
        self.table: RecordTable | None = None
        #: why the records cannot be read ("" when they can, or when there are none)
        self.error = ""
        self.edits: dict[tuple[int, str], str] = {}
        self.by_row: dict[int, list[Problem]] = {}
        self.cell_problems: dict[tuple[int, str], list[Problem]] = {}
        self.tally: Counter[str] = Counter()
        self.version = 0
        #: campaign key -> type, of the campaigns sheet's valid rows (as the run sees them)
        self._sheet: dict[str, str] = {}
        #: campaign key -> row, of the campaigns sheet's invalid rows
        self._invalid: dict[str, int] = {}
        self._keys: np.ndarray = np.array([], dtype=object)
        self._extra: dict[int, list[Problem]] = {}
        self._codes: np.ndarray = np.array([], dtype=np.int64)
        self._code_of: dict[str, int] = {}

    # --- reading -----------------------------------------------------------------------

    def clear(self) -> None:
        """No records (a new campaigns upload without a records sheet)."""
        self.__init__()  # type: ignore[misc]

    def open(
        self, path: Path, name: str, sheet: str | None, campaigns: Workspace, *, own_file: bool
    ) -> None:
        """Read the records of ``path`` (its ``sheet``, else as the command line finds them)
        and check them against the campaigns being reviewed. A file that cannot be read
        is kept as :attr:`error`; raise :class:`InputError` only for a second file."""
        self.clear()
        self.path, self.name, self.own_file = path, name, own_file
        try:
            self.table, self.sheet = record_table.load_records(path, sheet)
        except InputError as exc:
            text = str(exc).replace(str(path), name).replace(path.name, name)
            self.error = text
            self.table = None
            if own_file:
                raise InputError(text) from None
            return
        self.validate(campaigns)

    @property
    def fields(self) -> list[str]:
        """The record fields the grid shows: those the sheet has, in the engine's order."""
        assert self.table is not None
        frame = self.table.frame
        # where a record without them gets its problem (no campaign, no phone) is shown
        # too (a look at the problems would cost a pass over all of them at each edit)
        wanted = {"campaign_name", "tel1", *frame.columns}
        shown = [f for f in FIELDS if f in wanted]
        return shown

    # --- checking ------------------------------------------------------------------------

    def _campaigns_of(self, ws: Workspace) -> tuple[dict[str, str], dict[str, int]]:
        """The campaigns records may go into, from the campaigns being reviewed: what
        :func:`importer.send.launch.campaigns_in_sheet` makes of the run's own check."""
        if ws.table is None:
            return {}, {}
        frame = ws.table.frame
        bad = ws.by_row
        default = ws.options.default_type or ""
        valid = []
        names = frame["campaign_name"].tolist()
        kinds = frame["type_campaign"].tolist() if "type_campaign" in frame else [""] * len(names)
        for row, name, kind in zip(frame.index.tolist(), names, kinds, strict=True):
            if row not in bad:
                valid.append((str(name), campaign_type(str(kind)) or default))
        invalid: dict[str, int] = {}
        for row in sorted(bad):
            key = record_schema.campaign_key(name=str(frame.at[row, "campaign_name"]))
            if key:
                invalid.setdefault(key, int(row))
        return record_schema.known_campaigns(valid), invalid

    def _options(self, frame: pd.DataFrame) -> record_schema.RecordOptions:
        """The check's options for ``frame``'s records: a record naming its campaign by
        ``campaign_id`` is taken as naming one that exists, as a dry run takes it."""
        known = dict(self._sheet)
        if "campaign_id" in frame.columns:
            for value in dict.fromkeys(frame["campaign_id"].tolist()):
                key = record_schema.campaign_key(campaign_id=str(value))
                if key:
                    known.setdefault(key, "")
        return record_schema.RecordOptions(campaigns=known, invalid_campaigns=dict(self._invalid))

    def validate(self, campaigns: Workspace) -> None:
        """Check every record again (a new upload, or a new campaigns table)."""
        assert self.table is not None
        self._sheet, self._invalid = self._campaigns_of(campaigns)
        frame = self.table.frame
        self._extra = {}
        for p in self.table.problems:
            self._extra.setdefault(p.row, []).append(p)
        self._keys = self._key_column(frame)
        self._index_pairs()
        self.by_row, self.cell_problems, self.tally = {}, {}, Counter()
        checked = record_schema.validate_records(frame, self._options(frame), self.table.problems)
        self._take(checked.problems)
        self.version += 1

    @staticmethod
    def _key_column(frame: pd.DataFrame) -> np.ndarray:
        """Each record's campaign key, as the check has it (by id, else by name)."""
        empty = np.full(len(frame), "", dtype=object)
        ids = frame["campaign_id"].to_numpy(dtype=object) if "campaign_id" in frame else empty
        names = frame["campaign_name"].to_numpy(dtype=object) if "campaign_name" in frame else empty
        by_id = by_value(ids, lambda i: record_schema.campaign_key(campaign_id=str(i or "")))
        by_name = by_value(names, lambda n: record_schema.campaign_key(name=str(n or "")))
        return np.where(ids != "", by_id, by_name).astype(object)

    def _pair(self, at: int) -> str:
        """The (campaign, customer_id) of the record at position ``at`` as one text; ""
        when either is empty (such a record shares nothing)."""
        assert self.table is not None
        frame = self.table.frame
        customer = str(frame["customer_id"].iat[at]) if "customer_id" in frame.columns else ""
        key = str(self._keys[at])
        return key + "\x1f" + customer if key and customer else ""

    def _index_pairs(self) -> None:
        """Number each (campaign, customer_id): the records sharing a record's are then
        found by comparing numbers, not texts, at each edit."""
        assert self.table is not None
        frame = self.table.frame
        if "customer_id" not in frame.columns:
            self._codes = np.full(len(frame), -1, dtype=np.int64)
            self._code_of = {}
            return
        customer = frame["customer_id"].to_numpy(dtype=object)
        pairs = np.where((self._keys != "") & (customer != ""), self._keys + "\x1f" + customer, "")
        codes, uniques = pd.factorize(pairs)
        self._code_of = {u: i for i, u in enumerate(uniques.tolist())}
        empty = self._code_of.get("")
        self._codes = np.where(codes == empty, -1, codes) if empty is not None else codes

    def _recode(self, at: int) -> None:
        pair = self._pair(at)
        if not pair:
            self._codes[at] = -1
            return
        self._codes[at] = self._code_of.setdefault(pair, len(self._code_of))

    def _take(self, problems: list[Problem]) -> None:
        for p in problems:
            self.by_row.setdefault(p.row, []).append(p)
            self.cell_problems.setdefault((p.row, p.column), []).append(p)
            self.tally[_tally_key(p)] += 1

    def _recheck(self, rows: set[int]) -> None:
        """Check ``rows`` again (nothing else can have changed for them)."""
        assert self.table is not None
        if not rows:
            return
        frame = self.table.frame
        for row in rows:
            for p in self.by_row.pop(row, []):
                self.cell_problems.pop((p.row, p.column), None)
                key = _tally_key(p)
                self.tally[key] -= 1
                if self.tally[key] <= 0:
                    del self.tally[key]
        order = sorted(rows)
        part = frame.loc[order]
        extra = [p for r in order for p in self._extra.get(r, [])]
        self._take(record_schema.validate_records(part, self._options(part), extra).problems)

    def _sharing(self, at: int) -> set[int]:
        """The records in the same campaign with the same customer_id as the record at
        position ``at`` (the duplicate rule's other records)."""
        assert self.table is not None
        code = self._codes[at]
        if code < 0:
            return set()
        return {int(r) for r in self.table.frame.index[self._codes == code]}

    def campaigns_changed(self, campaigns: Workspace) -> None:
        """The campaigns sheet changed: check again the records of each campaign whose
        name, type or validity changed (all of them after a new campaigns table)."""
        if self.table is None:
            return
        before_known, before_invalid = self._sheet, self._invalid
        self._sheet, self._invalid = self._campaigns_of(campaigns)
        changed = {
            k for k in {*before_known, *self._sheet} if before_known.get(k) != self._sheet.get(k)
        } | {
            k for k in {*before_invalid, *self._invalid}
            if before_invalid.get(k) != self._invalid.get(k)
        }  # fmt: skip
        if not changed:
            return
        hit = np.isin(self._keys, list(changed))
        frame = self.table.frame
        self._recheck({int(r) for r in frame.index[hit]})
        self.version += 1

    # --- edits ---------------------------------------------------------------------------

    def edit(self, row: int, column: str, value: str) -> tuple[str, set[int]]:
        """Change one cell, clean it as loaded text is cleaned, check again what it can
        change; return the cleaned value and the records checked again."""
        assert self.table is not None
        frame = self.table.frame
        if column not in FIELDS or row not in frame.index:
            raise InputError(_("There is no cell {column} in row {row}.").format(
                column=column, row=row))  # fmt: skip
        cleaned = clean_cell(value)
        if column not in frame.columns:
            frame[column] = ""
        at = int(frame.index.get_loc(row))  # type: ignore[arg-type]
        rows = {row} | self._sharing(at)
        frame.at[row, column] = cleaned
        self.edits[(row, column)] = cleaned
        if column in ("campaign_name", "campaign_id"):
            self._keys[at] = self._key_column(frame.iloc[at : at + 1])[0]
        if column in ("campaign_name", "campaign_id", "customer_id"):
            self._recode(at)
        rows |= self._sharing(at)
        self._recheck(rows)
        self.version += 1
        return cleaned, rows

    def edit_shown(
        self, row: int, column: str, value: str, shown: list[int]
    ) -> tuple[str, dict[str, dict[str, list[str]]], dict[str, bool]]:
        """:meth:`edit`; the states of the cells of the ``shown`` rows checked again
        (``"row:column"`` -> problems and notes), the edited cell always among them; and
        whether each of those rows is invalid now."""
        cleaned, rows = self.edit(row, column, value)
        visible = (set(shown) & rows) | {row}
        fields = self.fields
        cells: dict[str, dict[str, list[str]]] = {}
        for r in visible:
            for f in fields:
                found = self.cell_problems.get((r, f), [])
                cells[f"{r}:{f}"] = {"problems": [p.message for p in found], "notes": []}
        return cleaned, cells, {str(r): r in self.by_row for r in visible}

    # --- what the page shows -------------------------------------------------------------

    def rows(self, *, only_problems: bool) -> list[int]:
        """The records' row numbers, or those of the records with problems."""
        assert self.table is not None
        if only_problems:
            return sorted(self.by_row)
        return [int(r) for r in self.table.frame.index]

    def counts_by_rule(self) -> list[tuple[str, int]]:
        """(what the rule says, how many cells break it), most frequent first."""
        shown: Counter[str] = Counter()
        for key, n in self.tally.items():
            shown[describe(key[len(RULE) :]) if key.startswith(RULE) else key] += n
        return shown.most_common()

    def summary(self) -> dict[str, Any]:
        """The counts shown above the records grid."""
        assert self.table is not None
        total = len(self.table.frame)
        return {
            "cells": len(self.cell_problems), "rows_invalid": len(self.by_row),
            "rows_valid": total - len(self.by_row), "rows_excluded": 0, "rows": total,
            "by_rule": self.counts_by_rule(),
        }  # fmt: skip

    def sendable(self) -> int:
        """How many records a run would load at most (the valid ones)."""
        return len(self.table.frame) - len(self.by_row) if self.table is not None else 0

    def batches_of(self, size: int) -> int:
        """How many batches of ``size`` the valid records make, campaign by campaign."""
        assert self.table is not None
        valid = ~np.isin(self.table.frame.index.to_numpy(), list(self.by_row))
        counts = Counter(self._keys[valid].tolist())
        return sum(-(-n // size) for key, n in counts.items() if key)

    # --- the run's input -----------------------------------------------------------------

    def write_run_input(self, path: Path) -> ReviewedRecords:
        """Write the records as reviewed for the run (its ``--records`` file): a CSV with
        the header at its own row and every record at its own row number, so that the
        engine's reading gives back the same rows; return what the review checked."""
        assert self.table is not None
        table = self.table
        frame = table.frame
        columns = list(frame.columns)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            # UTF-8 with a BOM: what Excel opens correctly, and the engine detects.
            with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.writer(fh, lineterminator="\r\n")
                for _blank in range(table.header_row - 1):
                    writer.writerow([])
                writer.writerow(columns)
                at = table.header_row + 1
                values = [frame[c].tolist() for c in columns]
                for i, row in enumerate(frame.index.tolist()):
                    while at < row:  # the blank rows the reading skipped keep their place
                        writer.writerow([])
                        at += 1
                    writer.writerow([str(v[i]) for v in values])
                    at += 1
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        problems = [p for r in sorted(self.by_row) for p in self.by_row[r]]
        return ReviewedRecords(
            frame=frame.copy(),
            problems=frozenset((p.row, p.column, str(p.rule)) for p in problems),
            invalid=frozenset(self.by_row),
        )


@dataclass(frozen=True)
class ReviewedRecords:
    """The records as the review checked them at Send: the run must read back exactly this."""

    frame: pd.DataFrame
    problems: frozenset[tuple[int, str, str]]
    invalid: frozenset[int]


def records_differ(reviewed: ReviewedRecords, loaded: launch.RecordsLoaded) -> set[int]:
    """The records whose cells, problems or validity the run's reading does not give
    back as reviewed (every record when the columns differ)."""
    frame = loaded.table.frame
    differ: set[int] = set()
    if not frame.equals(reviewed.frame):
        rows = set(map(int, frame.index)) ^ set(map(int, reviewed.frame.index))
        if not rows and list(frame.columns) == list(reviewed.frame.columns):
            unequal = (frame != reviewed.frame.loc[frame.index]).any(axis=1)
            rows = {int(r) for r in frame.index[unequal.to_numpy()]}
        differ |= rows or {int(r) for r in frame.index}
    found = frozenset((p.row, p.column, str(p.rule)) for p in loaded.checked.problems)
    differ |= {key[0] for key in found ^ reviewed.problems}
    differ |= set(loaded.checked.invalid) ^ reviewed.invalid
    return differ
