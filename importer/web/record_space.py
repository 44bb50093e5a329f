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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np
import pandas as pd

from importer.check import record_schema
from importer.check.cells import by_value, clean_cell
from importer.check.columns import RETRY_COLUMNS
from importer.check.problems import Problem
from importer.check.record_fields import FIELDS, record_header_score
from importer.check.words import campaign_type
from importer.errors import InputError
from importer.read import record_table
from importer.read.files import read_sheet
from importer.read.record_table import RecordTable
from importer.send import launch
from importer.send.policy import MAX_RECORD_CELLS
from importer.web.corrected import Corrections, changed_cells
from importer.web.grid import Grid, matching

if TYPE_CHECKING:
    from importer.check import schema
    from importer.read import load


class Workspace(Protocol):
    """What the records need of the campaigns' workspace (:mod:`importer.web.workspace`,
    which holds this one): its table, its problems by row, its rows left out and its
    options."""

    table: load.Table | None
    by_row: dict[int, list[Problem]]
    excluded: set[int]
    options: schema.Options


#: The records file the run reads, in its folder.
RUN_RECORDS = "records.csv"
#: The columns that make a record's (campaign, customer_id): the duplicate rule's.
_PAIRED = frozenset({"campaign_name", "campaign_id", "customer_id"})


class _SheetCampaigns(NamedTuple):
    """What the records' check needs of the campaigns being reviewed."""

    #: campaign key -> type, of the valid rows not left out
    known: dict[str, str]
    #: campaign key -> row, of the rows with problems
    invalid: dict[str, int]
    #: campaign key -> row, of the rows left out
    left_out: dict[str, int]


class RecordSpace(Grid):
    """The records being prepared beside the campaigns (one per start of the page)."""

    def __init__(self) -> None:
        self._grid_init()
        self.path: Path | None = None
        #: the file's name as the person knows it
        self.name = ""
        self.sheet: str | None = None
        #: True when the records are a file of their own (not a sheet of the campaigns')
        self.own_file = False
        self.table: RecordTable | None = None
        #: why the records cannot be read ("" when they can, or when there are none)
        self.error = ""
        #: the campaigns sheet's campaigns, as the run sees them
        self._sheet = _SheetCampaigns({}, {}, {})
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

    def _campaigns_of(self, ws: Workspace) -> _SheetCampaigns:
        """The campaigns records may go into, from the campaigns being reviewed (their
        rows with problems and those left out apart): what
        :func:`importer.send.launch.campaigns_in_sheet` makes of the run's own check."""
        if ws.table is None:
            return _SheetCampaigns({}, {}, {})
        frame = ws.table.frame
        bad, out = ws.by_row, ws.excluded
        default = ws.options.default_type or ""
        valid = []
        names = frame["campaign_name"].tolist()
        kinds = frame["type_campaign"].tolist() if "type_campaign" in frame else [""] * len(names)
        for row, name, kind in zip(frame.index.tolist(), names, kinds, strict=True):
            if row not in bad and row not in out:
                valid.append((str(name), campaign_type(str(kind)) or default))
        return _SheetCampaigns(
            record_schema.known_campaigns(valid),
            launch.rows_by_campaign(frame, bad),
            launch.rows_by_campaign(frame, out),
        )

    def _options(self, frame: pd.DataFrame) -> record_schema.RecordOptions:
        """The check's options for ``frame``'s records: a record naming its campaign by
        ``campaign_id`` is taken as naming one that exists, as a dry run takes it."""
        known = dict(self._sheet.known)
        if "campaign_id" in frame.columns:
            for value in dict.fromkeys(frame["campaign_id"].tolist()):
                key = record_schema.campaign_key(campaign_id=str(value))
                if key:
                    known.setdefault(key, "")
        return record_schema.RecordOptions(
            campaigns=known, invalid_campaigns=dict(self._sheet.invalid),
            left_out_campaigns=dict(self._sheet.left_out),
        )  # fmt: skip

    def validate(self, campaigns: Workspace) -> None:
        """Check every record again (a new upload, or a new campaigns table)."""
        assert self.table is not None
        self._sheet = self._campaigns_of(campaigns)
        frame = self.table.frame
        self._extra = {}
        for p in self.table.problems:
            self._extra.setdefault(p.row, []).append(p)
        self._keys = self._key_column(frame)
        self._index_pairs()
        self.by_row, self.cell_problems, self.tally = {}, {}, Counter()
        checked = record_schema.validate_records(
            frame, self._options(frame), self.table.problems, excluded=self.excluded
        )
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

    def _recheck(self, rows: set[int]) -> None:
        """Check ``rows`` again, with the records sharing their (campaign, customer_id):
        nothing else can have changed for them (the duplicate rule is the one that looks
        across records, and a record left out takes no part in it)."""
        assert self.table is not None
        if not rows:
            return
        frame = self.table.frame
        rows = rows | self._sharing_rows(frame.index.get_indexer(pd.Index(sorted(rows))))
        self._drop(rows)
        order = sorted(rows)
        part = frame.loc[order]
        extra = [p for r in order for p in self._extra.get(r, [])]
        out = self.excluded.intersection(order)
        checked = record_schema.validate_records(part, self._options(part), extra, excluded=out)
        self._take(checked.problems)

    def _sharing_rows(self, positions: np.ndarray) -> set[int]:
        """The records sharing a (campaign, customer_id) with those at ``positions``
        (compared as numbers: a whole column changed is looked at in one pass)."""
        assert self.table is not None
        codes = self._codes[positions]
        codes = codes[codes >= 0]
        if not len(codes):
            return set()
        return {int(r) for r in self.table.frame.index[np.isin(self._codes, codes)]}

    def campaigns_changed(self, campaigns: Workspace) -> None:
        """The campaigns sheet changed: check again the records of each campaign whose
        name, type or validity changed (all of them after a new campaigns table)."""
        if self.table is None:
            return
        before, self._sheet = self._sheet, self._campaigns_of(campaigns)
        pairs: list[tuple[Mapping[str, object], Mapping[str, object]]] = [
            (before.known, self._sheet.known),
            (before.invalid, self._sheet.invalid),
            (before.left_out, self._sheet.left_out),
        ]
        changed = {k for old, new in pairs for k in {*old, *new} if old.get(k) != new.get(k)}
        if not changed:
            return
        hit = np.isin(self._keys, list(changed))
        frame = self.table.frame
        self._recheck({int(r) for r in frame.index[hit]})
        self.version += 1

    # --- edits ---------------------------------------------------------------------------

    def frame(self) -> pd.DataFrame:
        """The records' cells (edits included)."""
        assert self.table is not None
        return self.table.frame

    def column_names(self) -> tuple[str, ...]:
        """The record fields a cell may be changed in (a field the sheet lacks included)."""
        return FIELDS

    def _writing(self, column: str, changed: list[tuple[int, str]]) -> None:
        if column in _PAIRED:  # the records it shared its customer_id with before
            at = self.frame().index.get_indexer(pd.Index([r for r, _before in changed]))
            self._also |= self._sharing_rows(at)

    def _written(self, column: str, rows: list[int]) -> None:
        if column not in _PAIRED:
            return
        frame = self.frame()
        at = frame.index.get_indexer(pd.Index(rows))
        if column in ("campaign_name", "campaign_id"):
            self._keys[at] = self._key_column(frame.iloc[at])
        for position in at.tolist():
            self._recode(position)
        self._also |= self._sharing_rows(at)  # and those it shares it with now

    def edit_shown(
        self, row: int, column: str, value: str, shown: list[int]
    ) -> tuple[str, dict[str, dict[str, list[str]]], dict[str, bool]]:
        """:meth:`edit`; the states of the cells of the ``shown`` rows checked again
        (``"row:column"`` -> problems and notes), the edited cell always among them; and
        whether each of those rows is invalid now."""
        self._cell(row, column)
        cleaned = clean_cell(value)
        rows = self._change("cell", lambda: self._set_cells({(row, column): cleaned}))
        visible = (set(shown) & rows) | {row}
        fields = self.fields
        cells: dict[str, dict[str, list[str]]] = {}
        for r in visible:
            for f in fields:
                found = self.cell_problems.get((r, f), [])
                cells[f"{r}:{f}"] = {"problems": [p.message for p in found], "notes": []}
        return cleaned, cells, {str(r): r in self.by_row for r in visible}

    # --- what the page shows -------------------------------------------------------------

    def rows(self, *, only_problems: bool, search: str = "") -> list[int]:
        """The records' row numbers, or those of the records with problems; with
        ``search``, those where some cell holds that text (any case)."""
        assert self.table is not None
        frame = self.table.frame
        if search:
            rows = matching((frame[c] for c in frame.columns), frame.index, search)
        else:
            rows = [int(r) for r in frame.index]
        if only_problems:
            rows = [r for r in rows if r in self.by_row]
        return rows

    def summary(self) -> dict[str, Any]:
        """The counts shown above the records grid (the records left out counted apart)."""
        assert self.table is not None
        return {
            "cells": self.problem_cells(),
            "rows_invalid": sum(1 for r in self.by_row if r not in self.excluded),
            "rows_valid": self.sendable(), "rows_excluded": len(self.excluded),
            "rows": len(self.table.frame), "by_rule": self.counts_by_rule(),
        }  # fmt: skip

    def sendable(self) -> int:
        """How many records a run would load at most (the valid ones not left out)."""
        if self.table is None:
            return 0
        valid_out = sum(1 for r in self.excluded if r not in self.by_row)
        return len(self.table.frame) - len(self.by_row) - valid_out

    def _loaded_by_campaign(self) -> Counter[str]:
        """Campaign key -> how many of its records a run would load at most."""
        assert self.table is not None
        not_sent = [*self.by_row, *self.excluded]
        valid = ~np.isin(self.table.frame.index.to_numpy(), not_sent)
        counts = Counter(self._keys[valid].tolist())
        counts.pop("", None)
        return counts

    def calls(self, size: int) -> tuple[int, int]:
        """The batches of ``size`` the valid records make, campaign by campaign, and the
        starts a run asked to start dialling would make at most (a campaign named by
        ``campaign_id`` counted: only the campaign list tells its type)."""
        return launch.calls_for(
            self._loaded_by_campaign(), self._sheet.known, size, True, untyped_start=True
        )

    def corrections(self) -> Corrections:
        """The records' own file (or sheet) and the cells changed in it, for the
        corrected download (:mod:`importer.web.corrected`)."""
        assert self.table is not None and self.path is not None
        t = self.table
        read = read_sheet(self.path, sheet=self.sheet, score=record_header_score,
                          max_cells=MAX_RECORD_CELLS)  # fmt: skip
        positions = {c.field: c.position for c in t.layout.columns if c.field in FIELDS}
        return Corrections(
            source=self.path, name=self.name, kind=self.path.suffix[1:].lower(),
            sheet=self.sheet, encoding=read.encoding, delimiter=read.delimiter,
            header_row=t.header_row, positions=positions,
            edits=changed_cells(read.body, self.edits, positions, t.header_row),
            width=max(len(t.header), len(read.body.columns)),
        )  # fmt: skip

    # --- the run's input -----------------------------------------------------------------

    def write_run_input(self, path: Path) -> ReviewedRecords:
        """Write the records as reviewed for the run (its ``--records`` file): a CSV laid
        out as the person's sheet (their headers, the columns the importer does not read,
        a record wider than its header as wide as it was), with the header at its own
        row and every record at its own row number, so that the engine's reading gives
        back the same records and problems, and the results and retry files the person's
        columns; return what the review checked."""
        assert self.table is not None
        table = self.table
        frame = table.frame
        header, keys = self._run_layout()
        values = [table.layout.values(frame, k) if k is not None else None for k in keys]
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            # UTF-8 with a BOM: what Excel opens correctly, and the engine detects.
            with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.writer(fh, delimiter=table.delimiter or ",", lineterminator="\r\n")
                for _blank in range(table.header_row - 1):
                    writer.writerow([])
                writer.writerow(header)
                at = table.header_row + 1
                for i, row in enumerate(frame.index.tolist()):
                    while at < row:  # the blank rows the reading skipped keep their place
                        writer.writerow([])
                        at += 1
                    line = ["" if v is None else v[i] for v in values]
                    writer.writerow(line + table.overflow.get(row, []))
                    at += 1
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        problems = [p for r in sorted(self.by_row) for p in self.by_row[r]]
        # The engine's reading gives the fields in their own order, whatever the sheet's:
        # so do the reviewed ones (a field typed in on the page is last in the frame).
        order = [c for c in (*FIELDS, *RETRY_COLUMNS) if c in frame.columns]
        order += [c for c in frame.columns if c not in order]
        return ReviewedRecords(
            frame=frame[order].copy(),
            problems=frozenset((p.row, p.column, str(p.rule)) for p in problems),
            invalid=frozenset(self.by_row),
            excluded=frozenset(self.excluded),
        )

    def _run_layout(self) -> tuple[list[str], list[str | None]]:
        """The run's header cells, and the column under each (a field, or the key of a
        column the importer does not read; None: empty): the sheet's own, in its order,
        with a field the page filled in that the sheet lacked added before its last field
        (where a record wider than the header is reported)."""
        assert self.table is not None
        table = self.table
        at = {c.position: c for c in table.layout.columns}
        header = list(table.header)
        keys: list[str | None] = [at[p].key if p in at else None for p in range(len(header))]
        added = [f for f in table.frame.columns if f not in keys]
        last = max((p for p, k in enumerate(keys) if k in FIELDS), default=len(keys) - 1)
        header[last:last] = added
        keys[last:last] = added
        return header, keys


@dataclass(frozen=True)
class ReviewedRecords:
    """The records as the review checked them at Send: the run must read back exactly this."""

    frame: pd.DataFrame
    problems: frozenset[tuple[int, str, str]]
    invalid: frozenset[int]
    #: records left out on the page: the run must leave out exactly these
    excluded: frozenset[int] = frozenset()


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
    differ |= set(loaded.excluded) ^ reviewed.excluded
    return differ
